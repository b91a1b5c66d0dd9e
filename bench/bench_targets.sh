#!/usr/bin/env bash
# The two standing targets, each as a ratio or difference in one run:
#  - a passthrough verb (`state`) through moat-runtime against one extra exec
#    of a minimal static program that execs the next one (bench/tools/execnext.c);
#    target: at most 1.2 x that exec's cost;
#  - moat's own work on a warm create (profile restricted, its seccomp filter
#    cached): moat-runtime create with /usr/bin/true as the downstream runtime,
#    less /usr/bin/true alone; target: at most 0.5 ms.
# Bundle, runtime root and moat's state on tmpfs, as engines keep them; the
# three arms alternate, order rotating, so drift lands on all of them.
#
#   bash bench/bench_targets.sh [-n N]        (default N=300)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MOAT_SOURCE_DIR="${MOAT_SOURCE_DIR:-$(cd "$here/.." && pwd)}"
export MOAT_SOURCE_DIR
source "$MOAT_SOURCE_DIR/tests/integration/lib.sh"
need_root
need_cmd jq python3 gcc
n=300
while getopts 'n:h' opt; do
  case "$opt" in
    n) n="$OPTARG" ;;
    *) echo "usage: bench_targets.sh [-n N]" >&2; exit 2 ;;
  esac
done
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "bench: -n wants a positive integer" >&2; exit 2; }
need_moat_runtime

test_tmp
work="$MOAT_TEST_TMP"
mount -t tmpfs -o mode=0755,size=64m moat-bench "$work"
mkdir -m 0700 "$RUNC_ROOT"
gcc -static -O2 -o "$work/execnext" "$here/tools/execnext.c"
moat_env "$work/conf" enforce restricted
moat_conf_jq '.runtime = "/usr/bin/true"'
make_bundle "$work/b" '["true"]'
cp "$work/b/config.json" "$work/pristine.json"
echo "moat-runtime: $MOAT_RUNTIME; N=$n rounds of three arms; $(nproc) CPUs"

BENCH_MOAT="$MOAT_RUNTIME" BENCH_WORK="$work" BENCH_ROOT="$RUNC_ROOT" BENCH_N="$n" python3 - <<'PY'
import os, statistics, sys, time

moat, work, root, n = (os.environ[k] for k in ("BENCH_MOAT", "BENCH_WORK", "BENCH_ROOT", "BENCH_N"))
n = int(n)
bundle = os.path.join(work, "b")
pristine = open(os.path.join(work, "pristine.json"), "rb").read()
devnull = os.open("/dev/null", os.O_RDWR)
env = dict(os.environ)


def run(argv, check=True):
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=[
        (os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1),
        (os.POSIX_SPAWN_DUP2, devnull, 2)])
    _, status, _ = os.wait4(pid, 0)
    t = time.perf_counter_ns() - t0
    if check and os.waitstatus_to_exitcode(status) != 0:
        sys.exit("bench: %s failed" % " ".join(argv))
    return t


def create(i):
    with open(os.path.join(bundle, "config.json"), "wb") as f:
        f.write(pristine)
    cid = "t%d" % i
    t = run([moat, "--root", root, "create", "--bundle", bundle, cid])
    run([moat, "--root", root, "delete", "--force", cid], check=False)
    return t


true = "/usr/bin/true"
arms = {
    "true": lambda i: run([true, "--root", root, "state", "x"]),
    "execnext": lambda i: run([os.path.join(work, "execnext"), true, "--root", root, "state", "x"]),
    "moat state": lambda i: run([moat, "--root", root, "state", "x"]),
    "moat create": create,
}
names = list(arms)
samples = {k: [] for k in names}
for i in range(n + 10):
    for k in names[i % len(names):] + names[:i % len(names)]:
        t = arms[k](i)
        if i >= 10:
            samples[k].append(t)
med = {k: statistics.median(v) / 1e6 for k, v in samples.items()}
for k in names:
    print("%-12s median %8.3f ms" % (k, med[k]))
exec_cost = med["execnext"] - med["true"]
pass_cost = med["moat state"] - med["true"]
print("passthrough: moat adds %.3f ms, one extra exec %.3f ms: %.2f x (target <= 1.2 x)" % (
    pass_cost, exec_cost, pass_cost / exec_cost))
print("warm create: moat's own work %.3f ms (target <= 0.5 ms)" % (med["moat create"] - med["true"]))
PY
