#!/usr/bin/env bash
# Overhead of moat-runtime over bare runc: create, create+start+delete cycle,
# and a passthrough call (state), alternating moat/runc each iteration; then
# moat-runtime's own peak RSS. See bench/README.md for the method and caveats.
#
#   bash bench/bench.sh [-n N] [-w WARMUP] [-m enforce|audit] [-p PROFILE]
#                       [-c MOAT_CONF] [-o SAMPLES.csv]
#
# MOAT_RUNTIME (default build/shim/moat-runtime), RUNC (default /usr/sbin/runc)
# and MOAT_CONFIG (used as -c when set) come from the environment. For
# bench_signed.sh: BENCH_CONFIG_JSON (a config.json to create from instead of
# the busybox bundle's), BENCH_ID (one container id for every cycle, which
# image verification needs: an engine's container id), BENCH_COLD_DIR (removed
# before each moat create, outside the timed call: a cold cache) and
# BENCH_NO_RSS=1 (skip the peak RSS part).
set -euo pipefail

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

n=200
warmup=5
mode=enforce
profile=restricted
conf="${MOAT_CONFIG:-}"
csv=""
while getopts 'n:w:m:p:c:o:h' opt; do
  case "$opt" in
    n) n="$OPTARG" ;;
    w) warmup="$OPTARG" ;;
    m) mode="$OPTARG" ;;
    p) profile="$OPTARG" ;;
    c) conf="$OPTARG" ;;
    o) csv="$OPTARG" ;;
    *) usage ;;
  esac
