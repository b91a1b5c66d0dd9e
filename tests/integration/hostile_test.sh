#!/usr/bin/env bash
# Hostile input: every case refused quickly, with one line that names the
# file, in bounded memory, and nothing of the bundle half-written: a 50 MB
# config.json, a 16 MB one of 5.6 million values, 10,000-deep nesting, invalid UTF-8, duplicate keys (exact and
# as Go folds them), a root.path that is or passes through a symlink, a
# bundle directory or config.json a non-root user can change, a policy, key
# or registries.d file a non-root user can write, a 1 GB signature file.
#
# Limits: 2 s per refusal (10 s under MOAT_SANITIZED); max RSS at most
# 2x + 16 MB that of an ordinary create measured first (GNU time %M; moat
# execs /usr/bin/true there, so the figure is moat's own).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/fake_docker.sh"
need_root
need_cmd "$RUNC" jq python3 /usr/bin/time skopeo gpg
need_moat_runtime

W="$(tmp_dir work)"
moat_env "$W/conf" enforce restricted
on_exit runc_delete_all "$RUNC_ROOT"
max_s=2
[[ -n "${MOAT_SANITIZED:-}" ]] && max_s=10

echo "== baseline: an ordinary create (downstream /usr/bin/true)"
make_bundle "$W/ok" '["true"]'
moat_conf_jq '.runtime = "/usr/bin/true"'
/usr/bin/time -f '%e %M' -o "$W/ok.time" "$MOAT_RUNTIME" --root "$RUNC_ROOT" create --bundle "$W/ok" \
  "$(new_id ok)" </dev/null >/dev/null 2>"$W/ok.err" || fail "ordinary create failed: $(cat "$W/ok.err")"
read -r base_s base_kb <"$W/ok.time"
max_kb=$((2 * base_kb + 16384))
echo "ordinary create: ${base_s}s, max RSS ${base_kb} kB; limits ${max_s}s, ${max_kb} kB"

# refused NAME BUNDLE WANT_REGEX [WANT_FIXED...]: a create of BUNDLE fails within the
# limits, with one stderr line matching WANT_REGEX and containing each
# WANT_FIXED; config.json unchanged, no temporary file, no container.
# The container id is $REFUSE_ID when set (a Docker id), else a new one;
# $REFUSE_MAX_KB replaces the RSS limit (for inputs moat must read whole).
refused() {
  local name="$1" bundle="$2" want="$3" id s kb lines before
  shift 3
  id="${REFUSE_ID:-$(new_id "$name")}"
  before="$(sha256sum <"$bundle/config.json" 2>/dev/null || echo none)"
  if /usr/bin/time -f '%e %M' -o "$W/$name.time" "$MOAT_RUNTIME" --root "$RUNC_ROOT" create \
    --bundle "$bundle" "$id" </dev/null >"$W/$name.out" 2>"$W/$name.err"; then
    fail "$name: create succeeded"
  fi
  grep -v '^Command exited with' "$W/$name.time" | tail -n1 >"$W/$name.t"
  read -r s kb <"$W/$name.t"
  lines="$(grep -c . "$W/$name.err" || true)"
  [[ "$lines" == 1 ]] || fail "$name: want one line of error, got $lines: $(cat "$W/$name.err")"
  [[ "$(cat "$W/$name.err")" =~ $want ]] || fail "$name: error does not match /$want/: $(cat "$W/$name.err")"
  local f
  for f in "$@"; do
    grep -qF -- "$f" "$W/$name.err" || fail "$name: error does not name '$f': $(cat "$W/$name.err")"
  done
  python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)" "$s" "$max_s" ||
    fail "$name: took ${s}s (limit ${max_s}s)"
  ((kb <= ${REFUSE_MAX_KB:-$max_kb})) || fail "$name: max RSS ${kb} kB (limit ${REFUSE_MAX_KB:-$max_kb} kB)"
  assert_eq "$(sha256sum <"$bundle/config.json" 2>/dev/null || echo none)" "$before" "$name: config.json"
  [[ -z "$(find "$bundle" -maxdepth 1 -name '.config.json.moat-*')" ]] || fail "$name: temporary file left"
  "$RUNC" --root "$RUNC_ROOT" state "$id" >/dev/null 2>&1 && fail "$name: a container exists"
  echo "ok: $name (${s}s, ${kb} kB): $(cut -c1-240 "$W/$name.err")"
}

