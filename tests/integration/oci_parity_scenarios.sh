# shellcheck shell=bash
# shellcheck disable=SC2016 # jq filters and in-container scripts
# Part (b) of oci_parity_test.sh, sourced by it: lifecycle scenarios, each
# named after the runtime-tools validation test it mirrors, run once under
# bare runc and once under moat-runtime (passthrough profile, policy
# insecureAcceptAnything). A scenario prints what it observes: every step's
# exit status ("LABEL: rc=N"), in-container probes, `state` and the state
# hooks get on stdin, with pid and created replaced and the bundle, output
# directory and id named <bundle>, <out>, <id>. Both prints must be equal.
# Needs W, new_bundle and the conf-* directories from the test.

# Set by run_arm for each run: ARM (runc|moat), O (its output directory),
# B (its bundle, $O/bundle), ID (its container id), STEP (a counter), COUT
# (the file the created container writes its stdout to).

rt() {
  if [[ "$ARM" == moat ]]; then
    "$MOAT_RUNTIME" --root "$RUNC_ROOT" "$@"
  else
    "$RUNC" --root "$RUNC_ROOT" "$@"
  fi
}

norm() {
  sed -e "s#$B#<bundle>#g" -e "s#$O#<out>#g" -e "s#$ID#<id>#g"
}

# The fields of `state` (and of hooks' stdin) that differ from run to run.
STATE_NORM='(if (.pid // 0) > 0 then .pid = "<pid>" else . end) |
  (if has("created") then .created = "<created>" else . end)'

# step LABEL CMD...: run CMD with stdin /dev/null; print "LABEL: rc=N" and
# CMD's stdout, normalised. Sets LAST_RC.
step() {
  local label="$1" rc=0
  shift
  STEP=$((STEP + 1))
  "$@" </dev/null >"$O/$STEP.out" 2>"$O/$STEP.err" || rc=$?
  LAST_RC=$rc
  echo "$label: rc=$rc"
  norm <"$O/$STEP.out" | sed 's/^/  | /'
  return 0
}

# create [LABEL [ID [BUNDLE [FLAGS...]]]]: step LABEL (default create) that
# creates the container; on success COUT is the file it writes to.
create() {
  local label="${1:-create}" id="${2:-$ID}" bundle="${3:-$B}"
  shift 3 || shift $#
  step "$label" rt create --bundle "$bundle" "$@" "$id"
  ((LAST_RC != 0)) || COUT="$O/$STEP.out"
}

rt_state() {
  rt state "${1:-$ID}" | jq -cS "$STATE_NORM"
}

state() { step "${1:-state}" rt_state "${2:-$ID}"; }

# wait_stopped: until runc says the container stopped (10 s at most).
wait_stopped() {
  local i st
  for ((i = 0; i < 100; i++)); do
    st="$("$RUNC" --root "$RUNC_ROOT" state "$ID" 2>/dev/null | jq -r .status)" || {
      echo "wait: no such container"
      return 0
    }
    [[ "$st" == stopped ]] && return 0
    sleep 0.1
  done
  echo "wait: the container did not stop within 10 s"
}

# wait_output TEXT: until the container printed TEXT (10 s at most).
wait_output() {
  local i
  for ((i = 0; i < 100; i++)); do
    grep -q -- "$1" "$COUT" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "wait: no '$1' in the container's output within 10 s"
}

output() {
  echo "container output:"
  norm <"$COUT" | sed 's/^/  | /'
}

# pid_of: the container's pid (runc's state).
pid_of() {
  "$RUNC" --root "$RUNC_ROOT" state "$ID" | jq -r .pid
}

# bundle [FILTER [JQ_ARGS...]]: $B from the template config edited by FILTER.
bundle() {
  local filter="${1:-.}"
  shift || true
  new_bundle "$B" "$filter" "$@"
}

# probe SCRIPT [FILTER [JQ_ARGS...]]: a bundle whose process runs
# `sh -c SCRIPT` (stderr joined to stdout).
probe() {
  local script="$1" filter="${2:-.}"
  shift 2 || shift $#
  bundle ".process.args = [\"sh\", \"-c\", \"exec 2>&1; \" + \$probe] | $filter" --arg probe "$script" "$@"
}

