#!/usr/bin/env bash
# Create overhead of moat-runtime with image verification, against bare runc
# in the same run: a GPG-signed image pulled from a local registry into a
# private dockerd; the config.json of one of its containers is created over
# and over by bench/bench.sh through moat-runtime and through runc, with that
# container's id, so moat resolves the image from dockerd's state and checks
# its signature each time. Warm: the GPG result is cached under state_dir;
# cold: the cache is emptied before each moat create.
#
#   bash bench/bench_signed.sh [-n N]
set -euo pipefail
n=30
while getopts "n:" o; do
  case "$o" in
    n) n="$OPTARG" ;;
    *) echo "usage: $0 [-n N]" >&2; exit 2 ;;
  esac
done
MOAT_SOURCE_DIR="${MOAT_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export MOAT_SOURCE_DIR
source "$MOAT_SOURCE_DIR/tests/integration/lib.sh"
need_root
need_cmd dockerd jq skopeo gpg docker-registry python3
need_moat_runtime

W="$(tmp_dir work)"
start_registry "$W/registry"
gpg_signing_key "$W/gnupg" bench bench@moat.test
cp "$W/gnupg.bench@moat.test.gpg" "$W/key.gpg"

# moat's state_dir (the GPG cache, container records) is /run/moat, a tmpfs,
# in production: the same here.
mkdir -m 0755 "$W/conf"
mount -t tmpfs -o mode=0755,size=16m moat-bench-conf "$W/conf"
moat_env "$W/conf" enforce restricted
start_dockerd bench "$MOAT_RUNTIME" \
  "{\"insecure-registries\": [\"$REG\"], \"runtimes\": {\"moat\": {\"path\": \"$MOAT_RUNTIME\"}, \"plainrunc\": {\"path\": \"$RUNC\"}}}"
moat_conf_jq '.docker_root = $r' --arg r "$DOCKERD_DIR/root"
IMG="$REG/bench/busybox:1"
docker_import_busybox "$IMG"
docker push -q "$IMG" >/dev/null
docker rmi -f "$IMG" >/dev/null
docker pull -q "$IMG" >/dev/null
skopeo inspect --raw --tls-verify=false "docker://$IMG" >"$W/manifest.json"
DIGEST="sha256:$(sha256sum "$W/manifest.json" | cut -d' ' -f1)"
SIGDIR="$W/lookaside/bench/busybox@sha256=${DIGEST#sha256:}"
mkdir -p "$SIGDIR"
skopeo standalone-sign -o "$SIGDIR/signature-1" "$W/manifest.json" "$IMG" "$FPR"
printf 'docker:\n  %s:\n    lookaside: file://%s\n' "$REG" "$W/lookaside" >"$W/conf/registries.d/bench.yaml"
jq -n --arg reg "$REG" --arg key "$W/key.gpg" '{default: [{type: "reject"}],
  transports: {docker: {($reg + "/bench"): [{type: "signedBy", keyType: "GPGKeys", keyPath: $key}]}}}' \
  >"$W/conf/policy.json"
chmod 0644 "$W/conf/policy.json" "$W/conf/registries.d/bench.yaml"

# A container of the image, run by plain runc, gives what moat needs to
# verify at create: dockerd's record of the container id and its overlay
# mount. Its config.json, minus Docker's hooks and with its own cgroup, is
# then created again and again under a private runc root by bench.sh, through
# moat-runtime and through runc, with that container id.
cid="$(docker run -d --runtime plainrunc --network none "$IMG" sleep 3600)"
spec="$(find "$DOCKERD_DIR" -path "*/io.containerd.runtime.v2.task/moby/$cid/config.json" | head -n1)"
[[ -n "$spec" ]] || fail "no bundle for container $cid under $DOCKERD_DIR"
jq '.process.args = ["true"] | .process.terminal = false | del(.hooks) |
    .linux.cgroupsPath = "/moat-bench-signed"' "$spec" >"$W/config.json"
chmod 0644 "$W/config.json"
echo "image $IMG ($DIGEST), signedBy GPG; container $cid"
echo
echo "== warm: the GPG result is cached under state_dir (N=$n)"
BENCH_CONFIG_JSON="$W/config.json" BENCH_ID="$cid" BENCH_NO_RSS=1 \
  bash "$MOAT_SOURCE_DIR/bench/bench.sh" -n "$n" -w 3
echo
cold_n=$(((n + 3) / 4))
echo "== cold: the cache is emptied before every moat create (N=$cold_n)"
BENCH_CONFIG_JSON="$W/config.json" BENCH_ID="$cid" BENCH_NO_RSS=1 \
  BENCH_COLD_DIR="$W/conf/state/cache/gpg" bash "$MOAT_SOURCE_DIR/bench/bench.sh" -n "$cold_n" -w 1
docker rm -f "$cid" >/dev/null