# bundle NAME: a fresh bundle whose config.json the caller then replaces.
bundle() {
  make_bundle "$W/$1" '["true"]'
  echo "$W/$1"
}
# put BUNDLE: config.json from stdin, root-owned 0644.
put() {
  cat >"$1/config.json.new"
  chmod 0644 "$1/config.json.new"
  mv -f "$1/config.json.new" "$1/config.json"
}

echo "== config.json"
b="$(bundle big)"
python3 - "$b/config.json" <<'PY' | put "$b"
import json, sys
spec = json.load(open(sys.argv[1]))
spec.setdefault("annotations", {})["pad"] = "x" * (50 << 20)
sys.stdout.write(json.dumps(spec))
PY
refused big "$b" 'larger than the limit of 16777216 bytes' "$b/config.json"

# Just under the size limit, but 5.6 million values: the value limit (2^18)
# refuses it after reading 16 MB, within 16 MB + 64 MB (twice that under
# ASan, whose allocator pads every block).
b="$(bundle many)"
python3 - "$b/config.json" <<'PY' | put "$b"
import json, sys
text = json.dumps(json.load(open(sys.argv[1])))
n = ((16 << 20) - len(text) - 64) // 3
sys.stdout.write(text[:-1] + ', "many": [' + "[]," * (n - 1) + "[]]}")
PY
many_kb=$(((16 + 64) * 1024))
[[ -n "${MOAT_SANITIZED:-}" ]] && many_kb=$((2 * many_kb))
REFUSE_MAX_KB=$((many_kb + base_kb)) refused many "$b" 'more than 262144 values' "$b/config.json"

b="$(bundle deep)"
python3 - "$b/config.json" <<'PY' | put "$b"
import json, sys
text = json.dumps(json.load(open(sys.argv[1])))
sys.stdout.write(text[:-1] + ', "deep": ' + "[" * 10000 + "]" * 10000 + "}")
PY
refused deep "$b" 'nesting deeper than 64 levels' "$b/config.json"

b="$(bundle utf8)"
python3 - "$b/config.json" <<'PY' | put "$b"
import json, sys
text = json.dumps(json.load(open(sys.argv[1]))).encode()
sys.stdout.buffer.write(text.replace(b'"true"', b'"tr\xff\xfeue"', 1))
PY
refused utf8 "$b" 'invalid bytes in UTF8 string' "$b/config.json"

b="$(bundle dup)"
python3 - "$b/config.json" <<'PY' | put "$b"
import json, sys
text = json.dumps(json.load(open(sys.argv[1])))
# runc (Go) would read the last "user": root; yajl's first would be nobody.
sys.stdout.write(text.replace('"process": {', '"process": {"user": {"uid": 65534, "gid": 65534}, ', 1))
PY
refused dup "$b" 'duplicate key "user"' "$b/config.json"

b="$(bundle dupfold)"
python3 - "$b/config.json" <<'PY' | put "$b"
import json, sys
text = json.dumps(json.load(open(sys.argv[1])))
sys.stdout.write(text.replace('"process": {', '"process": {"User": {"uid": 65534, "gid": 65534}, ', 1))
PY
refused dupfold "$b" 'duplicate key "user"' "$b/config.json"

echo "== root.path"
b="$(bundle rootlink)"
ln -s rootfs "$b/rootlink"
bundle_jq "$b" '.root.path = "rootlink"'
refused rootlink "$b" 'root.path: "rootlink" is or passes through a symbolic link' "$b/config.json"
b="$(bundle rootparent)"
mkdir -m 0755 "$W/real"
mv "$b/rootfs" "$W/real/rootfs"
ln -s "$W/real" "$W/via"
bundle_jq "$b" '.root.path = $p' --arg p "$W/via/rootfs"
refused rootparent "$b" 'is or passes through a symbolic link \(to ".*/real/rootfs"\): refused' "$b/config.json"