# run_probe: `run` the bundle in the foreground, its output and exit status
# observed (run deletes the container when it exits).
run_probe() {
  step run rt run --bundle "$B" "$ID"
  state state-after-run
}

SLEEP='.process.args = ["sleep", "30"]'

# hook PHASE CMD: a hook that runs `sh -c CMD` (/bin/sh of the host, or of
# the container for startContainer).
hook() {
  jq -nc --arg p "$1" --arg c "$2" '{($p): [{path: "/bin/sh", args: ["sh", "-c", $c]}]}'
}

# --- the scenarios -------------------------------------------------------------

sc_create() {
  bundle "$SLEEP"
  create
  state
  create create-duplicate-id
  state state-after-duplicate
  step delete rt delete "$ID"
  state state-deleted
  mkdir -m 0755 "$B-bad"
  cp -a "$B/rootfs" "$B-bad/rootfs"
  printf '{"ociVersion": "1.0.2-dev", "process": ' >"$B-bad/config.json"
  create create-invalid-json "$ID-2" "$B-bad"
  jq '.process.args = []' "$B/config.json" >"$B-bad/config.json"
  create create-empty-args "$ID-2" "$B-bad"
  jq 'del(.root)' "$B/config.json" >"$B-bad/config.json"
  create create-no-root "$ID-2" "$B-bad"
  state state-after-invalid "$ID-2"
}

sc_start() {
  probe 'echo started'
  step start-unknown-id rt start "$ID"
  create
  step start rt start "$ID"
  wait_stopped
  output
  step start-stopped rt start "$ID"
  step delete rt delete "$ID"
  bundle "$SLEEP"
  create create "$ID-2"
  step start rt start "$ID-2"
  step start-twice rt start "$ID-2"
  state state "$ID-2"
  step delete-force rt delete --force "$ID-2"
}

sc_state() {
  bundle "$SLEEP"
  state state-unknown-id
  create
  state state-created
  step start rt start "$ID"
  state state-running
  step kill rt kill "$ID" KILL
  wait_stopped
  state state-stopped
  step delete rt delete "$ID"
  state state-deleted
}

sc_kill() {
  bundle "$SLEEP"
  create
  step kill-created rt kill "$ID" KILL
  wait_stopped
  state
  step delete rt delete "$ID"
  create
  step start rt start "$ID"
  # The container's pid 1 has no handler for SIGTERM: it stays.
  step kill-TERM rt kill "$ID" TERM
  sleep 0.3
  state state-after-TERM
  step kill-all-KILL rt kill --all "$ID" KILL
  wait_stopped
  state state-after-KILL
  step delete rt delete "$ID"
}

sc_kill_no_effect() {
  bundle '.process.args = ["true"]'
  create
  step start rt start "$ID"
  wait_stopped
  state state-stopped
  step kill-stopped rt kill "$ID" KILL
  state state-after-kill
  step delete rt delete "$ID"
}

sc_killsig() {
  probe 'trap "echo got USR1; exit 0" USR1; echo ready; while :; do sleep 0.1; done'
  create
  step start rt start "$ID"
  wait_output ready
  step kill-USR1 rt kill "$ID" USR1
  wait_stopped
  output
  state
  step delete rt delete "$ID"
}

sc_delete() {
  bundle "$SLEEP"
  step delete-unknown-id rt delete "$ID"
  create
  step delete rt delete "$ID"
  state state-deleted
  create create-again
  step start rt start "$ID"
  step delete-running rt delete "$ID"
  state state-after-refused-delete
  step delete-force rt delete --force "$ID"
  state state-deleted
}

sc_delete_resources() {
  bundle "$SLEEP"
  create
  step start rt start "$ID"
  local pid cg
  pid="$(pid_of)"
  # cgroup v1's pids hierarchy, else v2's unified one.
  cg="$(awk -F: '$2 == "pids" {print "/sys/fs/cgroup/pids" $3}
    $1 == "0" && $2 == "" {print "/sys/fs/cgroup" $3}' "/proc/$pid/cgroup" | head -n1)"
  echo "pids cgroup $(norm <<<"$cg"): $([[ -d "$cg" ]] && echo exists || echo missing)"
  echo "state dir: $([[ -d "$RUNC_ROOT/$ID" ]] && echo exists || echo missing)"
  step delete-force rt delete --force "$ID"
  echo "pids cgroup after delete: $([[ -d "$cg" ]] && echo exists || echo gone)"
  echo "state dir after delete: $([[ -d "$RUNC_ROOT/$ID" ]] && echo exists || echo gone)"
  echo "init process after delete: $(pid_alive "$pid" && echo alive || echo gone)"
}

