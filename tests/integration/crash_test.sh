#!/usr/bin/env bash
# Crash safety: moat-runtime killed with SIGKILL at random points of hundreds
# of `create`s, in two storms: one under a plain profile, one under a profile
# that gives the container three secrets (two from a plain store, one from a
# sealed store), so that kills land while moat makes the per-container secrets
# directory, mounts its tmpfs, writes the secret files and rewrites
# config.json with their bind mounts. After every kill:
#   - the bundle's config.json is the original bytes or the complete rewrite
#     (under secrets, the rewrite for that container id), never partial,
#     never missing;
#   - moat's temporary files do not pile up beside it (at most 3 per storm).
# After each storm one normal create (the "next run") must work and its
# sweeps must leave no temporary file older than a minute beside config.json
# (a young one stays: it may be a concurrent create's), nothing mounted under
# moat's state_dir, and, under secrets, no secrets directory (mounted or not)
# of any killed container id: the sweep removes every one whose container
# (runc state.json) and creator process are both gone, and the test deletes
# each killed container with plain runc, so all of them. No secret value may
# be left on disk outside the stores. The storm under secrets reports in
# which step of the secrets phase each kill landed.
# Then `run` (runc deletes the container itself, so no delete comes): after
# a foreground run ends (0, an exit status, the container's signal death, or
# SIGTERM to moat-runtime passed on) nothing of the secrets or moat's record
# is left, and moat's exit status is runc's; run --detach stays as runc's.
#
# MOAT_CRASH_RUNS (default 300; 100 under MOAT_SANITIZED) sets the number of
# kills per storm; MOAT_CRASH_SEED the delays. Delays are uniform over 1.3x
# moat's own time to exec (measured first with /usr/bin/true as the
# downstream runtime), so most kills land inside moat and the rest in runc.
# Under secrets that is half of the kills; the calibration also times the
# secrets phase (the secrets directory appearing, its tmpfs mounted,
# config.json replaced), and the other half wait for the directory (a
# quarter) or the mount (a quarter) before their delay, within windows that
# start at the phase's measured length and adapt to where kills land.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd "$RUNC" jq python3
need_moat_runtime
[[ -x "$MOAT_CLI" ]] || fail "moat CLI not built: $MOAT_CLI"

runs="${MOAT_CRASH_RUNS:-300}"
[[ -n "${MOAT_SANITIZED:-}" ]] && runs="${MOAT_CRASH_RUNS:-100}"
W="$(tmp_dir work)"
STATE="$W/conf/state"
# The profiles: moat's own, and restricted plus three secrets.
mkdir -m 0755 "$W/profiles"
cp -R "$MOAT_SOURCE_DIR"/profiles/. "$W/profiles/"
jq '.secrets = [
  {"store": "vault", "name": "db/password", "target": "/run/secrets/db"},
  {"store": "vault", "name": "cert", "target": "/etc/app/cert", "mode": "0440"},
  {"store": "sealed", "name": "api-token", "target": "/etc/app/api", "uid": 0, "gid": 65534}]' \
  "$MOAT_SOURCE_DIR/profiles/restricted.json" >"$W/profiles/withsecrets.json"
chmod 0644 "$W"/profiles/*.json
export MOAT_PROFILES_DIR="$W/profiles"
moat_env "$W/conf" enforce restricted
on_exit runc_delete_all "$RUNC_ROOT"
# Killed creates can leave runc's cgroups behind (runc never wrote its state).
on_exit 'cat "'"$W"'"/ids-* 2>/dev/null | while read -r id; do
  for d in /sys/fs/cgroup/*/"$id" /sys/fs/cgroup/"$id"; do
    [[ -d "$d" ]] && rmdir "$d" 2>/dev/null; done; done; true'

# The storm, run once per profile: python3 storm.py RUNS LABEL BUNDLE IDS_FILE
# [SECRETS_DIR TEMPLATE_ID FILES], with STORM_DIR=$W. It reads
# $W/LABEL-original.json and $W/LABEL-rewritten.json (the rewrite of an
# un-killed create of TEMPLATE_ID, in which the id is replaced by each
# container's), calibrates against $W/conf/true.conf, and writes
# $W/LABEL-left-temps. FILES is the number of secret files.
cat >"$W/storm.py" <<'PY'
import os, random, signal, subprocess, sys, time

