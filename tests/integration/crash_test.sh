#!/usr/bin/env bash
# Crash safety: moat-runtime killed with SIGKILL at random points of hundreds
# of `create`s. Whatever the moment, the bundle's config.json must be the
# original bytes or the complete rewrite (never partial, never missing), and
# moat's own temporary files must not pile up beside it. After the storm one
# normal create (the "next run") must work and leave nothing mounted under
# moat's state_dir.
#
# MOAT_CRASH_RUNS (default 300; 100 under MOAT_SANITIZED) sets the number of
# kills; delays are uniform over 1.3x moat's own time-to-exec (measured first
# with /usr/bin/true as the downstream runtime), so most kills land inside
# moat and the rest in runc.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd "$RUNC" jq python3
need_moat_runtime

runs="${MOAT_CRASH_RUNS:-300}"
[[ -n "${MOAT_SANITIZED:-}" ]] && runs="${MOAT_CRASH_RUNS:-100}"
W="$(tmp_dir work)"
moat_env "$W/conf" enforce restricted
on_exit runc_delete_all "$RUNC_ROOT"
ids_file="$W/ids"
: >"$ids_file"
# Killed creates can leave runc's cgroups behind (runc never wrote its state).
on_exit 'while read -r id; do for d in /sys/fs/cgroup/*/"$id" /sys/fs/cgroup/"$id"; do
  [[ -d "$d" ]] && rmdir "$d" 2>/dev/null; done; done <"'"$ids_file"'"; true'

B="$W/bundle"
make_bundle "$B" '["true"]'
cp "$B/config.json" "$W/original.json"

echo "== the complete rewrite, from one create that is not killed"
cp -a "$B" "$W/copy"
id="$(new_id whole)"
echo "$id" >>"$ids_file"
"$MOAT_RUNTIME" --root "$RUNC_ROOT" create --bundle "$W/copy" "$id" </dev/null >/dev/null 2>&1 ||
  fail "un-killed create failed"
"$RUNC" --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 || true
cp "$W/copy/config.json" "$W/rewritten.json"
cmp -s "$W/original.json" "$W/rewritten.json" && fail "the profile changed nothing: no rewrite to catch"
jq -e . "$W/rewritten.json" >/dev/null || fail "the rewrite is not JSON"

echo "== moat's own time to exec (downstream /usr/bin/true)"
jq '.runtime = "/usr/bin/true"' "$MOAT_CONFIG" >"$W/conf/true.conf"
chmod 0644 "$W/conf/true.conf"

echo "== $runs creates, each killed after a random delay"
RUNC_ROOT="$RUNC_ROOT" python3 - "$runs" "$B" "$W" "$ids_file" <<'PY' ||
import os, random, signal, subprocess, sys, time

runs, bundle, work, ids_file = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
moat, runc, root = os.environ["MOAT_RUNTIME"], os.environ["RUNC"], os.environ["RUNC_ROOT"]
original = open(work + "/original.json", "rb").read()
rewritten = open(work + "/rewritten.json", "rb").read()
config = bundle + "/config.json"
devnull = os.open("/dev/null", os.O_RDWR)

def restore():
    tmp = bundle + "/.restore"
    with open(tmp, "wb") as f:
        f.write(original)
    os.chmod(tmp, 0o644)
    os.rename(tmp, config)

def spawn(argv, env):
    return subprocess.Popen(argv, stdin=devnull, stdout=devnull, stderr=devnull, env=env,
                            start_new_session=True)

# Moat's own time to exec: a create whose downstream runtime is /usr/bin/true.
env_true = dict(os.environ, MOAT_CONFIG=work + "/conf/true.conf")
samples = []
for i in range(15):
    restore()
    t0 = time.perf_counter()
    p = spawn([moat, "--root", root, "create", "--bundle", bundle, "probe-%d" % i], env_true)
    p.wait()
    samples.append(time.perf_counter() - t0)
    subprocess.run([moat, "--root", root, "delete", "--force", "probe-%d" % i], env=env_true,
                   stdin=devnull, stdout=devnull, stderr=devnull)