# The container joins a network namespace made before it: delete must leave it.
sc_delete_only_create_resources() {
  mkdir -m 0755 "$O/ns"
  mount --bind "$O/ns" "$O/ns"
  mount --make-private "$O/ns"
  touch "$O/ns/net"
  unshare --net="$O/ns/net" true
  bundle "$SLEEP"' | .linux.namespaces |= map(if .type == "network" then .path = $p else . end)' \
    --arg p "$O/ns/net"
  create
  step start rt start "$ID"
  local given
  given="$(stat -L -c %i "$O/ns/net")"
  echo "joined the given net namespace: $([[ "$(readlink "/proc/$(pid_of)/ns/net")" == "net:[$given]" ]] &&
    echo yes || echo no)"
  step delete-force rt delete --force "$ID"
  echo "given net namespace after delete: $(stat -f -c %T "$O/ns/net")"
  umount "$O/ns/net" "$O/ns"
}

# Every phase appends its name to one log; startContainer runs in the
# container and reaches the log through a bind mount. (runc 1.1.5 runs the
# poststart hooks at create, not at start: both runs show that.)
sc_hooks() {
  local log="$O/hk/hooks.log" h='{}' p
  mkdir -m 0755 "$O/hk"
  : >"$log"
  for p in prestart createRuntime createContainer poststart poststop; do
    h="$(jq -c --argjson a "$h" --argjson b "$(hook "$p" "echo $p >>$log")" -n '$a + $b')"
  done
  h="$(jq -c --argjson a "$h" --argjson b "$(hook startContainer "echo startContainer >>/hk/hooks.log")" \
    -n '$a + $b')"
  bundle "$SLEEP"' | .hooks = $h | .mounts += [{destination: "/hk", type: "bind", source: $d,
    options: ["rbind", "rw"]}]' --argjson h "$h" --arg d "$O/hk"
  create
  echo "log after create: $(paste -sd' ' "$log")"
  step start rt start "$ID"
  echo "log after start: $(paste -sd' ' "$log")"
  step kill rt kill "$ID" KILL
  wait_stopped
  step delete rt delete "$ID"
  echo "log after delete: $(paste -sd' ' "$log")"
}

# Every hook saves its stdin, the container's state.
sc_hooks_stdin() {
  local h='{}' p
  mkdir -m 0755 "$O/hk"
  for p in prestart createRuntime createContainer poststart poststop; do
    h="$(jq -c --argjson a "$h" --argjson b "$(hook "$p" "cat >$O/hk/$p.json")" -n '$a + $b')"
  done
  h="$(jq -c --argjson a "$h" --argjson b "$(hook startContainer "cat >/hk/startContainer.json")" \
    -n '$a + $b')"
  bundle "$SLEEP"' | .hooks = $h | .annotations = {"com.example.parity": "hooks_stdin"} |
    .mounts += [{destination: "/hk", type: "bind", source: $d, options: ["rbind", "rw"]}]' \
    --argjson h "$h" --arg d "$O/hk"
  create
  step start rt start "$ID"
  step kill rt kill "$ID" KILL
  wait_stopped
  step delete rt delete "$ID"
  for p in prestart createRuntime createContainer startContainer poststart poststop; do
    echo "$p stdin: $(jq -cS "$STATE_NORM" "$O/hk/$p.json" 2>&1 | norm)"
  done
}

sc_prestart_fail() {
  local h
  h="$(jq -c -n --argjson a "$(hook prestart "echo prestart >>$O/hooks.log; exit 1")" \
    --argjson b "$(hook poststop "echo poststop >>$O/hooks.log")" '$a + $b')"
  bundle "$SLEEP"' | .hooks = $h' --argjson h "$h"
  create
  state
  step delete-force rt delete --force "$ID"
  echo "hooks that ran: $(paste -sd' ' "$O/hooks.log" 2>/dev/null)"
}