runs, label, bundle, ids_file = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
secrets, tid, files = (sys.argv[5], sys.argv[6], int(sys.argv[7])) if len(sys.argv) > 5 else (None, "", 0)
work = os.environ["STORM_DIR"]
moat, runc, root = os.environ["MOAT_RUNTIME"], os.environ["RUNC"], os.environ["RUNC_ROOT"]
original = open("%s/%s-original.json" % (work, label), "rb").read()
template = open("%s/%s-rewritten.json" % (work, label), "rb").read()
config = bundle + "/config.json"
devnull = os.open("/dev/null", os.O_RDWR)

def rewrite_for(cid):
    return template.replace(tid.encode(), cid.encode()) if tid else template

def restore():
    tmp = bundle + "/.restore"
    with open(tmp, "wb") as f:
        f.write(original)
    os.chmod(tmp, 0o644)
    os.rename(tmp, config)
    return os.stat(config).st_ino

def spawn(argv, env):
    return subprocess.Popen(argv, stdin=devnull, stdout=devnull, stderr=devnull, env=env,
                            start_new_session=True)

def quiet(argv, env=None):
    subprocess.run(argv, env=env, stdin=devnull, stdout=devnull, stderr=devnull)

def median(v):
    return sorted(v)[len(v) // 2]

def ms(s):
    return s * 1e3

# Where in the secrets phase a kill landed, from what it left:
#   before   no secrets directory for the id (killed earlier, or in the sweep)
#   dir      the directory, no owner record yet
#   owner    the owner record, the tmpfs not mounted yet
#   mounted  the tmpfs mounted, config.json still the original (files: how
#            many secret files it held)
#   after    config.json rewritten (moat's last writes, or runc)
def secrets_step(cid, config_original):
    d = os.path.join(secrets, cid)
    if not os.path.isdir(d):
        return "before", 0
    if not os.path.exists(d + "/owner"):
        return "dir", 0
    if not os.path.ismount(d + "/fs"):
        return "owner", 0
    if not config_original:
        return "after", 0
    return "mounted", len(os.listdir(d + "/fs"))

# Moat's own time to exec: a create whose downstream runtime is /usr/bin/true.
# Under secrets each probe also sweeps the secrets its predecessor left, and
# the probe is watched (stat in a loop) for when the secrets directory
# appears, its tmpfs is mounted and config.json is replaced.
env_true = dict(os.environ, MOAT_CONFIG=work + "/conf/true.conf")
samples, t_dir, t_mount, t_rename = [], [], [], []
for i in range(15):
    ino = restore()
    cid = "probe-%d" % i
    seen_at = {}
    t0 = time.perf_counter()
    p = spawn([moat, "--root", root, "create", "--bundle", bundle, cid], env_true)
    while secrets and p.poll() is None:
        now = time.perf_counter() - t0
        d = os.path.join(secrets, cid)
        if "dir" not in seen_at and os.path.isdir(d):
            seen_at["dir"] = now
        if "dir" in seen_at and "mount" not in seen_at and os.path.ismount(d + "/fs"):
            seen_at["mount"] = now
        if "rename" not in seen_at and os.stat(config).st_ino != ino:
            seen_at["rename"] = now
    p.wait()
    samples.append(time.perf_counter() - t0)
    if len(seen_at) == 3:
        t_dir.append(seen_at["dir"])
        t_mount.append(seen_at["mount"])
        t_rename.append(seen_at["rename"])
for i in range(15):
    quiet([moat, "--root", root, "delete", "--force", "probe-%d" % i], env_true)
span = 1.3 * median(samples)
print("moat time to exec: median %.2f ms; kill delays uniform in [0, %.2f] ms"
      % (ms(median(samples)), ms(span)), flush=True)
# Under secrets a quarter of the kills wait (stat in a loop) for the secrets
# directory to appear, then a random delay within the time the phase takes
# to the rename over config.json; a quarter wait for the tmpfs to be
# mounted, then a delay within the time from the mount to the rename. Both
# windows start at the calibration's medians and then follow the kills: a
# kill that came after the rename shrinks its window by a fifth, one inside
# the phase widens it by a tenth (up to twice the start), so that about half
# of them land inside whatever the machine's load does to fsync.
phase_for = mounted_for = None
if secrets:
    if len(t_dir) < 5:
        sys.exit("calibration: only %d of 15 probes were seen through the secrets phase"
                 % len(t_dir))
    phase_for = max(1e-4, median([r - d for d, r in zip(t_dir, t_rename)]))
    mounted_for = max(1e-4, median([r - m for m, r in zip(t_mount, t_rename)]))
    print("secrets phase: directory at %.2f ms, tmpfs mounted at %.2f ms, config.json replaced "
          "at %.2f ms (medians)" % (ms(median(t_dir)), ms(median(t_mount)), ms(median(t_rename))),
          flush=True)

window = {"uniform": span, "phase": phase_for, "mounted": mounted_for}
start = dict(window)
rng = random.Random(os.environ.get("MOAT_CRASH_SEED", "7"))
seen = {"original": 0, "rewritten": 0, "killed": 0, "exited": 0}
steps = {"before": 0, "dir": 0, "owner": 0, "mounted": 0, "after": 0}
by_kind = {}
partial_files = 0
left_max = 0
noted = set()
bad = 0
with open(ids_file, "a") as ids:
    for i in range(runs):
        kind = "uniform"
        if secrets and i % 4 == 1:
            kind = "phase"
        elif secrets and i % 4 == 3:
            kind = "mounted"
        restore()
        cid = "crash-%s-%d-%d" % (label, os.getpid(), i)
        ids.write(cid + "\n")
        ids.flush()
        delay = rng.uniform(0, window[kind])
        p = spawn([moat, "--root", root, "create", "--bundle", bundle, cid], os.environ)
        if kind != "uniform":
            d = os.path.join(secrets, cid)
            seen_yet = os.path.isdir if kind == "phase" else lambda d: os.path.ismount(d + "/fs")
            deadline = time.perf_counter() + 10 * span
            while p.poll() is None and not seen_yet(d) and time.perf_counter() < deadline:
                os.sched_yield()
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
        elif got == rewrite_for(cid):
            seen["rewritten"] += 1
        else:
            bad += 1
            keep = "%s/%s-bad-%d.json" % (work, label, i)
            open(keep, "wb").write(got or b"")
            print("FAIL: run %d (%s, delay %.2f ms): config.json is %s (kept as %s)"
                  % (i, kind, ms(delay), "missing" if got is None else "%d bytes, neither" % len(got),
                     keep), flush=True)
        if secrets:
            step, n = secrets_step(cid, got == original)
            steps[step] += 1
            by_kind.setdefault(kind, {}).setdefault(step, 0)
            by_kind[kind][step] += 1
            if kind != "uniform":
                window[kind] = (window[kind] * 0.8 if step == "after"
                                else min(2 * start[kind], window[kind] * 1.1))
            if step == "mounted" and n < files:
                partial_files += 1
            # What the sweeps have not removed yet (this kill's, and the
            # previous one's when this kill came before the sweep).
            left_max = max(left_max, len([n for n in os.listdir(secrets) if n != ".lock"]))
        for n in os.listdir(bundle):
            if not n.startswith(".config.json.moat-") or n in noted:
                continue
            noted.add(n)  # checked once, against the rewrite of the run that left it
            data = open(os.path.join(bundle, n), "rb").read()
            if data not in (rewrite_for(cid), b""):
                print("note: run %d left %s with %d bytes (a partial temporary file)"
                      % (i, n, len(data)), flush=True)
        # Plain runc: the secrets are left to the next create's sweep.
        quiet([runc, "--root", root, "delete", "--force", cid])
left = sorted(n for n in os.listdir(bundle) if n.startswith(".config.json.moat-"))
print("runs %d: killed %d, finished first %d; config.json original %d, rewritten %d, other %d"
      % (runs, seen["killed"], seen["exited"], seen["original"], seen["rewritten"], bad))
if secrets:
    print("kills in the secrets phase: %d (directory only %d, owner record %d, tmpfs mounted %d, "
          "%d of these holding fewer than %d files); before it %d, after the rewrite %d"
          % (steps["dir"] + steps["owner"] + steps["mounted"], steps["dir"], steps["owner"],
             steps["mounted"], partial_files, files, steps["before"], steps["after"]))
    for kind in ("uniform", "phase", "mounted"):
        print("  %-8s kills (window %.2f ms at the end): %s" % (kind, ms(window[kind]), ", ".join(
            "%s %d" % (s, by_kind.get(kind, {}).get(s, 0)) for s in steps)))
    print("secrets directories awaiting a sweep after a kill: at most %d" % left_max)
print("moat temporary files left in the bundle: %d" % len(left))
with open("%s/%s-left-temps" % (work, label), "w") as f:
    f.write("".join(n + "\n" for n in left))
sys.exit(1 if bad else 0)
PY

# storm LABEL BUNDLE [SECRETS_DIR TEMPLATE_ID FILES]: the kills, against
# $MOAT_CONFIG, then the temporary files they left (at most 3: a SIGKILL can
# only leave one between linking it into the directory and renaming it over
# config.json).
storm() {
  local label="$1" left
  jq '.runtime = "/usr/bin/true"' "$MOAT_CONFIG" >"$W/conf/true.conf"
  chmod 0644 "$W/conf/true.conf"
  echo "== $label: $runs creates, each killed after a random delay"
  STORM_DIR="$W" RUNC_ROOT="$RUNC_ROOT" python3 "$W/storm.py" "$runs" "$label" "$2" "$W/ids-$label" "${@:3}" ||
    fail "$label: config.json was neither the original nor the complete rewrite"
  left="$(grep -c . "$W/$label-left-temps" || true)"
  ((left <= 3)) || fail "$label: $left moat temporary files left in the bundle (want at most 3)"
}

# rewrite LABEL BUNDLE ID: one create that is not killed gives the complete
# rewrite ($W/LABEL-rewritten.json); its container is deleted through moat.
rewrite() {
  local label="$1" b="$2" id="$3"
  cp "$b/config.json" "$W/$label-original.json"
  cp -a "$b" "$W/$label-copy"
  echo "$id" >>"$W/ids-$label"
  "$MOAT_RUNTIME" --root "$RUNC_ROOT" create --bundle "$W/$label-copy" "$id" </dev/null \
    >"$W/$label-whole.out" 2>&1 || fail "$label: un-killed create failed: $(cat "$W/$label-whole.out")"
  cp "$W/$label-copy/config.json" "$W/$label-rewritten.json"
  "$MOAT_RUNTIME" --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 || true
  cmp -s "$W/$label-original.json" "$W/$label-rewritten.json" &&
    fail "$label: the profile changed nothing: no rewrite to catch"
  jq -e . "$W/$label-rewritten.json" >/dev/null || fail "$label: the rewrite is not JSON"
}

# next_run LABEL BUNDLE ID [TEMPLATE_ID]: after the storm, a create that is
# not killed works, writes the rewrite (for ID), and sweeps old temporary
# files but not young ones. Its container stays for the caller.
next_run() {
  local label="$1" b="$2" id="$3" tid="${4:-}" t old
  cp "$W/$label-original.json" "$b/config.json"
  # The next create removes leftovers older than a minute (younger ones may be
  # a concurrent create's): age those of the storm, and plant a young one.
  while read -r t; do
    [[ -n "$t" ]] && touch -d '-2 minutes' "$b/$t"
  done <"$W/$label-left-temps"
  echo '{' >"$b/.config.json.moat-young"
  echo "$id" >>"$W/ids-$label"
  "$MOAT_RUNTIME" --root "$RUNC_ROOT" create --bundle "$b" "$id" </dev/null >"$W/$label-next.out" 2>&1 ||
    fail "$label: create after the kills failed: $(cat "$W/$label-next.out")"
  if [[ -n "$tid" ]]; then
    sed "s/$tid/$id/g" "$W/$label-rewritten.json" >"$W/$label-want.json"
  else
    cp "$W/$label-rewritten.json" "$W/$label-want.json"
  fi
  cmp -s "$b/config.json" "$W/$label-want.json" || fail "$label: the next run's rewrite differs"
  [[ -e "$b/.config.json.moat-young" ]] || fail "$label: the next run removed a young temporary file"
  rm -f "$b/.config.json.moat-young"
  old="$(find "$b" -maxdepth 1 -name '.config.json.moat-*' | wc -l)"
  assert_eq "$old" 0 "$label: temporary files left after the next run's sweep"
  tail -n1 "$W/conf/audit.log" | jq -e --arg id "$id" '.id == $id and .decision == "allow"' >/dev/null ||
    fail "$label: audit log's last line is not the next run's allow record"
}

B="$W/bundle"
make_bundle "$B" '["true"]'
rewrite plain "$B" "$(new_id whole)"
storm plain "$B"
echo "== plain: the next run works, sweeps, leaves nothing mounted under state_dir"
id="$(new_id next)"
next_run plain "$B" "$id"
"$MOAT_RUNTIME" --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 || fail "delete $id failed"
m="$(mounts_under "$STATE")"
[[ -z "$m" ]] || fail "plain: still mounted under moat's state_dir after the next run: $m"

echo "== secrets: stores with distinctive values, the profile with three secrets"
VALS=("db-$RANDOM$RANDOM$RANDOM-crash" "cert-$RANDOM$RANDOM$RANDOM-crash" "api-$RANDOM$RANDOM$RANDOM-crash")
mkdir -m 0755 "$W/store" "$W/store/db" "$W/sealed"
printf '%s' "${VALS[0]}" >"$W/store/db/password"
printf '%s' "${VALS[1]}" >"$W/store/cert"
chmod 0600 "$W/store/db/password" "$W/store/cert"
"$MOAT_CLI" secret keygen --out "$W/store.key" || fail "keygen failed"
printf '%s' "${VALS[2]}" | "$MOAT_CLI" secret seal --key "$W/store.key" --name api-token \
  --out "$W/sealed/api-token" || fail "seal failed"
moat_conf_jq '.default_profile = "withsecrets" |
  .secret_stores = {vault: {path: $s}, sealed: {path: $z, key: $k}}' \
  --arg s "$W/store" --arg z "$W/sealed" --arg k "$W/store.key"
S="$W/sbundle"
make_bundle "$S" '["true"]'
tid="$(new_id tmpl)"
rewrite secrets "$S" "$tid"
jq -e --arg d "$STATE/secrets/$tid/fs/" '[.mounts[] | select(.source | startswith($d))] | length == 3' \
  "$W/secrets-rewritten.json" >/dev/null || fail "secrets: the rewrite lacks the three secret mounts"
[[ ! -e "$STATE/secrets/$tid" ]] || fail "secrets: delete left $STATE/secrets/$tid"
storm secrets "$S" "$STATE/secrets" "$tid" 3

echo "== secrets: the next run sweeps every killed create's secrets"
id="$(new_id next)"
next_run secrets "$S" "$id" "$tid"
[[ -n "$(mounts_under "$STATE/secrets/$id/fs")" ]] || fail "secrets: the next run has no secrets tmpfs"
# Left: the next run's own directory and tmpfs, nothing else.
m="$(mounts_under "$STATE" | grep -vxF "$STATE/secrets/$id/fs" || true)"
[[ -z "$m" ]] || fail "secrets: still mounted under moat's state_dir after the sweep: $m"
left=()
for d in "$STATE"/secrets/* "$STATE"/secrets/.[!.]*; do
  if [[ -e "$d" && "$d" != "$STATE/secrets/.lock" && "$d" != "$STATE/secrets/$id" ]]; then
    left+=("${d##*/}")
  fi