samples.sort()
span = 1.3 * samples[len(samples) // 2]
print("moat time to exec: median %.2f ms; kill delays uniform in [0, %.2f] ms"
      % (samples[len(samples) // 2] * 1e3, span * 1e3), flush=True)

rng = random.Random(os.environ.get("MOAT_CRASH_SEED", "7"))
seen = {"original": 0, "rewritten": 0, "killed": 0, "exited": 0}
bad = 0
temps_max = 0
with open(ids_file, "a") as ids:
    for i in range(runs):
        restore()
        cid = "crash-%d-%d" % (os.getpid(), i)
        ids.write(cid + "\n")
        ids.flush()
        delay = rng.uniform(0, span)
        p = spawn([moat, "--root", root, "create", "--bundle", bundle, cid], os.environ)
        time.sleep(delay)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        rc = p.wait()
        seen["killed" if rc == -signal.SIGKILL else "exited"] += 1
        try:
            got = open(config, "rb").read()
        except FileNotFoundError:
            got = None
        if got == original:
            seen["original"] += 1
        elif got == rewritten:
            seen["rewritten"] += 1
        else:
            bad += 1
            keep = "%s/bad-%d.json" % (work, i)
            open(keep, "wb").write(got or b"")
            print("FAIL: run %d (delay %.2f ms): config.json is %s (kept as %s)"
                  % (i, delay * 1e3, "missing" if got is None else "%d bytes, neither" % len(got),
                     keep), flush=True)
        temps = [n for n in os.listdir(bundle) if n.startswith(".config.json.moat-")]
        temps_max = max(temps_max, len(temps))
        for n in temps:
            data = open(os.path.join(bundle, n), "rb").read()
            if data not in (rewritten, b""):
                print("note: run %d left %s with %d bytes (a partial temporary file)"
                      % (i, n, len(data)), flush=True)
        subprocess.run([runc, "--root", root, "delete", "--force", cid], stdin=devnull,
                       stdout=devnull, stderr=devnull)
left = sorted(n for n in os.listdir(bundle) if n.startswith(".config.json.moat-"))
print("runs %d: killed %d, finished first %d; config.json original %d, rewritten %d, other %d"
      % (runs, seen["killed"], seen["exited"], seen["original"], seen["rewritten"], bad))
print("moat temporary files left in the bundle: %d" % len(left))
with open(work + "/left-temps", "w") as f:
    f.write("".join(n + "\n" for n in left))
sys.exit(1 if bad else 0)
PY
  fail "config.json was neither the original nor the complete rewrite"
left="$(grep -c . "$W/left-temps" || true)"
# A SIGKILL can only leave a temporary file between linking it into the
# directory and renaming it over config.json: a few hundred kills should
# leave next to none. runc ignores them.
((left <= 3)) || fail "$left moat temporary files left in the bundle (want at most 3)"

echo "== the next run: a create that is not killed works, sweeps, leaves nothing mounted"
cp "$W/original.json" "$B/config.json"
# The next create removes leftovers older than a minute (younger ones may be
# a concurrent create's): age those of the storm, and plant a young one.
while read -r t; do
  [[ -n "$t" ]] && touch -d '-2 minutes' "$B/$t"
done <"$W/left-temps"
echo '{' >"$B/.config.json.moat-young"
id="$(new_id next)"
echo "$id" >>"$ids_file"
"$MOAT_RUNTIME" --root "$RUNC_ROOT" run --bundle "$B" "$id" </dev/null >/dev/null 2>&1 ||
  fail "create after the kills failed"
"$RUNC" --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 || true
cmp -s "$B/config.json" "$W/rewritten.json" || fail "the next run's rewrite differs"
[[ -e "$B/.config.json.moat-young" ]] || fail "the next run removed a young temporary file"
rm -f "$B/.config.json.moat-young"
old="$(find "$B" -maxdepth 1 -name '.config.json.moat-*' | wc -l)"
assert_eq "$old" 0 "temporary files left after the next run's sweep"
# Hook for state moat mounts (per-container secret tmpfs): nothing of it may
# stay mounted once the next run has swept.
m="$(mounts_under "$W/conf/state")"
[[ -z "$m" ]] || fail "still mounted under moat's state_dir after the next run: $m"
tail -n1 "$W/conf/audit.log" | jq -e --arg id "$id" '.id == $id and .decision == "allow"' >/dev/null ||
  fail "audit log's last line is not the next run's allow record"
jq -c . "$W/conf/audit.log" >/dev/null || fail "the audit log has a line that is not JSON"
echo "PASS"