sc_poststart_fail() {
  local h
  h="$(jq -c -n --argjson a "$(hook poststart "echo poststart >>$O/hooks.log; exit 1")" \
    --argjson b "$(hook poststop "echo poststop >>$O/hooks.log")" '$a + $b')"
  bundle "$SLEEP"' | .hooks = $h' --argjson h "$h"
  create
  step start rt start "$ID"
  wait_stopped
  state
  step delete-force rt delete --force "$ID"
  echo "hooks that ran: $(paste -sd' ' "$O/hooks.log" 2>/dev/null)"
}

sc_poststop_fail() {
  bundle '.process.args = ["true"] | .hooks = $h' \
    --argjson h "$(hook poststop "echo poststop >>$O/hooks.log; exit 1")"
  create
  step start rt start "$ID"
  wait_stopped
  step delete rt delete "$ID"
  state state-after-delete
  echo "hooks that ran: $(paste -sd' ' "$O/hooks.log" 2>/dev/null)"
}

sc_process() {
  probe 'echo "args: $0 $1"; echo "cwd: $(pwd)"; env | sort; grep NoNewPrivs /proc/self/status; exit 3' \
    '.process.args += ["arg0", "a b"] | .process.cwd = "/home" |
     .process.env = ["PATH=/bin", "FOO=bar baz", "EMPTY="]'
  run_probe
}

sc_process_user() {
  probe 'id; umask; touch /tmp/f && stat -c "%a %u:%g" /tmp/f' \
    '.root.readonly = false | .process.user = {uid: 1000, gid: 1000, additionalGids: [10, 20], umask: 23}'
  run_probe
}

sc_process_capabilities() {
  probe 'grep -E "^(Cap|NoNewPrivs)" /proc/self/status' \
    '.process.capabilities = {bounding: $c, effective: $c, permitted: $c, inheritable: $c,
       ambient: ["CAP_NET_RAW"]} | .process.noNewPrivileges = false' \
    --argjson c '["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_KILL", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID"]'
  run_probe
}

# See DIVERGE: runc 1.1.5 only warns.
sc_process_capabilities_fail() {
  bundle "$SLEEP"' | .process.capabilities.bounding += ["CAP_TEST"]'
  create
  state
}

sc_process_rlimits() {
  probe 'grep -E "^Max (open files|processes|core file size)" /proc/self/limits' \
    '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 512, hard: 1024},
       {type: "RLIMIT_NPROC", soft: 300, hard: 400}, {type: "RLIMIT_CORE", soft: 0, hard: 0}]'
  run_probe
}

sc_process_rlimits_fail() {
  bundle "$SLEEP"' | .process.rlimits += [{type: "RLIMIT_BOGUS", soft: 1, hard: 1}]'
  create create-unknown-type
  state
}

sc_process_oom_score_adj() {
  probe 'cat /proc/self/oom_score_adj' '.process.oomScoreAdj = 123'
  run_probe
}

sc_hostname() {
  probe 'hostname; cat /proc/sys/kernel/hostname' '.hostname = "parity-host"'
  run_probe
}

sc_mounts() {
  mkdir -m 0755 "$O/host"
  echo hello >"$O/host/hello"
  probe 'cat /mnt/ro/hello
    touch /mnt/ro/x 2>/dev/null && echo "/mnt/ro: writable" || echo "/mnt/ro: read-only"
    touch /data/x && echo "/data: writable, mode $(stat -c %a /data)"
    awk "\$5 == \"/data\" || \$5 == \"/mnt/ro\" { for (i = 7; \$i != \"-\"; i++); print \$5, \$6, \$(i+1), \$(i+3) }" /proc/self/mountinfo' \
    '.mounts += [{destination: "/data", type: "tmpfs", source: "tmpfs", options: ["nosuid", "size=1m", "mode=0750"]},
       {destination: "/mnt/ro", type: "bind", source: $h, options: ["rbind", "ro"]}]' --arg h "$O/host"
  run_probe
}

sc_root_readonly_true() {
  probe 'touch /x; awk "\$5 == \"/\" {print \$6}" /proc/self/mountinfo' '.root.readonly = true'
  run_probe
}

