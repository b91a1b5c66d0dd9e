#!/usr/bin/env bash
# The operator's CLI, `moat`, on real bundles (runc spec + busybox) and real
# profile files: explain shows the decision and the config.json diff without
# changing anything; verify --bundle agrees; profile check names file, line
# and field; profile show fills in defaults; run starts a hardened copy of a
# bundle (the image named by an OCI layout, or none); usage errors exit 2.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd "$RUNC" jq diff
[[ -x "$MOAT_CLI" ]] || fail "moat not built: $MOAT_CLI (set MOAT_BUILD_DIR)"

W="$(tmp_dir work)"
moat_env "$W/conf" enforce restricted
moat() { "$MOAT_CLI" "$@"; }

echo "== moat --help, unknown commands"
moat --help | grep -q '^  explain ' || fail "moat --help does not list explain"
moat --version | grep -q '^moat ' || fail "moat --version"
rc=0
out="$(moat frobnicate 2>&1)" || rc=$?
assert_eq "$rc" 2 "exit status of an unknown command"
assert_eq "$out" 'moat: "frobnicate": unknown command (moat --help lists them)' "unknown command"
for c in explain verify trust profile; do
  moat "$c" --help >/dev/null || fail "moat $c --help failed"
done

echo "== explain: a root busybox bundle under restricted"
B="$W/b1"
make_bundle "$B" '["sh"]'
sum="$(sha256sum <"$B/config.json")"
out="$(moat explain --bundle "$B")" || fail "explain exit $?: $out"
echo "$out" | sed -n '1,/^decision/p'
grep -q '^decision:   ALLOW: the create goes ahead' <<<"$out" || fail "explain decision: $out"
grep -q '^profile:    restricted ' <<<"$out" || fail "explain profile: $out"
grep -q -- '^-      "uid": 0,$' <<<"$out" || fail "explain diff lacks the uid change: $out"
grep -q -- '^+      "uid": 65534,$' <<<"$out" || fail "explain diff lacks the new uid: $out"
assert_eq "$(sha256sum <"$B/config.json")" "$sum" "config.json after explain"
# The diff is the one GNU diff makes of the same two pretty-printed documents.
moat explain --bundle "$B" --output json >"$W/e.json" || fail "explain --output json"
jq -e '.allow == true and .profile == "restricted" and (.changes | length) > 0' "$W/e.json" >/dev/null ||
  fail "explain json: $(cat "$W/e.json")"
jq . "$B/config.json" >"$W/before.json"
cp -a "$B" "$W/b1copy"
"$MOAT_RUNTIME" --root "$RUNC_ROOT" create --bundle "$W/b1copy" "$(new_id cli)" >/dev/null 2>&1 ||
  fail "moat-runtime create of the copy failed"
on_exit runc_delete_all "$RUNC_ROOT"
jq . "$W/b1copy/config.json" >"$W/after.json"
assert_eq "$(jq -r .diff "$W/e.json" | tail -n +3)" \
  "$(diff -u "$W/before.json" "$W/after.json" | tail -n +3)" "explain's diff vs diff -u"

echo "== explain: a privileged bundle is refused, nothing changes"
P="$W/b2"
make_bundle "$P" '["sh"]'
bundle_jq "$P" '.process.capabilities.bounding += ["CAP_SYS_ADMIN", "CAP_SYS_MODULE"]'
sum="$(sha256sum <"$P/config.json")"
rc=0
out="$(moat explain --bundle "$P" --id priv1)" || rc=$?
assert_eq "$rc" 3 "explain exit status for a refused bundle"
grep -q '^decision:   DENY' <<<"$out" || fail "explain decision: $out"
grep -q 'profile "restricted": ' <<<"$out" || fail "explain refusal: $out"
assert_eq "$(sha256sum <"$P/config.json")" "$sum" "config.json after explain of a refused bundle"
rc=0
moat verify --bundle "$P" --id priv1 >/dev/null || rc=$?
assert_eq "$rc" 3 "verify --bundle of a refused bundle"
moat verify --bundle "$B" --id b1 >/dev/null || fail "verify --bundle of an allowed bundle"

echo "== explain in audit mode: allowed, nothing rewritten"
moat_conf_jq '.mode = "audit"'
out="$(moat explain --bundle "$P")" || fail "audit-mode explain exit $?: $out"
grep -q '^decision:   ALLOW (audit mode)' <<<"$out" || fail "audit-mode decision: $out"
grep -q '^+++ ' <<<"$out" && fail "audit-mode explain shows a rewrite: $out"
moat_conf_jq '.mode = "enforce"'

echo "== profile check"
mkdir -m 0755 "$W/p"
printf '{\n  "description": "x",\n  "capabilities": {\n    "drop": ["ALL"],\n    "add": ["CAP_CHWON"]\n  }\n}\n' >"$W/p/bad-cap.json"
printf '{\n  "user": {\n    "root": "refuse",\n    "uidd": 5\n  }\n}\n' >"$W/p/bad-key.json"
printf '{\n  "pids_limit": 10,\n}\n' >"$W/p/bad-syntax.json"
rc=0
out="$(moat profile check "$W/p/bad-cap.json" "$W/p/bad-key.json" "$W/p/bad-syntax.json" \
  "$MOAT_SOURCE_DIR/profiles/restricted.json" 2>&1)" || rc=$?
