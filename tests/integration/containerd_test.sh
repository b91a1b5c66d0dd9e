#!/usr/bin/env bash
# moat-runtime with a real, private containerd (own root, state and socket):
#   - containerd loads contrib/containerd/config.toml and config-default.toml
#     (the CRI handler "moat" and the default handler "runc", both with
#     BinaryName = moat-runtime): the CRI plugin comes up and `containerd
#     config dump` shows both handlers running moat-runtime;
#   - `ctr run --runc-binary moat-runtime` starts a container hardened by the
#     restricted profile, and refuses --privileged with moat's reason in ctr's
#     output (containerd's shim passes --log and --log-format json);
#   - with a policy that requires signatures, a `ctr image import`ed
#     (side-loaded) image is refused, and the audit log says why.
#   - a CRI client (tests/tools/cri_client.py, speaking runtime.v1 as a
#     kubelet does) runs a pod with the handler "moat" and one with the
#     default handler: both sandboxes and their containers go through moat,
#     come up hardened, and a writable hostPath of /etc is refused at
#     StartContainer with moat's reason. (CNI is a stub plugin that hands out
#     an address without touching the host's network.)
# (contrib/kubernetes's RuntimeClass names the same handler: contrib_test.sh.)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd containerd ctr jq gzip sha256sum openssl /usr/bin/python3
need_moat_runtime
[[ "$(uname -m)" == x86_64 ]] || skip "the hand-built images are linux/amd64"

W="$(tmp_dir work)"
moat_env "$W/conf" enforce restricted # before containerd: its shims pass MOAT_CONFIG on
start_cri_containerd

echo "== containerd loads contrib/containerd's handlers"
containerd --config "$CTRD/config.toml" config dump >"$W/dump.toml" 2>/dev/null ||
  fail "containerd config dump failed"
/usr/bin/python3 - "$W/dump.toml" "$MOAT_RUNTIME" <<'PY' || fail "config dump: the handlers do not run moat-runtime"
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    runtimes = tomllib.load(f)["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
for h in ("moat", "runc"):
    r = runtimes.get(h, {})
    print(f'handler "{h}": {r.get("runtime_type")}, BinaryName = {r.get("options", {}).get("BinaryName")}')
    if r.get("runtime_type") != "io.containerd.runc.v2" or r.get("options", {}).get("BinaryName") != sys.argv[2]:
        sys.exit(1)
PY

echo "== ctr run --runc-binary moat-runtime: hardened"
oci_image_tar "$W/busybox.tar" moat.local/busybox:1
ctr image import "$W/busybox.tar" >/dev/null || fail "ctr image import failed"
IMG=moat.local/busybox:1
# crun IMAGE ID ARGS...: a removed-after container through moat; prints ctr's
# output, then the container's (the shim writes it to a file: an attached
# ctr can lose the output of a process that exits at once).
crun() {
  local img="$1" id="$2" rc=0
  shift 2
  timeout 60 ctr --address "$CTRD/c.sock" -n "$CTRD_NS" run --rm --runc-binary "$MOAT_RUNTIME" \
    --runc-root "$RUNC_ROOT" --log-uri "file://$W/$id.log" "$@" "$img" "$id" \
    sh -c "$HARDENED_PROBE" 2>&1 || rc=$?
  cat "$W/$id.log" 2>/dev/null
  return "$rc"
}
out="$(crun "$IMG" c-hard)" || fail "ctr run through moat failed: $out"
echo "$out"
assert_hardened "$out" "ctr run"
tail -n1 "$W/conf/audit.log" | jq -e '.decision == "allow" and .image.engine == "containerd"
    and .image.used_reference == "moat.local/busybox:1"' >/dev/null ||
  fail "audit record: $(tail -n1 "$W/conf/audit.log")"

echo "== refusals reach ctr's output"
# refused WANT IMAGE ID ARGS...
refused() {
  local want="$1"
  shift
  expect_refusal "$want" crun "$@"
}
refused 'refused: profile "restricted": process.capabilities: holds CAP_SYS_ADMIN' "$IMG" c-priv --privileged
refused "joins the host's pid namespace" "$IMG" c-pid --with-ns pid:/proc/1/ns/pid

echo "== a side-loaded image under a policy that requires signatures"
# A key that never signed anything: only registry images signed by it may run.
openssl ecparam -name prime256v1 -genkey -noout -out "$W/key.pem" 2>/dev/null
openssl ec -in "$W/key.pem" -pubout -out "$W/key.pub" 2>/dev/null
chmod 0644 "$W/key.pub"
jq -n --arg key "$W/key.pub" '{default: [{type: "sigstoreSigned", keyPath: $key}]}' \
  >"$W/conf/policy.json"
refused 'default[0]: sigstoreSigned: no signatures in' "$IMG" c-side
tail -n1 "$W/conf/audit.log" | jq -e '.decision == "deny" and .image.engine == "containerd"
    and .image.trusted == "no"' >/dev/null || fail "audit record: $(tail -n1 "$W/conf/audit.log")"
echo "== CRI (as a kubelet): pods with the handler \"moat\" and the default one"
/usr/bin/python3 -c 'import grpc' 2>/dev/null || skip "needs python3-grpcio for the CRI client"
echo '{"default": [{"type": "insecureAcceptAnything"}]}' >"$W/conf/policy.json"
cri_images
for handler in moat ""; do
  name="pod-${handler:-default}"
  p="$(cri_pod "$handler" "$name")"
  out="$(cri_run "$p" "$name" probe -- /bin/sh -c "$HARDENED_PROBE")"
  read -r c code <<<"$out"
  out="$(tail -n +2 <<<"$out")"
  echo "handler \"${handler:-runc (default)}\", exit $code:" $out
  assert_eq "$code" 0 "exit code"
  assert_hardened "$out" "CRI container (handler \"$handler\")"
  # Both the sandbox (pause) container and the app container went through moat.
  n="$(jq -s --arg p "$p" --arg c "$c" \
    '[.[] | select(.verb == "create" and .decision == "allow" and (.id == $p or .id == $c))] | length' \
    "$W/conf/audit.log")"
  assert_eq "$n" 2 "allow records for the sandbox and the container"
done
c="$(cri create "$p" "$name" etc "$MOAT_TEST_TMP/cri-logs/$name" moat.local/busybox:1 --mount /etc:/host-etc -- /bin/true 2>&1)" ||
  fail "CreateContainer: $c"
if out="$(cri start "$c" 2>&1)"; then fail "StartContainer of a writable /etc hostPath succeeded"; fi
echo "$out" | cut -c1-400
assert_match "$out" "moat: create $c refused: .*/etc is the host's /etc and profile \"restricted\" grants no host path there" "StartContainer refusal"
echo PASS