echo "== bundle directory and config.json a non-root user can change"
b="$(bundle ww)"
chmod 0777 "$b"
refused bundle-world-writable "$b" 'directory is group- or world-writable: refused' "$b"
chmod 0775 "$b"
refused bundle-group-writable "$b" 'directory is group- or world-writable: refused' "$b"
chmod 0755 "$b"
chown 65534 "$b"
refused bundle-not-root "$b" 'directory owned by uid 65534, not root: refused' "$b"
chown 0 "$b"
chmod 0666 "$b/config.json"
refused config-writable "$b" 'mode 0666 is group- or world-writable: refused' "$b/config.json"
chmod 0644 "$b/config.json"
chown 65534 "$b/config.json"
refused config-not-root "$b" 'owned by uid 65534, not root: refused' "$b/config.json"
chown 0 "$b/config.json"
mv "$b/config.json" "$b/real.json"
ln -s real.json "$b/config.json"
refused config-symlink "$b" 'is a symbolic link, refused' "$b/config.json"
rm "$b/config.json"
mv "$b/real.json" "$b/config.json"

echo "== policy, key and registries.d files a non-root user can write"
b="$(bundle trust)"
cp "$W/conf/policy.json" "$W/policy.orig"
chmod 0666 "$W/conf/policy.json"
refused policy-writable "$b" 'mode 0666 is group- or world-writable: refused' "$W/conf/policy.json"
chmod 0644 "$W/conf/policy.json"
chown 65534 "$W/conf/policy.json"
refused policy-not-root "$b" 'owned by uid 65534, not root: refused' "$W/conf/policy.json"
chown 0 "$W/conf/policy.json"
echo 'not really a key' >"$W/conf/key.gpg"
chmod 0664 "$W/conf/key.gpg"
jq -n --arg k "$W/conf/key.gpg" \
  '{default: [{type: "signedBy", keyType: "GPGKeys", keyPath: $k}]}' >"$W/conf/policy.json"
refused key-writable "$b" 'keyPath: .*mode 0664 is group- or world-writable: refused' \
  "$W/conf/key.gpg" "$W/conf/policy.json"
chmod 0644 "$W/conf/key.gpg"
chown 65534 "$W/conf/key.gpg"
refused key-not-root "$b" 'owned by uid 65534, not root: refused' "$W/conf/key.gpg"
cp "$W/policy.orig" "$W/conf/policy.json"
printf 'default-docker:\n  lookaside: file:///var/lib/sigs\n' >"$W/conf/registries.d/a.yaml"
chmod 0646 "$W/conf/registries.d/a.yaml"
refused registries-d-writable "$b" 'mode 0646 is group- or world-writable: refused' \
  "$W/conf/registries.d/a.yaml"
rm "$W/conf/registries.d/a.yaml"
chmod 0777 "$W/conf/registries.d"
refused registries-d-dir-writable "$b" 'registries.d' "$W/conf/registries.d"
chmod 0755 "$W/conf/registries.d"

echo "== a 1 GB signature file"
moat_conf_jq '.runtime = $r' --arg r "$RUNC"
fake_docker_signed_busybox "$W"
sig="$FAKE_SIGNATURE"
moat_conf_jq '.runtime = "/usr/bin/true"'
cid="$(printf 'hostile-ok-%s' "$$" | sha256sum | cut -d' ' -f1)"
b="$(fake_docker_container "$cid" '["true"]')"
"$MOAT_RUNTIME" --root "$RUNC_ROOT" create --bundle "$b" "$cid" </dev/null >/dev/null 2>"$W/signed.err" ||
  fail "the signed image was refused: $(cat "$W/signed.err")"
"$MOAT_RUNTIME" --root "$RUNC_ROOT" delete --force "$cid" >/dev/null 2>&1 || true
cid="$(printf 'hostile-1g-%s' "$$" | sha256sum | cut -d' ' -f1)"
b="$(fake_docker_container "$cid" '["true"]')"
rm -f "$sig"
truncate -s 1G "$sig"
REFUSE_ID="$cid" refused signature-1g "$b" 'larger than the limit of [0-9]+ bytes' "$sig"
echo "PASS"