echo "$out"
assert_eq "$rc" 1 "profile check exit status"
grep -qx "moat: $W/p/bad-cap.json:5: capabilities.add\[0\]: unknown capability \"CAP_CHWON\"" <<<"$out" ||
  fail "bad-cap message"
grep -qx "moat: $W/p/bad-key.json:4: user.uidd: unknown key" <<<"$out" || fail "bad-key message"
grep -qx "moat: $W/p/bad-syntax.json: line 3, column 2: .*" <<<"$out" || fail "bad-syntax message"
grep -qx "$MOAT_SOURCE_DIR/profiles/restricted.json: ok (profile \"restricted\")" <<<"$out" ||
  fail "restricted.json not ok"
for f in "$MOAT_SOURCE_DIR"/profiles/*.json; do
  moat profile check "$f" >/dev/null || fail "shipped profile $f does not pass profile check"
done

echo "== profile show"
moat profile show restricted >"$W/show.json" || fail "profile show"
jq -e '.name == "restricted" and .user.root == "remap" and .user.uid == 65534 and
       (.capabilities.drop | index("CAP_SYS_ADMIN")) != null and .pids_limit == 1024 and
       .deny.privileged == true' "$W/show.json" >/dev/null || fail "profile show: $(cat "$W/show.json")"
rc=0
out="$(moat profile show ../etc/passwd 2>&1)" || rc=$?
assert_eq "$rc" 1 "profile show of a path"
grep -q 'is not a plain file name' <<<"$out" || fail "profile show of a path: $out"
echo "== run: a hardened copy of the bundle, in the foreground"
R="$W/r1"
make_bundle "$R" '["sh","-c","id -u; grep NoNewPrivs /proc/self/status; exit 7"]'
sum="$(sha256sum <"$R/config.json")"
rc=0
out="$(moat run "$R" "$(new_id run)" 2>&1)" || rc=$?
echo "$out"
assert_eq "$rc" 7 "moat run passes the container's exit status"
assert_match "$out" '^65534' "uid under moat run"
assert_match "$out" $'NoNewPrivs:\t1' "no_new_privs under moat run"
assert_eq "$(sha256sum <"$R/config.json")" "$sum" "the operator's config.json after moat run"
[[ -z "$(ls -A "$W/conf/state/run" 2>/dev/null)" ]] || fail "private bundle left: $(ls "$W/conf/state/run")"
tail -n1 "$W/conf/audit.log" | jq -e '.verb == "moat-run" and .decision == "allow"' >/dev/null ||
  fail "audit record of moat run: $(tail -n1 "$W/conf/audit.log")"

echo "== run: the image from an OCI layout, against a policy that rejects the unknown"
L="$W/layout"
mkdir -p "$L/blobs/sha256"
blob() { # blob FILE: into the layout; prints "sha256:<hex> <size>"
  local h
  h="$(sha256sum <"$1" | cut -d' ' -f1)"
  cp "$1" "$L/blobs/sha256/$h"
  echo "sha256:$h $(stat -c %s "$1")"
}
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' >"$W/cfg.json"
read -r cdig csize < <(blob "$W/cfg.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[]}' \
  "$cdig" "$csize" >"$W/man.json"
read -r mdig msize < <(blob "$W/man.json")
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"moat.local/app:1"}}]}' \
  "$mdig" "$msize" >"$L/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$L/oci-layout"
echo '{"default":[{"type":"reject"}],"transports":{"docker":{"moat.local/app":[{"type":"insecureAcceptAnything"}]}}}' \
  >"$W/conf/policy.json"
make_bundle "$W/r2" '["true"]'
rc=0
out="$(moat run "$W/r2" "$(new_id run)" 2>&1)" || rc=$?
assert_eq "$rc" 3 "moat run of an unknown image under a rejecting default"
assert_match "$out" "the policy's default requires more than insecureAcceptAnything" \
  "refusal of an unknown image"
out="$(moat run --image "oci:$L:moat.local/app:1" "$W/r2" "$(new_id run)" 2>&1)" ||
  fail "moat run --image refused: $out"
out="$(moat run --image "oci:$L:moat.local/app:2" "$W/r2" x 2>&1)" && fail "ran: $out"
grep -q 'no manifest named "moat.local/app:2"' <<<"$out" ||
  fail "moat run --image with an unknown name: $out"
printf ' ' >>"$L/blobs/sha256/${cdig#sha256:}"
out="$(moat run --image "oci:$L:moat.local/app:1" "$W/r2" "$(new_id run)" 2>&1)" &&
  fail "moat run with a tampered config blob ran: $out"
assert_match "$out" 'content does not hash to its name' "tampered config blob"
echo "PASS"
