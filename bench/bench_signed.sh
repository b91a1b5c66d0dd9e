#!/usr/bin/env bash
# Create overhead of moat-runtime with image verification, against bare runc
# in the same run: a GPG-signed image pulled from a local registry into a
# private dockerd; the config.json of one of its containers is created over
# and over by bench/bench.sh through moat-runtime and through runc, with that
# container's id, so moat resolves the image from dockerd's state and checks
# its signature each time. Warm: the GPG result is cached under state_dir;
# cold: the cache is emptied before each moat create. Then the same with a
# scan verdict required too (moat.conf `verdicts`, a Trivy report signed with
# `moat verdict import`): warm (the verified verdict cached under state_dir)
# and cold (both caches emptied).
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
publish_busybox "$IMG" "$W/manifest.json"
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

echo
echo "== signature + scan verdict: moat.conf requires a fresh verdict within max_severity HIGH"
[[ -x "$MOAT_CLI" ]] || fail "moat not built: $MOAT_CLI"
mkdir -m 0755 "$W/verdicts"
"$MOAT_CLI" verdict keygen --out "$W/scanner" >/dev/null
moat_conf_jq '.verdicts = {store: $store, keys: [$key], max_severity: "HIGH", max_age_hours: 168}' \
  --arg store "$W/verdicts" --arg key "$W/scanner.pub"
"$MOAT_CLI" verdict import --from trivy "$MOAT_SOURCE_DIR/tests/fixtures/verdicts/trivy-report.json" \
  --image "$DIGEST" --key "$W/scanner.key" --scanned-at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >/dev/null
# The fixture report has 2 CRITICAL findings; allowlist them so the image runs
# with the whole report (11 findings) evaluated on every create.
moat_conf_jq '.verdicts.allowlist = [{id: "CVE-2023-45853", expires: "2099-12-31", reason: "bench"},
  {id: "CVE-2024-45491", expires: "2099-12-31", reason: "bench"}]'
"$MOAT_CLI" verdict check "$DIGEST" --name "$IMG" >/dev/null || fail "the bench verdict does not pass"
echo "== warm: GPG result and verified verdict cached under state_dir (N=$n)"
BENCH_CONFIG_JSON="$W/config.json" BENCH_ID="$cid" BENCH_NO_RSS=1 \
  bash "$MOAT_SOURCE_DIR/bench/bench.sh" -n "$n" -w 3
echo
echo "== cold: both caches emptied before every moat create (N=$cold_n)"
BENCH_CONFIG_JSON="$W/config.json" BENCH_ID="$cid" BENCH_NO_RSS=1 \
  BENCH_COLD_DIR="$W/conf/state/cache" bash "$MOAT_SOURCE_DIR/bench/bench.sh" -n "$cold_n" -w 1

# moat's own share, without runc's noise: moat-runtime create with
# /usr/bin/true as the downstream runtime (moat does all its work, then execs
# true), signature only vs signature + verdict, against true alone.
echo
echo "== moat's own time for create, downstream /usr/bin/true, warm (N=$((n * 2)))"
jq '.runtime = "/usr/bin/true"' "$MOAT_CONFIG" >"$W/conf/true-verdict.conf"
jq '.runtime = "/usr/bin/true" | del(.verdicts)' "$MOAT_CONFIG" >"$W/conf/true-signed.conf"
chmod 0644 "$W/conf/true-verdict.conf" "$W/conf/true-signed.conf"
mkdir -m 0755 "$W/tb"
mount -t tmpfs -o mode=0755,size=16m moat-bench-tb "$W/tb"  # bundles live on tmpfs (/run)
BENCH_N=$((n * 2)) BENCH_ID="$cid" BENCH_MOAT="$MOAT_RUNTIME" BENCH_B="$W/tb" BENCH_SPEC="$W/config.json" \
  BENCH_SIGNED="$W/conf/true-signed.conf" BENCH_VERDICT="$W/conf/true-verdict.conf" python3 - <<'PY'
import os, statistics, time
e = os.environ
n, cid, moat, b, spec = int(e["BENCH_N"]), e["BENCH_ID"], e["BENCH_MOAT"], e["BENCH_B"], e["BENCH_SPEC"]
pristine = open(spec, "rb").read()
devnull = os.open("/dev/null", os.O_RDWR)
arms = {"true alone": (["/usr/bin/true"], None),
        "moat, signature": ([moat, "create", "--bundle", b, cid], e["BENCH_SIGNED"]),
        "moat, signature + verdict": ([moat, "create", "--bundle", b, cid], e["BENCH_VERDICT"])}
samples = {k: [] for k in arms}
for i in range(n + 5):
    order = list(arms) if i % 2 == 0 else list(reversed(list(arms)))
    for arm in order:
        argv, conf = arms[arm]
        with open(os.path.join(b, "config.json"), "wb") as f:
            f.write(pristine)
        env = dict(e, MOAT_CONFIG=conf) if conf else dict(e)
        t0 = time.perf_counter_ns()
        pid = os.posix_spawn(argv[0], argv, env, file_actions=[
            (os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1)])
        _, st, _ = os.wait4(pid, 0)
        dt = time.perf_counter_ns() - t0
        if os.waitstatus_to_exitcode(st) != 0:
            raise SystemExit("%s failed (MOAT_CONFIG=%s)" % (" ".join(argv), conf))
        if i >= 5:
            samples[arm].append(dt / 1e6)
base = statistics.median(samples["true alone"])
signed = statistics.median(samples["moat, signature"])
for arm, v in samples.items():
    print("%-28s median %7.3f ms  (+%.3f over true alone)" % (arm, statistics.median(v),
                                                              statistics.median(v) - base))
paired = [a - s for a, s in zip(samples["moat, signature + verdict"], samples["moat, signature"])]
print("%-28s median %+7.3f ms (difference of medians %+.3f)" % (
    "verdict check adds", statistics.median(paired),
    statistics.median(samples["moat, signature + verdict"]) - signed))
PY
docker rm -f "$cid" >/dev/null
