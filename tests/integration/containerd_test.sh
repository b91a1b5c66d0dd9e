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
# (contrib/kubernetes's RuntimeClass names the same handler: contrib_test.sh.)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd containerd ctr jq gzip sha256sum openssl /usr/bin/python3
need_moat_runtime
[[ "$(uname -m)" == x86_64 ]] || skip "the hand-built images are linux/amd64"

W="$(tmp_dir work)"
moat_env "$W/conf" enforce restricted # before containerd: its shims pass MOAT_CONFIG on
snippets=""
for f in config.toml config-default.toml; do
  snippets+="$(sed "s|/usr/local/sbin/moat-runtime|$MOAT_RUNTIME|" \
    "$MOAT_SOURCE_DIR/contrib/containerd/$f")"$'\n'
done
# The CRI plugin's own pieces a private containerd must not share with the host's.
snippets+='[plugins."io.containerd.grpc.v1.cri"]
  disable_cgroup = false
  stream_server_port = "0"
[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "'"$W"'/cni-bin"
  conf_dir = "'"$W"'/cni-conf"
'
start_containerd "$snippets"
moat_conf_jq '.containerd_root = $r | .containerd_state = $s' \
  --arg r "$CTRD/root" --arg s "$CTRD/state"

echo "== containerd loads contrib/containerd's handlers"
ctr plugins ls | awk '$2 == "cri" {print; found = 1} END {exit !found}' | grep -qw ok ||
  fail "the CRI plugin did not load: $(ctr plugins ls | grep -w cri) $(grep -i 'cri' "$CTRD/log" | tail -n 5)"
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
# crun IMAGE ID ARGS...: an attached, removed-after container through moat.
crun() {
  local img="$1" id="$2"
  shift 2
  timeout 60 ctr --address "$CTRD/c.sock" -n "$CTRD_NS" run --rm --runc-binary "$MOAT_RUNTIME" --runc-root "$RUNC_ROOT" "$@" "$img" "$id" \
    sh -c 'id -u; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status;
      if touch /x 2>/dev/null; then echo root-rw; else echo root-ro; fi' 2>&1
}
out="$(crun "$IMG" c-hard)" || fail "ctr run through moat failed: $out"
echo "$out"
assert_match "$out" '^65534' "uid"
assert_match "$out" $'CapEff:\t0000000000000000' "CapEff"
assert_match "$out" $'NoNewPrivs:\t1' "NoNewPrivs"
assert_match "$out" 'root-ro' "read-only rootfs"
tail -n1 "$W/conf/audit.log" | jq -e '.decision == "allow" and .image.engine == "containerd"
    and .image.used_reference == "moat.local/busybox:1"' >/dev/null ||
  fail "audit record: $(tail -n1 "$W/conf/audit.log")"

echo "== refusals reach ctr's output"
# refused WANT IMAGE ID ARGS...
refused() {
  local want="$1" out
  shift
  if out="$(crun "$@")"; then fail "ctr run $* ran under moat: $out"; fi
  echo "$out" | tail -n1 | cut -c1-400
  [[ "$out" == *"$want"* ]] || fail "ctr run $*: output lacks '$want'"
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
echo PASS
