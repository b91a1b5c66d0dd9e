#!/usr/bin/env bash
# moat.conf rules on the annotations containerd's CRI plugin writes, with a
# private containerd driven as a kubelet drives it (tests/tools/cri_client.py;
# lib.sh start_cri_containerd). The default profile is "open" (restricted, but
# the image's root user stays root, on a writable root); rules match io.kubernetes.cri.sandbox-namespace, which the
# CRI plugin sets from the pod's namespace, an untrusted hint:
#   - a pod in namespace prod gets the stricter restricted (uid 65534, a
#     read-only root), its audit records name the rule; a pod in namespace
#     dev gets open (uid 0, a writable root);
#   - a rule on that annotation naming "node" (open with host namespaces)
#     cannot grant more: a host-network pod in kube-system is refused, and the
#     refusal says that the rule was ignored and why;
#   - with trusted_hints trusting annotations in containerd namespace k8s.io,
#     the same pod runs on the host's network under "node"; the same
#     annotation from `ctr run` in another containerd namespace still grants
#     nothing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd containerd ctr jq gzip sha256sum /usr/bin/python3
need_moat_runtime
[[ "$(uname -m)" == x86_64 ]] || skip "the hand-built images are linux/amd64"
/usr/bin/python3 -c 'import grpc' 2>/dev/null || skip "needs python3-grpcio for the CRI client"

W="$(tmp_dir work)"
mkdir -m 0755 "$W/profiles"
cp -r "$MOAT_SOURCE_DIR/profiles/." "$W/profiles/"
jq '.readonly_rootfs = false | .user = {root: "allow"} |
    .description = "restricted, but root stays root, on a writable root"' \
  "$MOAT_SOURCE_DIR/profiles/restricted.json" >"$W/profiles/open.json"
jq '.deny.host_namespaces = false | .description = "node agents: open, on the host network"' \
  "$W/profiles/open.json" >"$W/profiles/node.json"
chmod -R go-w "$W/profiles"
export MOAT_PROFILES_DIR="$W/profiles"
moat_env "$W/conf" enforce open # before containerd: its shims pass MOAT_CONFIG on
start_cri_containerd
cri_images

NS_KEY=io.kubernetes.cri.sandbox-namespace
moat_conf_jq '.rules = [
    {name: "prod-strict", match: {annotations: {($k): "prod"}}, profile: "restricted"},
    {name: "system-node", match: {annotations: {($k): "kube-system"}}, profile: "node"}]' \
  --arg k "$NS_KEY"
"$MOAT_CLI" profile rules >"$W/lint.out" 2>&1 || fail "moat profile rules: $(cat "$W/lint.out")"

# audit_of ID: the last audit record of container ID.
audit_of() { jq -sc --arg id "$1" '[.[] | select(.id == $id)] | last' "$W/conf/audit.log"; }
# probe POD_NAME NS: a pod of that name in namespace NS, HARDENED_PROBE in it;
# sets POD and CTR (ids) and OUT (the probe's output).
probe() {
  local code
  POD="$(cri_pod moat "$1" --namespace "$2")"
  OUT="$(cri_run "$POD" "$1" probe --namespace "$2" -- /bin/sh -c "$HARDENED_PROBE")"
  read -r CTR code <<<"$OUT"
  OUT="$(tail -n +2 <<<"$OUT")"
  echo "pod $1 in namespace $2, exit $code:" $OUT
  assert_eq "$code" 0 "exit code"
}

echo "== a pod in namespace prod gets the stricter profile; one in dev the default"
probe prod-pod prod
assert_hardened "$OUT" "prod pod"
for id in "$POD" "$CTR"; do
  audit_of "$id" | jq -e '.rule == "prod-strict" and .profile == "restricted" and .decision == "allow"' \
    >/dev/null || fail "audit record of $id: $(audit_of "$id")"
done
probe dev-pod dev
assert_match "$OUT" $'^0\n' "dev pod: uid 0 (profile open)"
assert_match "$OUT" $'\nroot-rw\n' "dev pod: writable root (profile open)"
for id in "$POD" "$CTR"; do
  audit_of "$id" | jq -e '.rule == "default" and .profile == "open" and .decision == "allow"' \
    >/dev/null || fail "audit record of $id: $(audit_of "$id")"
done

echo "== untrusted: the annotation rule naming \"node\" cannot grant the host network"
if out="$(cri run-pod moat sys-pod "$MOAT_TEST_TMP/cri-logs/sys-pod" --namespace kube-system \
  --host-network 2>&1)"; then
  echo "$out" >>"$MOAT_TEST_TMP/cri-pods"
  fail "a host-network pod in kube-system ran on an untrusted annotation"
fi
echo "$out" | cut -c1-600
assert_match "$out" "moat: create [0-9a-f]+ refused: profile \"open\": linux.namespaces: no network namespace" "RunPodSandbox refusal"
ignored='rules[1] "system-node": matches untrusted labels/annotations, and profile "node" is not provably stricter than "open" (deny): ignored'
[[ "$out" == *"$ignored"* ]] || fail "the refusal does not say that the rule was ignored: $out"
tail -n1 "$W/conf/audit.log" | jq -e --arg i "$ignored" '.decision == "deny" and .rule == "default"
    and .profile == "open" and (.reasons | index($i))' >/dev/null ||
  fail "audit record: $(tail -n1 "$W/conf/audit.log")"

echo "== trusted_hints: annotations in containerd namespace k8s.io choose the profile"
moat_conf_jq '.trusted_hints = [{source: "annotations", engine: "containerd", containerd_namespace: "k8s.io"}]'
"$MOAT_CLI" profile rules >"$W/lint.out" 2>&1 || fail "moat profile rules: $(cat "$W/lint.out")"
POD="$(cri_pod moat sys-pod2 --namespace kube-system --host-network)"
out="$(cri_run "$POD" sys-pod2 netns --namespace kube-system --host-network -- readlink /proc/self/ns/net)"
read -r CTR code <<<"$out"
assert_eq "$code" 0 "exit code"
assert_eq "$(tail -n1 <<<"$out")" "$(readlink /proc/self/ns/net)" "the container's network namespace"
for id in "$POD" "$CTR"; do
  audit_of "$id" | jq -e '.rule == "system-node" and .profile == "node" and .decision == "allow"' \
    >/dev/null || fail "audit record of $id: $(audit_of "$id")"
done
echo "== the same annotation through ctr in another containerd namespace grants nothing"
ctr image import "$MOAT_TEST_TMP/busybox.tar" >/dev/null || fail "ctr image import failed"
expect_refusal "profile \"open\": linux.namespaces: no network namespace" timeout 60 ctr --address "$CTRD/c.sock" -n "$CTRD_NS" \
  run --rm --runc-binary "$MOAT_RUNTIME" --runc-root "$RUNC_ROOT" --net-host \
  --annotation "$NS_KEY=kube-system" moat.local/busybox:1 c-ann true
tail -n1 "$W/conf/audit.log" | jq -e '.id == "c-ann" and .decision == "deny" and .rule == "default"' \
  >/dev/null || fail "audit record: $(tail -n1 "$W/conf/audit.log")"
echo PASS
