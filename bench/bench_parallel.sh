#!/usr/bin/env bash
# Parallel throughput of moat-runtime against bare runc: bursts of P
# `create`s started at once (different containers of one image), timed from
# the first spawn to the last exit; moat and runc bursts alternate. Two
# cases: plain bundles outside any engine (policy insecureAcceptAnything),
# and containers of a GPG-signed image in a hand-written Docker data-root
# (tests/integration/fake_docker.sh; moat's verification cache warm). See
# bench/README.md.
#
#   bash bench/bench_parallel.sh [-p P] [-r ROUNDS]
#
# MOAT_RUNTIME (default build/shim/moat-runtime) and RUNC (default
# /usr/sbin/runc) come from the environment.
set -euo pipefail

p=64
rounds=5
while getopts 'p:r:h' opt; do
  case "$opt" in
    p) p="$OPTARG" ;;
    r) rounds="$OPTARG" ;;
    *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
[[ "$p" =~ ^[1-9][0-9]*$ && "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "bench: -p and -r want positive integers" >&2; exit 2; }

MOAT_SOURCE_DIR="${MOAT_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export MOAT_SOURCE_DIR
source "$MOAT_SOURCE_DIR/tests/integration/lib.sh"
source "$MOAT_SOURCE_DIR/tests/integration/fake_docker.sh"
need_root
need_cmd jq python3 skopeo gpg "$RUNC"
[[ -x "$MOAT_RUNTIME" ]] || { echo "bench: no moat-runtime at $MOAT_RUNTIME: build first" >&2; exit 1; }

test_tmp
work="$MOAT_TEST_TMP"
# As bench.sh: bundles, runc's --root and moat's state on tmpfs, as engines keep them.
mount -t tmpfs -o mode=0755,size=512m moat-bench "$work"
mkdir -m 0700 "$RUNC_ROOT"
moat_env "$work/conf" enforce restricted
fake_docker_root "$work/docker"
fake_docker_image registry.moat.test/moat/busybox:1
fake_docker_sign_setup "$work/signed" registry.moat.test "$work/look" 2>/dev/null
fake_docker_sign registry.moat.test/moat/busybox:1 "$work/look" >/dev/null
# The signed case's moat.conf: the same, with the signing policy and the data-root.
jq --arg p "$work/signed/policy.json" --arg r "$work/signed/registries.d" --arg d "$FAKE_DOCKER_ROOT" \
  '.policy = $p | .registries_d = $r | .docker_root = $d' "$MOAT_CONFIG" >"$work/conf/signed.conf"
chmod 0644 "$work/conf/signed.conf"

echo "preparing $((4 * p)) bundles"
for i in $(seq 1 "$p"); do
  for arm in moat runc; do
    make_bundle "$work/plain-$arm-$i" '["true"]' >/dev/null
    id="$(printf 'bench-%s-%s' "$arm" "$i" | sha256sum | cut -d' ' -f1)"
    fake_docker_container "$id" '["true"]' >/dev/null
    echo "$id" >>"$work/signed-$arm.ids"
  done
done
on_exit runc_delete_all "$RUNC_ROOT"

echo "moat-runtime: $MOAT_RUNTIME"
echo "runc:         $RUNC ($("$RUNC" --version | head -n1))"
echo "host:         $(uname -r), $(nproc) CPUs; bursts of $p creates, $rounds rounds per arm"
echo

BENCH_P="$p" BENCH_ROUNDS="$rounds" BENCH_WORK="$work" BENCH_ROOT="$RUNC_ROOT" \
  BENCH_DOCKER="$FAKE_DOCKER_ROOT" python3 - <<'PY'
import os, statistics, subprocess, sys, time

p, rounds = int(os.environ["BENCH_P"]), int(os.environ["BENCH_ROUNDS"])
work, root, docker = os.environ["BENCH_WORK"], os.environ["BENCH_ROOT"], os.environ["BENCH_DOCKER"]
moat, runc = os.environ["MOAT_RUNTIME"], os.environ["RUNC"]
devnull = os.open("/dev/null", os.O_RDWR)
signed_ids = {arm: open("%s/signed-%s.ids" % (work, arm)).read().split() for arm in ("moat", "runc")}
cases = {
    "plain": {"conf": work + "/conf/moat.conf",
              "bundles": {arm: ["%s/plain-%s-%d" % (work, arm, i + 1) for i in range(p)]
                          for arm in ("moat", "runc")},
              "ids": {arm: ["plain-%s-%d" % (arm, i) for i in range(p)] for arm in ("moat", "runc")}},
    "signed": {"conf": work + "/conf/signed.conf",
               "bundles": {arm: ["%s/bundles/%s" % (docker, c) for c in signed_ids[arm]]
                           for arm in ("moat", "runc")},
               "ids": signed_ids},
}
pristine = {}
for case in cases.values():
    for arm in ("moat", "runc"):
        for b in case["bundles"][arm]:
            pristine[b] = open(b + "/config.json", "rb").read()


def spawn(argv, env, i):
    # stderr to a file, not a pipe: runc's container init keeps what it inherits open.
    with open("%s/err.%d" % (work, i), "w") as err:
        return subprocess.Popen(argv, stdin=devnull, stdout=devnull, stderr=err, env=env)


def burst(case, arm):
    env = dict(os.environ, MOAT_CONFIG=case["conf"])
    binary = moat if arm == "moat" else runc
    for b in case["bundles"][arm]:  # moat rewrote them last round: start from the same bytes
        with open(b + "/config.json", "wb") as f:
            f.write(pristine[b])
    t0 = time.perf_counter()
    procs = [spawn([binary, "--root", root, "create", "--bundle", b, cid], env, i)
             for i, (b, cid) in enumerate(zip(case["bundles"][arm], case["ids"][arm]))]
    for pr in procs:
        pr.wait()
    t = time.perf_counter() - t0
    for i, pr in enumerate(procs):
        if pr.returncode != 0:
            sys.exit("bench: %s create failed: %s" % (arm, open("%s/err.%d" % (work, i)).read()[-2000:]))
    deleters = [subprocess.Popen([binary, "--root", root, "delete", "--force", cid], env=env,
                                 stdin=devnull, stdout=devnull, stderr=devnull)
                for cid in case["ids"][arm]]
    for d in deleters:
        d.wait()
    return t


print("%-8s %14s %14s %12s %12s %14s" % ("case", "runc burst ms", "moat burst ms", "runc ctr/s",
                                         "moat ctr/s", "moat/runc tput"))
for name, case in cases.items():
    burst(case, "moat")  # warm-up (and the signed case's verification cache)
    burst(case, "runc")
    times = {"moat": [], "runc": []}
    for r in range(rounds):
        for arm in (("moat", "runc") if r % 2 == 0 else ("runc", "moat")):
            times[arm].append(burst(case, arm))
    m, rr = statistics.median(times["moat"]), statistics.median(times["runc"])
    print("%-8s %14.0f %14.0f %12.1f %12.1f %14.2f" % (name, rr * 1e3, m * 1e3, p / rr, p / m, rr / m))
PY