done
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "bench: -n wants a positive integer" >&2; exit 2; }
[[ "$warmup" =~ ^[0-9]+$ ]] || { echo "bench: -w wants an integer" >&2; exit 2; }
[[ -z "$csv" || "$csv" == /* ]] || csv="$PWD/$csv"
[[ -z "$conf" || "$conf" == /* ]] || conf="$PWD/$conf"

MOAT_SOURCE_DIR="${MOAT_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export MOAT_SOURCE_DIR
# Helpers: make_bundle, moat_env, need_*, and a per-run directory whose runc
# containers are force-deleted and mounts removed on exit, however we exit.
source "$MOAT_SOURCE_DIR/tests/integration/lib.sh"
need_root
need_cmd jq python3 "$RUNC"
if [[ ! -x "$MOAT_RUNTIME" ]]; then
  echo "bench: no moat-runtime at $MOAT_RUNTIME: build first (cmake -S . -B build &&" \
    "cmake --build build) or set MOAT_RUNTIME" >&2
  exit 1
fi
if [[ ! -x /usr/bin/time ]]; then
  echo "bench: installing GNU time for the RSS measurement" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi

test_tmp
work="$MOAT_TEST_TMP"
# Engines keep bundles and runtime state on tmpfs (/run): Docker's and
# containerd's task directories, runc's --root, moat's state_dir. Do the same
# here, so both sides pay for memory writes, not for this disk's fsync.
if [[ "${MOAT_BENCH_TMPFS:-1}" == 1 ]]; then
  mount -t tmpfs -o mode=0755,size=64m moat-bench "$work"
  mkdir -m 0700 "$RUNC_ROOT"
fi
if [[ -z "$conf" ]]; then
  moat_env "$work/conf" "$mode" "$profile"
  conf="$MOAT_CONFIG"
fi
[[ -f "$conf" ]] || { echo "bench: no moat.conf at $conf" >&2; exit 1; }
export MOAT_CONFIG="$conf"

# Two identical bundles: moat rewrites config.json of the one it creates, so
# each create starts from the pristine file (restored outside the timed call).
make_bundle "$work/bm" '["true"]'
cp -a "${BENCH_CONFIG_JSON:-$work/bm/config.json}" "$work/pristine.json"
make_bundle "$work/br" '["true"]'
cp "$work/pristine.json" "$work/br/config.json"

is_elf() { [[ "$(head -c 4 "$(readlink -f "$1")" | od -An -c | tr -d ' ')" == '177ELF' ]]; }
kind="ELF binary"
is_elf "$MOAT_RUNTIME" || kind="NOT an ELF binary: a wrapper script?"
echo "moat-runtime: $MOAT_RUNTIME ($kind)"
echo "moat.conf:    $MOAT_CONFIG (mode $(jq -r '.mode // "?"' "$MOAT_CONFIG"), default_profile $(jq -r '.default_profile // "?"' "$MOAT_CONFIG"))"
echo "runc:         $RUNC ($("$RUNC" --version | head -n1))"
echo "host:         $(uname -r), $(nproc) CPUs; N=$n alternating pairs after $warmup warm-up pairs"
echo

BENCH_MOAT="$MOAT_RUNTIME" BENCH_RUNC="$RUNC" BENCH_ROOT="$RUNC_ROOT" BENCH_WORK="$work" \
  BENCH_N="$n" BENCH_WARMUP="$warmup" BENCH_CSV="$csv" python3 - <<'PY'
import os, shutil, signal, statistics, sys, time

moat, runc, root, work = (os.environ[k] for k in ("BENCH_MOAT", "BENCH_RUNC", "BENCH_ROOT", "BENCH_WORK"))
n, warmup, csv = int(os.environ["BENCH_N"]), int(os.environ["BENCH_WARMUP"]), os.environ["BENCH_CSV"]
pristine = open(os.path.join(work, "pristine.json"), "rb").read()
bundles = {"moat": os.path.join(work, "bm"), "runc": os.path.join(work, "br")}
binary = {"moat": moat, "runc": runc}
errlog = os.path.join(work, "stderr.log")
devnull = os.open("/dev/null", os.O_RDWR)
env = dict(os.environ)
live = []  # container ids possibly left behind
stop = []  # a signal asked us to stop: finish the call in flight, clean up, exit


def on_signal(signum, frame):
    stop.append(signum)


signal.signal(signal.SIGINT, on_signal)
signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGHUP, on_signal)


def run(argv):
    """Spawn argv (posix_spawn: vfork+exec), wait, return wall ns. Exits on failure.

    Children get their own process group, so a Ctrl-C never lands in the middle
    of a runc create (which would orphan its `runc init`)."""
    if stop:
        cleanup()
        sys.exit(128 + stop[0])
    err = os.open(errlog, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    actions = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1),
               (os.POSIX_SPAWN_DUP2, err, 2)]
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=actions, setpgroup=0)
    _, status, _ = os.wait4(pid, 0)
    t1 = time.perf_counter_ns()
    os.close(err)
    rc = os.waitstatus_to_exitcode(status)
    if rc != 0:
        sys.stderr.write("bench: %s exited %d\n%s" % (" ".join(argv), rc, open(errlog).read()[-4000:]))
        cleanup()
        sys.exit(1)
    return t1 - t0


def rt(arm, *args):
    return [binary[arm], "--root", root, *args]


def cycle(arm, cid):
    with open(os.path.join(bundles[arm], "config.json"), "wb") as f:
        f.write(pristine)
    if arm == "moat" and os.environ.get("BENCH_COLD_DIR"):
        shutil.rmtree(os.environ["BENCH_COLD_DIR"], ignore_errors=True)
    live.append(cid)
    c = run(rt(arm, "create", "--bundle", bundles[arm], "--pid-file", os.path.join(work, cid + ".pid"), cid))
    s = run(rt(arm, "start", cid))
    d = run(rt(arm, "delete", "--force", cid))
    live.remove(cid)
    return c, c + s + d


def cleanup():
    for cid in list(live):
        for argv in (rt("moat", "delete", "--force", cid), rt("runc", "delete", "--force", cid)):
            try:
                pid = os.posix_spawn(argv[0], argv, env, setpgroup=0, file_actions=[
                    (os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)])
                os.waitpid(pid, 0)
            except OSError:
                pass
        live.remove(cid)


samples = {k: {"moat": [], "runc": []} for k in ("create", "cycle", "state")}
tag = "%d-%d" % (os.getpid(), time.time_ns() % 100000)
for i in range(warmup + n):
    order = ("moat", "runc") if i % 2 == 0 else ("runc", "moat")
    for arm in order:
        c, cy = cycle(arm, os.environ.get("BENCH_ID") or "bench-%s-%s-%d" % (tag, arm[0], i))
        if i >= warmup:
            samples["create"][arm].append(c)
            samples["cycle"][arm].append(cy)

# Passthrough: state of one created (not started) container, through each.
sid = os.environ.get("BENCH_ID") or "bench-%s-state" % tag
with open(os.path.join(bundles["runc"], "config.json"), "wb") as f:
    f.write(pristine)
live.append(sid)
run(rt("runc", "create", "--bundle", bundles["runc"], sid))
for i in range(warmup + n):
    order = ("moat", "runc") if i % 2 == 0 else ("runc", "moat")
    for arm in order:
        t = run(rt(arm, "state", sid))
        if i >= warmup:
            samples["state"][arm].append(t)
run(rt("runc", "delete", "--force", sid))
live.remove(sid)

if csv:
    with open(csv, "w") as f:
        f.write("phase,iteration,moat_ns,runc_ns\n")
        for phase, d in samples.items():
            for i, (m, r) in enumerate(zip(d["moat"], d["runc"])):
                f.write("%s,%d,%d,%d\n" % (phase, i, m, r))

ms = lambda ns: ns / 1e6
print("%-22s %10s %10s %10s %12s %7s %10s %10s" % (
    "wall time, ms", "runc med", "moat med", "diff", "paired diff", "ratio", "runc p90", "moat p90"))
for phase, label in (("create", "create"), ("cycle", "create+start+delete"), ("state", "state (passthrough)")):
    m, r = samples[phase]["moat"], samples[phase]["runc"]
    mm, mr = statistics.median(m), statistics.median(r)
    paired = statistics.median([a - b for a, b in zip(m, r)])
    q = lambda xs: statistics.quantiles(xs, n=10)[-1] if len(xs) >= 2 else xs[0]
    print("%-22s %10.3f %10.3f %+10.3f %+12.3f %7.3f %10.3f %10.3f" % (
        label, ms(mr), ms(mm), ms(mm - mr), ms(paired), mm / mr, ms(q(r)), ms(q(m))))
PY

[[ "${BENCH_NO_RSS:-0}" != 1 ]] || exit 0

# --- peak RSS -----------------------------------------------------------------
# ru_maxrss survives execve (the kernel folds the old mm's high-water mark into
# the process's maxrss), so moat's own peak is measured by letting it exec a
# tiny downstream runtime (/usr/bin/true) instead of runc; the floor is what
# /usr/bin/time reports for /usr/bin/true alone (its fork copies time's own
# high-water mark). See README.md.
echo
rss_conf_dir="$work/rss"
mkdir -m 0755 "$rss_conf_dir"
jq '.runtime = "/usr/bin/true"' "$MOAT_CONFIG" >"$rss_conf_dir/moat.conf"
chmod 0644 "$rss_conf_dir/moat.conf"

# peak_kib CMD...: GNU time's %M for CMD (KiB); "!" appended when CMD failed.
peak_kib() {
  local out="$work/rss.out" rc=0
  /usr/bin/time -f '%M' -o "$out" "$@" >/dev/null 2>"$work/rss.err" </dev/null || rc=$?
  if ((rc != 0)); then
    echo "$(tail -n1 "$out")!"
  else
    tail -n1 "$out"
  fi
}

max_of() { printf '%s\n' "$@" | tr -d '!' | sort -n | tail -n1; }
any_failed() { [[ "$*" == *'!'* ]]; }

floor=() moat_create=() moat_pass=() moat_runc=() runc_create=()
for i in 1 2 3 4 5; do
  id="rss-$$-$i"
  floor+=("$(peak_kib /usr/bin/true)")
  cp "$work/pristine.json" "$work/bm/config.json"
  moat_create+=("$(MOAT_CONFIG="$rss_conf_dir/moat.conf" peak_kib \
    "$MOAT_RUNTIME" --root "$RUNC_ROOT" create --bundle "$work/bm" "$id-t")")
  MOAT_CONFIG="$rss_conf_dir/moat.conf" "$MOAT_RUNTIME" --root "$RUNC_ROOT" delete --force "$id-t" \
    >/dev/null 2>&1 || true
  moat_pass+=("$(MOAT_CONFIG="$rss_conf_dir/moat.conf" peak_kib \
    "$MOAT_RUNTIME" --root "$RUNC_ROOT" state "$id-t")")
  cp "$work/pristine.json" "$work/bm/config.json"
  moat_runc+=("$(peak_kib "$MOAT_RUNTIME" --root "$RUNC_ROOT" create --bundle "$work/bm" "$id-m")")
  "$MOAT_RUNTIME" --root "$RUNC_ROOT" delete --force "$id-m" >/dev/null 2>&1 || true
  cp "$work/pristine.json" "$work/br/config.json"
  runc_create+=("$(peak_kib "$RUNC" --root "$RUNC_ROOT" create --bundle "$work/br" "$id-r")")
  "$RUNC" --root "$RUNC_ROOT" delete --force "$id-r" >/dev/null 2>&1 || true
done
printf '%-52s %8s\n' "peak RSS, KiB (max of 5)" ""
printf '%-52s %8s\n' "floor: /usr/bin/true under /usr/bin/time" "$(max_of "${floor[@]}")"
printf '%-52s %8s%s\n' "moat-runtime create, downstream /usr/bin/true" "$(max_of "${moat_create[@]}")" \
  "$(any_failed "${moat_create[@]}" && echo '  (moat exited non-zero: a deny/error path)')"
printf '%-52s %8s%s\n' "moat-runtime state (passthrough), downstream true" "$(max_of "${moat_pass[@]}")" \
  "$(any_failed "${moat_pass[@]}" && echo '  (exited non-zero)')"
printf '%-52s %8s\n' "moat-runtime create through runc: max(moat, runc)" "$(max_of "${moat_runc[@]}")"
printf '%-52s %8s\n' "runc create alone" "$(max_of "${runc_create[@]}")"
if ! is_elf "$MOAT_RUNTIME"; then
  echo "note: $MOAT_RUNTIME is not an ELF binary (a wrapper script?): the 'downstream true' rows" \
    "measure moat only if it honours moat.conf's runtime"
fi