sc_linux_masked_paths() {
  probe 'ls -A /masked-dir; cat /masked-file; echo "kcore: $(wc -c </proc/kcore)"' \
    '.linux.maskedPaths += ["/masked-dir", "/masked-file"]'
  mkdir -m 0755 "$B/rootfs/masked-dir"
  echo secret >"$B/rootfs/masked-dir/f"
  echo secret >"$B/rootfs/masked-file"
  run_probe
}

sc_linux_readonly_paths() {
  probe 'touch /ro-dir/x 2>/dev/null && echo "/ro-dir: writable" || echo "/ro-dir: read-only"
    touch /other && echo "/: writable"' \
    '.root.readonly = false | .linux.readonlyPaths += ["/ro-dir"]'
  mkdir -m 0755 "$B/rootfs/ro-dir"
  run_probe
}

sc_linux_sysctl() {
  probe 'cat /proc/sys/kernel/shmmax /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/domainname' \
    '.linux.sysctl = {"kernel.shmmax": "12345678", "net.ipv4.ip_forward": "1",
       "kernel.domainname": "parity.example"}'
  run_probe
}

# ns_vs PID REF_PID TYPE...: for each TYPE, "TYPE: same|other" as REF_PID's.
ns_vs() {
  local pid="$1" ref="$2" t
  shift 2
  for t in "$@"; do
    echo "$t: $([[ "$(readlink "/proc/$pid/ns/$t")" == "$(readlink "/proc/$ref/ns/$t")" ]] &&
      echo same || echo other)"
  done
}

sc_linux_ns_nopath() {
  bundle "$SLEEP"' | .linux.namespaces += [{type: "cgroup"}]'
  create
  echo "namespaces against the host's:"
  ns_vs "$(pid_of)" $$ pid net ipc uts mnt cgroup user
  step delete-force rt delete --force "$ID"
}

sc_linux_ns_path() {
  unshare --net --ipc --uts sleep 60 &
  local holder=$! i
  for ((i = 0; i < 50; i++)); do # until unshare has made them
    [[ "$(readlink "/proc/$holder/ns/uts")" != "$(readlink /proc/$$/ns/uts)" ]] && break
    sleep 0.1
  done
  bundle "$SLEEP"' | del(.hostname) | .linux.namespaces |= map(
      if .type == "network" then .path = "/proc/\($h)/ns/net"
      elif .type == "ipc" or .type == "uts" then .path = "/proc/\($h)/ns/\(.type)" else . end)' \
    --arg h "$holder"
  create
  echo "namespaces against the holder's:"
  ns_vs "$(pid_of)" "$holder" net ipc uts pid mnt
  step delete-force rt delete --force "$ID"
  echo "holder after delete: $(pid_alive "$holder" && echo alive || echo gone)"
  kill "$holder"
  wait "$holder" 2>/dev/null || true
}

sc_linux_uid_mappings() {
  probe 'cat /proc/self/uid_map /proc/self/gid_map; id -u; stat -c %u /bin/busybox' \
    '.linux.namespaces += [{type: "user"}] |
     .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}] |
     .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
  run_probe
}

sc_linux_cgroups_pids() {
  probe 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max' \
    '.linux.resources.pids = {limit: 33}'
  run_probe
}

sc_linux_cgroups_memory() {
  probe 'cd /sys/fs/cgroup/memory 2>/dev/null && cat memory.limit_in_bytes memory.soft_limit_in_bytes ||
    cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.low' \
    '.linux.resources.memory = {limit: 67108864, reservation: 33554432}'
  run_probe
}

sc_linux_cgroups_devices() {
  probe 'cat /sys/fs/cgroup/devices/devices.list; head -c1 /dev/mymem >/dev/null; echo "mymem: $?"' \
    '.linux.devices = [{path: "/dev/mymem", type: "c", major: 1, minor: 1, fileMode: 384}] |
     .linux.resources.devices = [{allow: false, access: "rwm"},
       {allow: true, type: "c", major: 1, minor: 3, access: "rw"}]'
  run_probe
}

sc_linux_devices() {
  probe 'stat -c "%n %F %a %t:%T %u:%g" /dev/mynull; echo x >/dev/mynull && echo "mynull: written"' \
    '.linux.devices = [{path: "/dev/mynull", type: "c", major: 1, minor: 3, fileMode: 438, uid: 1, gid: 2}] |
     .linux.resources.devices += [{allow: true, type: "c", major: 1, minor: 3, access: "rwm"}]'
  run_probe
}