done
if ((${#left[@]} > 0)); then
  printf '%s\n' "${left[@]}" | grep -xF -f "$W/ids-secrets" | sed 's/^/killed create: /' >&2 || true
  fail "secrets: left in $STATE/secrets after the sweep: ${left[*]}"
fi
echo "ok: none of the $(grep -c . "$W/ids-secrets") created ids but the next run's has a secrets directory or mount"
"$MOAT_RUNTIME" --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 || fail "delete $id failed"
assert_eq "$(ls -A "$STATE/secrets")" .lock "$STATE/secrets after the next run's delete"
m="$(mounts_under "$STATE")"
[[ -z "$m" ]] || fail "secrets: still mounted under moat's state_dir after the next run: $m"
echo "== secrets: run (runc deletes the container itself: moat cleans up when run ends)"
# run_case NAME WANT_RC ARGV...: a foreground `run` of the secrets profile,
# with its exit status WANT_RC; afterwards no secrets directory, no tmpfs and
# no state record of it may be left, and runc must know no such container.
run_left() {
  local id="$1" m
  [[ ! -e "$STATE/secrets/$id" ]] || fail "run $id: $STATE/secrets/$id is left: $(ls -A "$STATE/secrets/$id")"
  m="$(mounts_under "$STATE")"
  [[ -z "$m" ]] || fail "run $id: still mounted under moat's state_dir: $m"
  [[ ! -e "$STATE/containers/$id.json" ]] || fail "run $id: moat's state record is left"
  if "$RUNC" --root "$RUNC_ROOT" state "$id" >/dev/null 2>&1; then fail "run $id: runc still has it"; fi
}
nb=0
for want in 0 3; do
  nb=$((nb + 1)) R="$W/rbundle$nb"
  make_bundle "$R" "$(jq -nc --arg p "cat /run/secrets/db >/dev/null; exit $want" '["sh","-c",$p]')"
  id="$(new_id run)"
  rc=0
  "$MOAT_RUNTIME" --root "$RUNC_ROOT" run --bundle "$R" "$id" </dev/null >"$W/run.out" 2>&1 || rc=$?
  assert_eq "$rc" "$want" "run (exit $want): moat-runtime's exit status: $(cat "$W/run.out")"
  run_left "$id"
done
# wait_running ID: until runc says the container runs (10 s at most).
wait_running() {
  for _ in $(seq 100); do
    [[ "$("$RUNC" --root "$RUNC_ROOT" state "$1" 2>/dev/null | jq -r .status)" == running ]] && return
    sleep 0.1
  done
  fail "container $1 did not start: $(cat "$W/run.out")"
}
# The container killed by SIGKILL: runc reports 137, and so must moat.
nb=$((nb + 1)) R="$W/rbundle$nb"
make_bundle "$R" '["sleep","30"]'
id="$(new_id run)"
"$MOAT_RUNTIME" --root "$RUNC_ROOT" run --bundle "$R" "$id" </dev/null >"$W/run.out" 2>&1 &
mpid=$!
wait_running "$id"
"$RUNC" --root "$RUNC_ROOT" kill "$id" KILL
rc=0
wait "$mpid" || rc=$?
assert_eq "$rc" 137 "run, the container killed by SIGKILL: moat-runtime's exit status"
run_left "$id"
echo "ok: run exits as runc does (0, 3, 137 for the container killed) and leaves nothing"
# moat signalled: SIGTERM to moat-runtime reaches the container through runc,
# moat waits for runc, cleans up, and exits as runc did.
nb=$((nb + 1)) R="$W/rbundle$nb"
make_bundle "$R" '["sh","-c","trap \"exit 7\" TERM; while :; do sleep 0.1; done"]'
id="$(new_id run)"
"$MOAT_RUNTIME" --root "$RUNC_ROOT" run --bundle "$R" "$id" </dev/null >"$W/run.out" 2>&1 &
mpid=$!
wait_running "$id"
[[ -n "$(mounts_under "$STATE/secrets/$id/fs")" ]] || fail "run: no secrets tmpfs while the container runs"
kill -TERM "$mpid"
rc=0
wait "$mpid" || rc=$?
assert_eq "$rc" 7 "run, moat-runtime sent SIGTERM: its exit status (the container's trap): $(cat "$W/run.out")"
run_left "$id"
echo "ok: SIGTERM to moat-runtime run is passed on; it waits, cleans up and exits 7 as the container did"
# run --detach stays runc's: it returns once started, and the secrets stay
# for the running container until delete.
nb=$((nb + 1)) R="$W/rbundle$nb"
make_bundle "$R" '["sleep","30"]'
id="$(new_id run)"
"$MOAT_RUNTIME" --root "$RUNC_ROOT" run --detach --bundle "$R" "$id" </dev/null >"$W/run.out" 2>&1 ||
  fail "run --detach failed: $(cat "$W/run.out")"
[[ -n "$(mounts_under "$STATE/secrets/$id/fs")" ]] || fail "run --detach: the secrets tmpfs is gone already"
"$MOAT_RUNTIME" --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 || fail "delete $id failed"
run_left "$id"
echo "ok: run --detach keeps the secrets for the running container; delete removes them"

for v in "${VALS[@]}"; do
  if grep -rlF --exclude-dir=store "$v" "$W" "$RUNC_ROOT"; then
    fail "a secret value was left on disk outside its store (files above)"
  fi
done
jq -c . "$W/conf/audit.log" >/dev/null || fail "the audit log has a line that is not JSON"
echo "PASS"
