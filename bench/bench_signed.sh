#!/usr/bin/env bash
# Create overhead of moat-runtime with image verification, against bare runc
# in the same run: a GPG-signed image pulled from a local registry into a
# private dockerd, `docker create` + `docker start -a` + `docker rm` cycles,
# alternating runtime "moat" and runtime "runc" each iteration. The first moat
# create is cold (gpg runs; nothing cached), the rest warm (the GPG result is
# cached under state_dir). Docker's own overhead is the same on both sides and
# cancels in the difference of medians, not in the ratio.
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

echo "moat-runtime: $MOAT_RUNTIME; image $IMG ($DIGEST), signedBy GPG; N=$n alternating pairs"
BENCH_IMG="$IMG" BENCH_N="$n" BENCH_CACHE="$W/conf/state/cache/gpg" python3 - <<'PY'
import os, shutil, statistics, subprocess, time
img, n, cache = os.environ["BENCH_IMG"], int(os.environ["BENCH_N"]), os.environ["BENCH_CACHE"]
docker = "/usr/bin/docker" if os.path.exists("/usr/bin/docker") else "docker"

def cycle(runtime):
    cid = subprocess.run([docker, "create", "--runtime", runtime, "--network", "none", img, "true"],
                         check=True, capture_output=True, text=True).stdout.strip()
    t0 = time.perf_counter_ns()
    subprocess.run([docker, "start", "-a", cid], check=True, capture_output=True)
    dt = time.perf_counter_ns() - t0
    subprocess.run([docker, "rm", "-f", cid], check=True, capture_output=True)
    return dt / 1e6

def med(v): return statistics.median(v)
for _ in range(3): cycle("plainrunc")
cold, runc_cold = [], []
for i in range(5):  # cold: cache emptied before each moat start
    shutil.rmtree(cache, ignore_errors=True)
    cold.append(cycle("moat")); runc_cold.append(cycle("plainrunc"))
warm, runc = [], []
cycle("moat")
for i in range(n):
    if i % 2: warm.append(cycle("moat")); runc.append(cycle("plainrunc"))
    else: runc.append(cycle("plainrunc")); warm.append(cycle("moat"))
print(f"{'docker start -a, ms':28} {'runc med':>9} {'moat med':>9} {'diff':>8} {'ratio':>6}")
print(f"{'signed image, cold (gpg)':28} {med(runc_cold):9.1f} {med(cold):9.1f} {med(cold)-med(runc_cold):+8.1f} {med(cold)/med(runc_cold):6.3f}")
print(f"{'signed image, warm (cached)':28} {med(runc):9.1f} {med(warm):9.1f} {med(warm)-med(runc):+8.1f} {med(warm)/med(runc):6.3f}")
PY