sc_linux_seccomp() {
  probe 'mkdir /newdir; echo "mkdir: $?"; grep ^Seccomp: /proc/self/status' \
    '.root.readonly = false | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
       architectures: ["SCMP_ARCH_X86_64"],
       syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}'
  run_probe
}

sc_pidfile() {
  bundle "$SLEEP"
  create create "$ID" "$B" --pid-file "$O/pidfile"
  echo "pid file holds the container's pid: $([[ "$(cat "$O/pidfile")" == "$(pid_of)" ]] && echo yes || echo no)"
  step delete-force rt delete --force "$ID"
}

sc_config_updates_without_affect() {
  probe 'hostname' '.hostname = "before"'
  create
  jq '.hostname = "after"' "$B/config.json" >"$B/config.json.new"
  mv "$B/config.json.new" "$B/config.json"
  step start rt start "$ID"
  wait_stopped
  output
  step delete rt delete "$ID"
}

SCENARIOS=(
  create start state kill kill_no_effect killsig delete delete_resources delete_only_create_resources
  hooks hooks_stdin prestart_fail poststart_fail poststop_fail
  process process_user process_capabilities process_capabilities_fail process_rlimits
  process_rlimits_fail process_oom_score_adj hostname mounts root_readonly_true
  linux_masked_paths linux_readonly_paths linux_sysctl linux_ns_nopath linux_ns_path
  linux_uid_mappings linux_cgroups_pids linux_cgroups_memory linux_cgroups_devices linux_devices
  linux_seccomp pidfile config_updates_without_affect
)

# What bare runc must show (grep -Pz), so that agreement is not agreement
# on nothing.
declare -A EXPECT=(
  [create]='create-duplicate-id: rc=1\n'
  [start]='container output:\n  \| started'
  [kill_no_effect]='kill-stopped: rc=1'
  [killsig]='got USR1'
  [delete]='delete-running: rc=1'
  [hooks]='log after delete: prestart createRuntime createContainer .*startContainer.* poststop'
  [hooks_stdin]='poststop stdin: \{.*"id":"<id>"'
  [process]='run: rc=3\n  \| args: arg0 a b\n  \| cwd: /home\n(.*\n)*  \| NoNewPrivs:\t1'
  [process_user]='groups=10,20'
  [process_capabilities]='CapAmb:\t0000000000002000'
  [process_rlimits]='Max open files +512 +1024'
  [process_oom_score_adj]='  \| 123'
  [hostname]='  \| parity-host'
  [mounts]='/mnt/ro: read-only'
  [linux_sysctl]='  \| 12345678'
  [linux_ns_nopath]='cgroup: other'
  [linux_ns_path]='net: same'
  [linux_cgroups_pids]='  \| 33'
  [linux_cgroups_memory]='  \| 67108864\n  \| 33554432'
  [linux_seccomp]='Operation not permitted'
  [linux_devices]='/dev/mynull character special file 666 1:3 1:2\n  \| mynull: written'
  [pidfile]='pid file holds the container.s pid: yes'
  [config_updates_without_affect]='  \| before'
)

# Where moat differs from runc 1.1.5 on purpose: scenario -> what moat's
# stderr must say, and why. Such a scenario must differ, and in that way.
declare -A DIVERGE=(
  [process_capabilities_fail]='unknown capability "CAP_TEST"'
)
declare -A DIVERGE_WHY=(
  [process_capabilities_fail]="the spec: an unknown capability MUST cause an error (runtime-tools"\
' LinuxProcCapError); moat refuses it, runc 1.1.5 warns and drops it'
)

# run_arm NAME ARM [PROFILE]: scenario NAME under ARM into $W/b/NAME.ARM.txt
# (NAME.ARM.PROFILE.txt when given); PROFILE (default passthrough) picks
# moat's configuration. Sets RESULT to that file.
run_arm() {
  local name="$1" arm="$2" prof="${3:-passthrough}" rc=0
  local dir="$W/b/$name.$arm${3:+.$3}"
  mkdir -m 0755 "$dir"
  (
    ARM="$arm" O="$dir" B="$dir/bundle" ID="$(new_id "${name:0:20}")" STEP=0 COUT=/dev/null
    export MOAT_CONFIG="$W/conf-$prof/moat.conf"
    echo "$ID" >"$dir/id"
    "sc_$name"
  ) >"$dir.txt" 2>"$dir.stderr" || rc=$?
  ((rc == 0)) || fail "scenario $name ($arm) broke off (exit $rc): $(tail -n3 "$dir.stderr")"
  # Whatever a failed step left behind.
  local id
  id="$(cat "$dir/id")"
  for id in "$id" "$id-2"; do
    "$RUNC" --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 || true
  done
  RESULT="$dir.txt"
}

# summary FILE: the steps and their statuses on one line.
summary() {
  sed -n -E 's/^([^ |][^:]*): rc=([0-9]+)$/\1=\2/p' "$1" | paste -sd' ' | cut -c1-100
}

lifecycle_parity() {
  echo "== (b) lifecycle parity: each scenario under bare runc and under moat-runtime (passthrough)"
  mkdir -m 0755 "$W/b"
  local names=("${SCENARIOS[@]}") name r m differ=0 rows=() notes=()
  [[ -z "${OCI_PARITY_SCENARIOS:-}" ]] || read -r -a names <<<"$OCI_PARITY_SCENARIOS"
  for name in "${names[@]}"; do
    declare -F "sc_$name" >/dev/null || fail "no scenario $name"
    run_arm "$name" runc
    r="$RESULT"
    run_arm "$name" moat
    m="$RESULT"
    if [[ -n "${EXPECT[$name]:-}" ]] && ! grep -Pzq -- "${EXPECT[$name]}" "$r"; then
      cat "$r"
      fail "scenario $name: bare runc did not show /${EXPECT[$name]}/: the scenario is broken"
    fi
    if grep -q -E '^create: rc=0$|^run: rc=' "$m" && ! jq -r --arg id "$(cat "${m%.txt}/id")" \
      'select(.id == $id and .decision == "allow") | .id' "$W/conf-passthrough/audit.log" | grep -q .; then
      fail "scenario $name: moat-runtime left no audit record: did it run at all?"
    fi
    if [[ -n "${OCI_PARITY_VERBOSE:-}" ]]; then
      echo "-- $name (bare runc):"
      cat "$r"
    fi
    if [[ -n "${DIVERGE[$name]:-}" ]]; then
      if diff -q "$r" "$m" >/dev/null || ! grep -q -F -- "${DIVERGE[$name]}" "${m%.txt}"/*.err; then
        echo "moat-runtime (${DIVERGE[$name]} expected on stderr):"
        cat "$m" "${m%.txt}"/*.err
        fail "scenario $name: expected moat-runtime to differ from runc: ${DIVERGE_WHY[$name]}"
      fi
      rows+=("$(printf '%-30s by design  runc: %s; moat: %s' "$name" "$(summary "$r")" "$(summary "$m")")")
      notes+=("$name: ${DIVERGE_WHY[$name]}")
    elif diff -q "$r" "$m" >/dev/null; then
      rows+=("$(printf '%-30s same       %s' "$name" "$(summary "$r")")")
    else
      rows+=("$(printf '%-30s DIFFERENT  runc: %s' "$name" "$(summary "$r")")")
      echo "DIFFERENT: $name (< runc, > moat-runtime):"
      diff "$r" "$m" | head -n 30 || true
      differ=$((differ + 1))
    fi
  done
  printf '  %-30s %-10s %s\n' scenario result "steps: exit status (bare runc's; moat's where different)"
  printf '  %s\n' "${rows[@]}"
  ((${#notes[@]} == 0)) || printf '  by design: %s\n' "${notes[@]}"
  ((differ == 0)) || fail "$differ of ${#names[@]} scenarios differ between runc and moat-runtime"

  echo "== negative control: process_capabilities under a profile that drops CAP_NET_RAW must differ"
  r="$W/b/process_capabilities.runc.txt"
  [[ -f "$r" ]] || run_arm process_capabilities runc
  run_arm process_capabilities moat dropcap
  if diff -q "$r" "$RESULT" >/dev/null; then
    fail "the comparison did not notice a dropped capability"
  fi
  diff "$r" "$RESULT" | grep '^[<>]' | sed 's/^/  /' || true
}
