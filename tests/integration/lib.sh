# shellcheck shell=bash
# Helpers for moat's bash integration tests. Source it first thing:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   need_root
#   need_cmd runc jq
#
# Exit codes: 0 pass, 1 fail, 77 skip (ctest's SKIP_RETURN_CODE). Skip only where
# the machine lacks a part (not root, no runc, no dockerd); a missing moat build
# is a failure (need_moat_runtime).
#
# Everything a test makes lives under one per-test directory, $MOAT_TEST_TMP
# (root-owned, 0755, inside a root-owned 0755 base so that moat's "no group- or
# world-writable path" checks hold). It is created on first use and removed on
# exit after containers are deleted, private dockerds stopped and leftover
# mounts under it unmounted. Register more cleanup with `on_exit CMD...`.
#
# Environment (ctest sets the first two):
#   MOAT_SOURCE_DIR   source tree (default: two levels above this file)
#   MOAT_BUILD_DIR    build tree (default: $MOAT_SOURCE_DIR/build)
#   MOAT_RUNTIME      moat-runtime binary (default: $MOAT_BUILD_DIR/shim/moat-runtime)
#   MOAT_CLI          moat binary (default: $MOAT_BUILD_DIR/cli/moat)
#   RUNC              runc binary (default: /usr/sbin/runc)
#   MOAT_TEST_TMPDIR  base for per-test dirs (default: /var/lib/moat-test)
#   MOAT_DOCKER_STORAGE_DRIVER  storage driver of private dockerds (default: overlay2)
#   MOAT_DOCKERD_TIMEOUT        seconds to wait for a private dockerd (default: 60)
#
# `docker` is a function here that runs Debian's client (/usr/bin/docker, same
# version as dockerd) when it exists, not whatever newer client PATH finds first.

set -euo pipefail
umask 022

MOAT_SOURCE_DIR="${MOAT_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
MOAT_BUILD_DIR="${MOAT_BUILD_DIR:-$MOAT_SOURCE_DIR/build}"
MOAT_RUNTIME="${MOAT_RUNTIME:-$MOAT_BUILD_DIR/shim/moat-runtime}"
MOAT_CLI="${MOAT_CLI:-$MOAT_BUILD_DIR/cli/moat}"
RUNC="${RUNC:-/usr/sbin/runc}"
export MOAT_SOURCE_DIR MOAT_BUILD_DIR MOAT_RUNTIME MOAT_CLI RUNC

if [[ -x /usr/bin/docker ]]; then
  DOCKER_CLI=/usr/bin/docker
else
  DOCKER_CLI="$(command -v docker || echo docker)"
fi
docker() { command "$DOCKER_CLI" "$@"; }

# --- results -----------------------------------------------------------------

# skip REASON...: the machine lacks a part; ctest reports "skipped".
skip() {
  echo "SKIP: $*"
  exit 77
}

# fail MSG...: the test failed.
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

need_root() {
  [[ "$(id -u)" == 0 ]] || skip "needs root"
}

# need_cmd CMD...: skip unless every CMD is on PATH (or an executable path).
need_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || skip "needs $c"
  done
}

# need_moat_runtime: the build must have produced moat-runtime (a failure, not a skip).
need_moat_runtime() {
  [[ -x "$MOAT_RUNTIME" ]] || fail "moat-runtime not built: $MOAT_RUNTIME (set MOAT_BUILD_DIR)"
}

# assert_eq ACTUAL EXPECTED [WHAT]
assert_eq() {
  [[ "$1" == "$2" ]] || fail "${3:-value}: got '$1', want '$2'"
}

# assert_match TEXT REGEX [WHAT]   (bash ERE)
assert_match() {
  [[ "$1" =~ $2 ]] || fail "${3:-text} does not match /$2/: '$1'"
}

# expect_refusal WANT CMD...: CMD (a command or function) must fail, with WANT
# in its output; prints the output's last line.
expect_refusal() {
  local want="$1" out
  shift
  if out="$("$@" 2>&1)"; then fail "$* succeeded: $out"; fi
  tail -n1 <<<"$out" | cut -c1-400
  [[ "$out" == *"$want"* ]] || fail "$*: output lacks '$want': $out"
}

# HARDENED_PROBE: a `sh -c` script printing what the restricted profile
# decides in a container: uid, CapEff, NoNewPrivs, root-ro|root-rw,
# tmp-rw|tmp-ro. assert_hardened checks its output.
HARDENED_PROBE='id -u; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status;
  if touch /rootfs-write 2>/dev/null; then echo root-rw; else echo root-ro; fi;
  if touch /tmp/x 2>/dev/null; then echo tmp-rw; else echo tmp-ro; fi'

# assert_hardened OUTPUT [WHAT]: HARDENED_PROBE's OUTPUT shows the restricted
# profile: uid 65534, no effective capability, no_new_privs, a read-only root
# with a writable /tmp.
assert_hardened() {
  local what="${2:-container}"
  assert_match "$1" '^65534' "$what: uid"
  assert_match "$1" $'CapEff:\t0000000000000000' "$what: CapEff"
  assert_match "$1" $'NoNewPrivs:\t1' "$what: NoNewPrivs"
  assert_match "$1" $'\nroot-ro\n' "$what: read-only rootfs"
  assert_match "$1" $'\ntmp-rw' "$what: writable /tmp"
}

# --- ELF binaries --------------------------------------------------------------

# elf_has_section FILE SECTION: FILE (an ELF file) has a section named SECTION.
elf_has_section() {
  local out
  out="$(readelf -S -W "$1")" || fail "readelf -S $1 failed"
  grep -qE "\] +${2//./\\.} " <<<"$out"
}

# assert_stripped FILE [WHAT]: FILE has no symbol table and no debug info.
assert_stripped() {
  local s
  for s in .symtab .debug_info; do
    ! elf_has_section "$1" "$s" || fail "${2:-$1}: has $s (not stripped)"
  done
}

# elf_build_id FILE: the GNU build ID of FILE, in hex.
elf_build_id() {
  local id
  id="$(readelf -n -W "$1" | sed -n 's/.*Build ID: *\([0-9a-f]\{16,\}\)$/\1/p')"
  [[ -n "$id" ]] || fail "no build ID in $1"
  echo "$id"
}

# --- cleanup -----------------------------------------------------------------

_MOAT_CLEANUPS=()

# on_exit CMD...: run CMD (eval'd) when the test exits, last registered first.
on_exit() {
  _MOAT_CLEANUPS+=("$*")
}

_moat_run_cleanups() {
  local rc=$? i
  set +e
  for ((i = ${#_MOAT_CLEANUPS[@]} - 1; i >= 0; i--)); do
    eval "${_MOAT_CLEANUPS[i]}"
  done
  _MOAT_CLEANUPS=()
  exit "$rc"
}
trap _moat_run_cleanups EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- per-test directory --------------------------------------------------------

# The name is fixed now (so cleanup knows it even if a subshell creates it) and
# kept short: unix socket paths under it must stay below 108 bytes.
MOAT_TEST_TMPDIR="${MOAT_TEST_TMPDIR:-/var/lib/moat-test}"
_moat_test_name="$(basename "$0" .sh)"
_moat_test_name="${_moat_test_name%_test}"
MOAT_TEST_TMP="$MOAT_TEST_TMPDIR/${_moat_test_name:0:16}.$$.$((RANDOM % 1000))"
# Private runc state root for containers the test creates (pass --root "$RUNC_ROOT").
RUNC_ROOT="$MOAT_TEST_TMP/runc"
unset _moat_test_name

# test_tmp: create $MOAT_TEST_TMP (and $RUNC_ROOT) if needed. Safe in a subshell.
test_tmp() {
  if [[ ! -d "$MOAT_TEST_TMP" ]]; then
    # Another test's exit may rmdir the shared base between the two steps: retry once.
    install -d -o root -g root -m 0755 "$MOAT_TEST_TMPDIR"
    mkdir -m 0755 "$MOAT_TEST_TMP" 2>/dev/null || {
      install -d -o root -g root -m 0755 "$MOAT_TEST_TMPDIR"
      mkdir -m 0755 "$MOAT_TEST_TMP"
    }
  fi
  [[ -d "$RUNC_ROOT" ]] || mkdir -m 0700 "$RUNC_ROOT"
}

# tmp_dir NAME: print a fresh 0755 directory $MOAT_TEST_TMP/NAME.
tmp_dir() {
  test_tmp
  mkdir -m 0755 "$MOAT_TEST_TMP/$1"
  echo "$MOAT_TEST_TMP/$1"
}

# mounts_under DIR: print mount points at or below DIR, deepest (latest) first.
mounts_under() {
  local dir="${1%/}" mp
  awk '{print $5}' /proc/self/mountinfo | tac | while read -r mp; do
    mp="$(printf '%b' "$mp")" # mountinfo escapes space, tab, newline, backslash as \ooo
    if [[ "$mp" == "$dir" || "$mp" == "$dir/"* ]]; then
      echo "$mp"
    fi
  done
}

# unmount_under DIR: unmount everything at or below DIR; fails if any remains.
unmount_under() {
  local mp _
  for _ in 1 2 3; do
    while read -r mp; do
      [[ -n "$mp" ]] || continue
      umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || true
    done < <(mounts_under "$1")
    [[ -z "$(mounts_under "$1")" ]] && return 0
  done
  echo "warning: still mounted under $1:" >&2
  mounts_under "$1" >&2
  return 1
}

# procs_mentioning STRING: pids (not ours) whose command line contains STRING.
procs_mentioning() {
  local p cmd
  for p in /proc/[0-9]*; do
    p="${p#/proc/}"
    [[ "$p" == "$$" || "$p" == "$BASHPID" ]] && continue
    # Read in bash, not with grep: a grep would find its own argv.
    cmd="$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")" || continue
    if [[ "$cmd" == *"$1"* ]]; then
      echo "$p"
    fi
  done
}

# runc_delete_all ROOT: force-delete every container in a runc state root.
# Through moat when it is built and configured (so it can drop its own state),
# then plain runc for anything left.
runc_delete_all() {
  local root="$1" id
  [[ -d "$root" ]] || return 0
  while read -r id; do
    [[ -n "$id" ]] || continue
    if [[ -x "$MOAT_RUNTIME" && -n "${MOAT_CONFIG:-}" ]]; then
      timeout 30 "$MOAT_RUNTIME" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
    fi
    timeout 30 "$RUNC" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
  done < <("$RUNC" --root "$root" list -q 2>/dev/null)
}

_moat_remove_test_tmp() {
  [[ -d "$MOAT_TEST_TMP" ]] || return 0
  runc_delete_all "$RUNC_ROOT"
  if unmount_under "$MOAT_TEST_TMP"; then
    rm -rf --one-file-system "$MOAT_TEST_TMP"
  else
    echo "warning: left $MOAT_TEST_TMP in place" >&2
  fi
  rmdir "$MOAT_TEST_TMPDIR" 2>/dev/null || true
}
on_exit _moat_remove_test_tmp

# --- rootfs and bundles --------------------------------------------------------

MOAT_BUSYBOX="${MOAT_BUSYBOX:-/usr/bin/busybox}"
MOAT_BUSYBOX_APPLETS=(
  sh ash id cat grep egrep ls touch echo printf sleep true false test '[' mount umount
  unshare nsenter setpriv wc head tail tr cut sed awk sort uniq tee mkdir rmdir rm cp mv
  ln chmod chown ps stat env readlink realpath find xargs dd mknod hostname whoami kill
  pwd uname df du date seq timeout nproc ip
)

# make_busybox_rootfs DIR: a minimal rootfs around the static busybox.
make_busybox_rootfs() {
  local dir="$1" a
  [[ -x "$MOAT_BUSYBOX" ]] || skip "needs busybox-static ($MOAT_BUSYBOX)"
  mkdir -p "$dir"
  chmod 0755 "$dir"
  mkdir -m 0755 "$dir"/{bin,etc,proc,sys,dev,root,run,var,home}
  mkdir -m 1777 "$dir/tmp"
  chmod 1777 "$dir/tmp" # runc's tmpfs on /tmp takes this mode (see DESIGN.md)
  chmod 0700 "$dir/root"
  ln -s bin "$dir/sbin"
  install -m 0755 "$MOAT_BUSYBOX" "$dir/bin/busybox"
  for a in "${MOAT_BUSYBOX_APPLETS[@]}"; do
    ln -s busybox "$dir/bin/$a"
  done
  cat >"$dir/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$dir/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
EOF
  chmod 0644 "$dir/etc/passwd" "$dir/etc/group"
}

# make_bundle DIR ARGS_JSON: DIR/rootfs + DIR/config.json from `runc spec`, with
# process.terminal=false and process.args=ARGS_JSON (a JSON array of strings).
make_bundle() {
  local dir="$1" args="$2"
  jq -e 'type == "array" and length > 0 and all(.[]; type == "string")' <<<"$args" >/dev/null ||
    fail "make_bundle: ARGS_JSON must be a non-empty JSON array of strings: $args"
  mkdir -p "$dir"
  chmod 0755 "$dir"
  make_busybox_rootfs "$dir/rootfs"
  "$RUNC" spec --bundle "$dir"
  # shellcheck disable=SC2016 # $args is jq's
  bundle_jq "$dir" '.process.terminal = false | .process.args = $args' --argjson args "$args"
}

# bundle_jq DIR FILTER [JQ_ARGS...]: edit DIR/config.json in place with jq.
bundle_jq() {
  local dir="$1" filter="$2"
  shift 2
  jq "$@" "$filter" "$dir/config.json" >"$dir/config.json.new" ||
    fail "bundle_jq: jq failed on $dir/config.json: $filter"
  chmod 0644 "$dir/config.json.new"
  mv -f "$dir/config.json.new" "$dir/config.json"
}

# new_id [PREFIX]: a container id unique to this test run.
new_id() {
  echo "${1:-moat-it}-$$-$RANDOM$RANDOM"
}

# --- moat configuration --------------------------------------------------------

# moat_env DIR [MODE] [PROFILE]: write DIR/moat.conf and export MOAT_CONFIG.
# MODE enforce|audit (default enforce); PROFILE the default profile (default
# restricted); profiles from $MOAT_PROFILES_DIR (default $MOAT_SOURCE_DIR/profiles).
moat_env() {
  local dir="$1" mode="${2:-enforce}" profile="${3:-restricted}"
  local profiles="${MOAT_PROFILES_DIR:-$MOAT_SOURCE_DIR/profiles}"
  mkdir -p "$dir"
  chmod 0755 "$dir"
  [[ -d "$dir/state" ]] || mkdir -m 0700 "$dir/state"
  # A trust policy that accepts any image (tests of signatures write their own)
  # and an empty registries.d.
  [[ -f "$dir/policy.json" ]] || echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$dir/policy.json"
  chmod 0644 "$dir/policy.json"
  [[ -d "$dir/registries.d" ]] || mkdir -m 0755 "$dir/registries.d"
  jq -n --arg runtime "$RUNC" --arg mode "$mode" --arg profiles "$profiles" \
    --arg profile "$profile" --arg audit "$dir/audit.log" --arg state "$dir/state" \
    --arg policy "$dir/policy.json" --arg regd "$dir/registries.d" \
    --arg docker_root "${DOCKERD_DIR:+$DOCKERD_DIR/root}" \
    '{runtime: $runtime, mode: $mode, profiles_dir: $profiles, default_profile: $profile,
      audit_log: $audit, state_dir: $state, policy: $policy, registries_d: $regd}
     + (if $docker_root == "" then {} else {docker_root: $docker_root} end)' >"$dir/moat.conf"
  chmod 0644 "$dir/moat.conf"
  export MOAT_CONFIG="$dir/moat.conf"
}

# moat_as_runc DIR: moat.conf in DIR/conf (enforce, restricted, the real runc
# as runtime) and DIR/bin/runc a link to moat-runtime, so that DIR/bin first
# in an engine's PATH makes moat the runc it finds.
moat_as_runc() {
  moat_env "$1/conf" enforce restricted
  mkdir -m 0755 "$1/bin"
  ln -s "$MOAT_RUNTIME" "$1/bin/runc"
}

# moat_conf_jq FILTER [JQ_ARGS...]: edit $MOAT_CONFIG in place with jq.
moat_conf_jq() {
  local conf="${MOAT_CONFIG:?moat_env first}" filter="$1"
  shift
  jq "$@" "$filter" "$conf" >"$conf.new" || fail "moat_conf_jq: jq failed: $filter"
  chmod 0644 "$conf.new"
  mv -f "$conf.new" "$conf"
}

# runc_json_log_has FILE REGEX [LEVEL]: true if FILE (runc --log-format json) has
# a JSON line with level LEVEL (default error) whose msg matches REGEX (jq/PCRE).
runc_json_log_has() {
  local file="$1" re="$2" level="${3:-error}"
  [[ -f "$file" ]] || return 1
  jq -R -r --arg re "$re" --arg level "$level" \
    'fromjson? | select(type == "object" and .level == $level and
                        ((.msg // "") | tostring | test($re))) | .msg' \
    "$file" 2>/dev/null | grep -q .
}

# --- private dockerd ---------------------------------------------------------------

_MOAT_DOCKERD_LAST=""

_dockerd_dir() { echo "$MOAT_TEST_TMP/d-$1"; }

# _dockerd_log_tail DIR: its warnings and errors, then its last lines (the
# info-level gRPC chatter would bury the cause).
_dockerd_log_tail() {
  echo "--- dockerd log ($1/dockerd.log): warnings and errors ---" >&2
  grep -E 'level=(warning|error|fatal)|^failed' "$1/dockerd.log" | tail -n 20 >&2 || true
  echo "--- last lines ---" >&2
  tail -n 8 "$1/dockerd.log" >&2
}

# start_dockerd NAME [RUNTIME_PATH] [EXTRA_DAEMON_JSON]: a private dockerd with its
# own data root ($DOCKERD_DIR/root), exec root ($DOCKERD_DIR/x, holding its
# managed containerd's state and socket), pidfile and socket; RUNTIME_PATH
# (default $MOAT_RUNTIME) registered as runtime "moat". EXTRA_DAEMON_JSON is
# merged into daemon.json. Exports DOCKER_HOST and DOCKERD_DIR; stopped on exit.
start_dockerd() {
  local name="$1" runtime="${2:-$MOAT_RUNTIME}" extra="${3:-}"
  [[ -n "$extra" ]] || extra='{}'
  local driver="${MOAT_DOCKER_STORAGE_DRIVER:-overlay2}"
  local timeout="${MOAT_DOCKERD_TIMEOUT:-60}"
  [[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || fail "start_dockerd: bad name '$name'"
  need_cmd dockerd containerd "$DOCKER_CLI"
  test_tmp
  local dir
  dir="$(_dockerd_dir "$name")"
  [[ ! -e "$dir" ]] || fail "start_dockerd: $name already started"
  mkdir -m 0755 "$dir" "$dir/root" "$dir/x"
  if (("${#dir}" + 36 > 107)); then
    fail "start_dockerd: $dir is too long for unix socket paths under it"
  fi
  jq -n --arg rt "$runtime" --arg driver "$driver" --argjson extra "$extra" \
    '{runtimes: {moat: {path: $rt}}, "storage-driver": $driver} * $extra' >"$dir/daemon.json"
  on_exit stop_dockerd "$name"
  dockerd \
    --data-root "$dir/root" \
    --exec-root "$dir/x" \
    --pidfile "$dir/dockerd.pid" \
    -H "unix://$dir/docker.sock" \
    --config-file "$dir/daemon.json" \
    --iptables=false --ip6tables=false --bridge=none \
    </dev/null >"$dir/dockerd.log" 2>&1 &
  echo "$!" >"$dir/launched.pid"
  _MOAT_DOCKERD_LAST="$name"
  export DOCKERD_DIR="$dir"
  export DOCKER_HOST="unix://$dir/docker.sock"

  local pid deadline
  pid="$(<"$dir/launched.pid")"
  deadline=$((SECONDS + timeout))
  until docker info >/dev/null 2>&1; do
    if ! pid_alive "$pid"; then
      _dockerd_log_tail "$dir"
      fail "start_dockerd: dockerd $name exited during startup"
    fi
    if ((SECONDS >= deadline)); then
      _dockerd_log_tail "$dir"
      fail "start_dockerd: dockerd $name did not answer within ${timeout}s"
    fi
    sleep 0.3
  done
}

# pid_alive PID: PID exists and is not a zombie (this sandbox's pid 1 may be
# slow to reap orphans, and kill -0 succeeds on a zombie).
pid_alive() {
  local st
  st="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  st="${st##*) }" # comm, in parentheses, may hold spaces
  st="${st%% *}"
  [[ -n "$st" && "$st" != Z && "$st" != X ]]
}

# wait_gone SECONDS PID...: wait until none of PIDs is alive; false on timeout.
wait_gone() {
  local deadline=$((SECONDS + $1)) p alive
  shift
  while :; do
    alive=0
    for p in "$@"; do
      pid_alive "$p" && alive=1
    done
    ((alive)) || return 0
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# stop_dockerd [NAME]: remove its containers, stop dockerd, then kill what is
# left of its containerd and shims, delete leftover runc containers in its state
# roots, unmount everything under its dir and remove the dir. Idempotent.
stop_dockerd() {
  local name="${1:-$_MOAT_DOCKERD_LAST}"
  [[ -n "$name" ]] || return 0
  local dir pid
  dir="$(_dockerd_dir "$name")"
  [[ -d "$dir" ]] || return 0
  pid="$(cat "$dir/launched.pid" 2>/dev/null || true)"

  if [[ -n "$pid" ]] && pid_alive "$pid"; then
    local sock="unix://$dir/docker.sock" ids
    ids="$(timeout 20 "$DOCKER_CLI" -H "$sock" ps -aq 2>/dev/null || true)"
    if [[ -n "$ids" ]]; then
      # shellcheck disable=SC2086 # one id per word
      timeout 60 "$DOCKER_CLI" -H "$sock" rm -f $ids >/dev/null 2>&1 || true
    fi
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone 30 "$pid"; then
      echo "warning: dockerd $name ignored SIGTERM; killing" >&2
      kill -KILL "$pid" 2>/dev/null || true
      wait_gone 5 "$pid" || true
    fi
  fi

  # Containers whose shim survived: runc state roots under the exec root.
  local state root
  while read -r state; do
    root="$(dirname "$(dirname "$state")")"
    runc_delete_all "$root"
  done < <(find "$dir/x" -mindepth 3 -maxdepth 5 -name state.json 2>/dev/null | sort -u)

  # containerd and shims name our dirs on their command lines.
  local pids
  pids="$(procs_mentioning "$dir/")"
  if [[ -n "$pids" ]]; then
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    # shellcheck disable=SC2086
    if ! wait_gone 10 $pids; then
      # shellcheck disable=SC2086
      kill -KILL $pids 2>/dev/null || true
      # shellcheck disable=SC2086
      wait_gone 5 $pids || true
    fi
  fi

  if unmount_under "$dir"; then
    rm -rf --one-file-system "$dir"
  else
    echo "warning: left $dir in place" >&2
  fi
  if [[ "${DOCKER_HOST:-}" == "unix://$dir/docker.sock" ]]; then
    unset DOCKER_HOST DOCKERD_DIR
  fi
  return 0
}

# docker_import_busybox TAG: import a busybox rootfs as image TAG (CMD ["sh"]).
docker_import_busybox() {
  local tag="$1" dir
  test_tmp
  dir="$(mktemp -d "$MOAT_TEST_TMP/img.XXXXXX")"
  make_busybox_rootfs "$dir/rootfs"
  tar --numeric-owner -C "$dir/rootfs" -cf - . |
    docker import --change 'CMD ["sh"]' - "$tag" >/dev/null ||
    fail "docker_import_busybox: docker import $tag failed"
  rm -rf --one-file-system "$dir"
}

# publish_busybox IMG MANIFEST_FILE: busybox imported as IMG, pushed to the
# local registry, removed and pulled back, so dockerd holds it as a pulled
# image with the registry's manifest. The manifest's bytes go to
# MANIFEST_FILE and their digest to $DIGEST.
publish_busybox() {
  local img="$1" manifest="$2"
  docker_import_busybox "$img"
  docker push -q "$img" >/dev/null || fail "publish_busybox: docker push $img failed"
  docker rmi -f "$img" >/dev/null
  docker pull -q "$img" >/dev/null || fail "publish_busybox: docker pull $img failed"
  skopeo inspect --raw --tls-verify=false "docker://$img" >"$manifest" ||
    fail "publish_busybox: skopeo inspect $img failed"
  DIGEST="sha256:$(sha256sum "$manifest" | cut -d' ' -f1)"
}

# runc_deb DIR VERSION: builds DIR/runc_VERSION.deb (from DIR/runc-VERSION),
# a runc package for a scratch dpkg root: the host's $RUNC at /usr/sbin/runc
# with VERSION appended (an ELF runs with trailing bytes; it tells versions
# apart) and the /usr/bin/runc link, as Debian's runc ships them. Prints the
# .deb's path.
runc_deb() {
  local d="$1/runc-$2"
  mkdir -p "$d/DEBIAN" "$d/usr/sbin" "$d/usr/bin"
  printf 'Package: runc\nVersion: %s\nArchitecture: %s\nMaintainer: t <t@t.invalid>\nDescription: test runc\n' \
    "$2" "$(dpkg --print-architecture)" >"$d/DEBIAN/control"
  { cat "$RUNC"; printf '%s' "$2"; } >"$d/usr/sbin/runc"
  chmod 0755 "$d/usr/sbin/runc"
  ln -sfn ../sbin/runc "$d/usr/bin/runc"
  dpkg-deb --root-owner-group -b "$d" "$1/runc_$2.deb" >/dev/null || fail "runc_deb: dpkg-deb failed"
  echo "$1/runc_$2.deb"
}

# --- a private containerd ------------------------------------------------------

# ctr: runs ctr against the private containerd in namespace $CTRD_NS once
# start_containerd has run, plain ctr before.
# private_podman: defines pm, a podman with its own storage under
# $MOAT_TEST_TMP/pm (vfs), and names that storage in moat.conf, so that moat
# finds the container's userdata there; its containers are removed on exit.
private_podman() {
  P="$MOAT_TEST_TMP/pm"
  mkdir -m 0700 "$P"
  moat_conf_jq '.podman_root = $g | .podman_runroot = $r' --arg g "$P/root" --arg r "$P/run"
  pm() {
    podman --root "$P/root" --runroot "$P/run" --tmpdir "$P/tmp" --storage-driver vfs \
      --cgroup-manager cgroupfs --events-backend file "$@"
  }
  on_exit 'pm rm -af >/dev/null 2>&1 || true'
}

ctr() {
  if [[ -n "${CTRD:-}" ]]; then
    command ctr --address "$CTRD/c.sock" -n "$CTRD_NS" "$@"
  else
    command ctr "$@"
  fi
}

# start_containerd [EXTRA_TOML]: a private containerd with root, state and
# socket under CTRD=$MOAT_TEST_TMP/ctrd ($CTRD/root, $CTRD/state, $CTRD/c.sock;
# its log in $CTRD/log); config.toml is those settings followed by
# EXTRA_TOML (its own `version = 2` line dropped). The CRI plugin is disabled
# unless EXTRA_TOML configures it. `ctr` then talks to it in namespace
# CTRD_NS (default moat-it). Export MOAT_CONFIG first: containerd's shims
# pass it on to moat-runtime. Stopped on exit.
start_containerd() {
  local extra="${1:-}" cri='disabled_plugins = ["io.containerd.grpc.v1.cri"]'
  need_cmd containerd
  test_tmp
  CTRD_NS="${CTRD_NS:-moat-it}"
  local dir="$MOAT_TEST_TMP/ctrd"
  [[ ! -e "$dir" ]] || fail "start_containerd: already started"
  mkdir -m 0755 "$dir" "$dir/root" "$dir/state"
  [[ "$extra" != *'io.containerd.grpc.v1.cri'* ]] || cri=""
  {
    printf 'version = 2\nroot = "%s"\nstate = "%s"\n%s\n' "$dir/root" "$dir/state" "$cri"
    printf '[grpc]\n  address = "%s"\n' "$dir/c.sock"
    grep -v '^version *= *2 *$' <<<"$extra" || true
  } >"$dir/config.toml"
  containerd --config "$dir/config.toml" >"$dir/log" 2>&1 &
  CTRD_PID=$!
  export CTRD="$dir" CTRD_NS CTRD_PID
  on_exit stop_containerd
  local deadline=$((SECONDS + 30))
  until [[ -S "$dir/c.sock" ]] && ctr version >/dev/null 2>&1; do
    pid_alive "$CTRD_PID" || {
      cat "$dir/log" >&2
      fail "containerd exited during startup"
    }
    ((SECONDS < deadline)) || fail "containerd did not answer on $dir/c.sock"
    sleep 0.2
  done
}

# stop_containerd: remove every task and container of $CTRD_NS, stop
# containerd, then whatever shims and runc containers are left (ctr run
# --runc-root "$RUNC_ROOT": one directory per namespace). Idempotent.
stop_containerd() {
  [[ -n "${CTRD:-}" ]] || return 0
  local id pids
  # `timeout` runs the binary, not the ctr function: the address in full.
  local c=(timeout 20 ctr --address "$CTRD/c.sock" -n "$CTRD_NS")
  if pid_alive "$CTRD_PID"; then
    while read -r id; do
      [[ -n "$id" ]] || continue
      "${c[@]}" task kill -s KILL "$id" >/dev/null 2>&1 || true
      "${c[@]}" task rm -f "$id" >/dev/null 2>&1 || true
      "${c[@]}" container rm "$id" >/dev/null 2>&1 || true
    done < <("${c[@]}" container ls -q 2>/dev/null)
    kill "$CTRD_PID" 2>/dev/null || true
    wait_gone 20 "$CTRD_PID" || kill -KILL "$CTRD_PID" 2>/dev/null || true
  fi
  pids="$(procs_mentioning "$CTRD/")"
  if [[ -n "$pids" ]]; then
    # shellcheck disable=SC2086 # one pid per word
    kill -KILL $pids 2>/dev/null || true
  fi
  runc_delete_all "$RUNC_ROOT/$CTRD_NS"
  unset CTRD
}

# oci_image_tar OUT NAME EXTRA_FILE: an OCI layout tar naming NAME: the busybox
# rootfs as one gzip layer and, when EXTRA_FILE is given, a second layer
# holding /etc/EXTRA_FILE. Its Cmd is $OCI_IMAGE_CMD (JSON, default ["sh"]).
oci_image_tar() {
  local out="$1" name="$2" extra="${3:-}" d layers="" diffs="" f dig size
  test_tmp
  d="$(mktemp -d "$MOAT_TEST_TMP/img.XXXXXX")"
  mkdir -p "$d/oci/blobs/sha256" "$d/l1" "$d/l2/etc"
  make_busybox_rootfs "$d/l1"
  local dirs=("$d/l1")
  if [[ -n "$extra" ]]; then
    echo "$extra" >"$d/l2/etc/$extra"
    dirs+=("$d/l2")
  fi
  blob() { # blob FILE: into the layout; prints "sha256:<hex> <size>"
    local h
    h="$(sha256sum <"$1" | cut -d' ' -f1)"
    cp "$1" "$d/oci/blobs/sha256/$h"
    echo "sha256:$h $(stat -c %s "$1")"
  }
  for f in "${dirs[@]}"; do
    tar --numeric-owner --mtime=@0 --sort=name -C "$f" -cf "$f.tar" .
    diffs+="${diffs:+,}\"sha256:$(sha256sum <"$f.tar" | cut -d' ' -f1)\""
    gzip -n -c "$f.tar" >"$f.tgz"
    read -r dig size < <(blob "$f.tgz")
    layers+="${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"$dig\",\"size\":$size}"
  done
  printf '{"architecture":"amd64","os":"linux","config":{"Cmd":%s},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
    "${OCI_IMAGE_CMD:-[\"sh\"]}" "$diffs" >"$d/config.json"
  read -r dig size < <(blob "$d/config.json")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[%s]}' \
    "$dig" "$size" "$layers" >"$d/manifest.json"
  read -r dig size < <(blob "$d/manifest.json")
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"io.containerd.image.name":"%s"}}]}' \
    "$dig" "$size" "$name" >"$d/oci/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$d/oci/oci-layout"
  tar -C "$d/oci" -cf "$out" .
  rm -rf --one-file-system "$d"
}

# --- containerd's CRI plugin, driven as a kubelet drives it ---------------------

# start_cri_containerd: start_containerd with contrib/containerd's handlers
# (config.toml: "moat"; config-default.toml: the default "runc"; both with
# BinaryName = $MOAT_RUNTIME) and the CRI plugin's own pieces a private
# containerd must not share with the host's: network namespaces under its
# state dir, a stub CNI network, a local sandbox image moat.local/pause:1
# (cri_images). Names its root and state in moat.conf. Run moat_env first.
# This sandbox lacks CAP_SYS_RESOURCE, so the pause container's oom_score_adj
# of -998 is out of reach (for runc alone too): restrict_oom_score_adj.
start_cri_containerd() {
  local snippets="" f cni="$MOAT_TEST_TMP/cni"
  test_tmp
  for f in config.toml config-default.toml; do
    snippets+="$(sed "s|/usr/local/sbin/moat-runtime|$MOAT_RUNTIME|" \
      "$MOAT_SOURCE_DIR/contrib/containerd/$f")"$'\n'
  done
  snippets+='[plugins."io.containerd.grpc.v1.cri"]
  stream_server_port = "0"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  sandbox_image = "moat.local/pause:1"
[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "'"$cni"'/bin"
  conf_dir = "'"$cni"'/conf"
'
  # cni_stub: ADD reports the address 10.88.77.2/24 on CNI_IFNAME in the pod's
  # netns (loopback: 127.0.0.1/8) and configures nothing; DEL and CHECK succeed.
  mkdir -m 0755 "$cni" "$cni/bin" "$cni/conf"
  cat >"$cni/bin/moat-stub" <<'STUB'
#!/bin/sh
cat >/dev/null
case "$CNI_COMMAND" in
  ADD)
    ip=10.88.77.2/24
    [ "$CNI_IFNAME" = lo ] && ip=127.0.0.1/8
    printf '{"cniVersion":"0.4.0","interfaces":[{"name":"%s","sandbox":"%s"}],"ips":[{"version":"4","address":"%s","interface":0}]}\n' \
      "$CNI_IFNAME" "$CNI_NETNS" "$ip" ;;
  VERSION) echo '{"cniVersion":"0.4.0","supportedVersions":["0.3.0","0.3.1","0.4.0"]}' ;;
esac
STUB
  chmod 0755 "$cni/bin/moat-stub"
  ln -s moat-stub "$cni/bin/loopback"
  echo '{"cniVersion":"0.4.0","name":"moat-stub","plugins":[{"type":"moat-stub"}]}' \
    >"$cni/conf/10-moat-stub.conflist"
  start_containerd "$snippets"
  moat_conf_jq '.containerd_root = $r | .containerd_state = $s' \
    --arg r "$CTRD/root" --arg s "$CTRD/state"
  ctr plugins ls | awk '$2 == "cri" {print; found = 1} END {exit !found}' | grep -qw ok ||
    fail "the CRI plugin did not load: $(ctr plugins ls | grep -w cri) $(grep -i 'cri' "$CTRD/log" | tail -n 5)"
  # Pods left at exit: stopped and removed before containerd stops.
  on_exit 'for p in $(cat "$MOAT_TEST_TMP/cri-pods" 2>/dev/null); do cri remove-pod "$p" >/dev/null 2>&1; done'
}

# cri_images: moat.local/pause:1 (sleeps) and moat.local/busybox:1 (sh) in
# containerd namespace k8s.io, where the CRI plugin looks for images.
cri_images() {
  local t
  OCI_IMAGE_CMD='["/bin/sleep","100000"]' oci_image_tar "$MOAT_TEST_TMP/pause.tar" moat.local/pause:1
  oci_image_tar "$MOAT_TEST_TMP/busybox.tar" moat.local/busybox:1
  for t in pause busybox; do
    command ctr --address "$CTRD/c.sock" -n k8s.io image import "$MOAT_TEST_TMP/$t.tar" >/dev/null ||
      fail "ctr -n k8s.io image import $t failed"
  done
}

# cri VERB ARGS...: tests/tools/cri_client.py against the private containerd.
cri() { /usr/bin/python3 "$MOAT_SOURCE_DIR/tests/tools/cri_client.py" "$CTRD/c.sock" "$@"; }

# cri_pod HANDLER NAME [POD_OPTION...]: a running pod sandbox (its logs under
# $MOAT_TEST_TMP/cri-logs/NAME; options --namespace NS, --host-network, as
# cri_client.py takes them); prints its id. Removed on exit.
cri_pod() {
  local handler="$1" name="$2" id
  shift 2
  [[ -d "$MOAT_TEST_TMP/cri-logs" ]] || mkdir -m 0755 "$MOAT_TEST_TMP/cri-logs"
  id="$(cri run-pod "$handler" "$name" "$MOAT_TEST_TMP/cri-logs/$name" "$@" 2>&1)" ||
    fail "RunPodSandbox $name (handler \"$handler\"): $id"
  echo "$id" >>"$MOAT_TEST_TMP/cri-pods"
  echo "$id"
}

# cri_run POD POD_NAME NAME [POD_OPTION...] [--mount HOST:CTR] -- CMD...: creates
# and starts container NAME of the pod (image moat.local/busybox:1; the pod's
# options again, as a kubelet sends the pod's config with each container) and
# waits for it to exit; prints its id and exit code ("ID CODE"), then its
# output (the message part of the CRI log lines: TIME STREAM TAG MESSAGE).
# Fails if CreateContainer or StartContainer fails, with the error.
cri_run() {
  local pod="$1" pod_name="$2" name="$3" c out code
  shift 3
  c="$(cri create "$pod" "$pod_name" "$name" "$MOAT_TEST_TMP/cri-logs/$pod_name" \
    moat.local/busybox:1 "$@" 2>&1)" || fail "CreateContainer $name: $c"
  out="$(cri start "$c" 2>&1)" || fail "StartContainer $name: $out"
  code="$(cri wait "$c")" || fail "$name did not exit"
  echo "$c $code"
  cut -d' ' -f4- "$MOAT_TEST_TMP/cri-logs/$pod_name/$name.log"
}


# --- a local registry ------------------------------------------------------------

# start_registry DIR: Debian's docker-registry serving on 127.0.0.1 (a free
# port), storage under DIR; exports REG=127.0.0.1:PORT and REG_PID; stopped on exit.
start_registry() {
  local dir="$1" try port pid
  mkdir -m 0755 "$dir"
  for try in 1 2 3 4 5 6 7 8; do
    port=$((20000 + RANDOM % 40000))
    cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
http:
  addr: 127.0.0.1:$port
EOF
    docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
    pid=$!
    local deadline=$((SECONDS + 20))
    while pid_alive "$pid" && ((SECONDS < deadline)); do
      if curl -sf "http://127.0.0.1:$port/v2/" >/dev/null; then
        on_exit "kill $pid 2>/dev/null; wait_gone 10 $pid || kill -KILL $pid 2>/dev/null || true"
        REG="127.0.0.1:$port"
        REG_PID="$pid"
        return 0
      fi
      sleep 0.2
    done
    kill "$pid" 2>/dev/null || true
    wait_gone 10 "$pid" || kill -KILL "$pid" 2>/dev/null || true
    grep -q 'address already in use' "$dir/log" || {
      cat "$dir/log" >&2
      fail "docker-registry did not start (try $try)"
    }
  done
  fail "docker-registry: no free port found"
}

# --- signing keys ----------------------------------------------------------------

# gpg_signing_key DIR NAME EMAIL: a passphrase-less ed25519 signing key in the
# GNUPGHOME DIR (created 0700 and exported as GNUPGHOME; its agent is stopped
# on exit); its public key exported to DIR.pub.gpg (root-owned, 0644). Sets FPR.
gpg_signing_key() {
  local dir="$1" name="$2" email="$3"
  export GNUPGHOME="$dir"
  [[ -d "$dir" ]] || {
    mkdir -m 0700 "$dir"
    on_exit "GNUPGHOME='$dir' gpgconf --kill all >/dev/null 2>&1 || true"
  }
  gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
    --quick-gen-key "$name <$email>" ed25519 sign never 2>/dev/null
  FPR="$(gpg --with-colons --list-keys "$email" | awk -F: '/^fpr/ {print $10; exit}')"
  gpg --export "$FPR" >"$dir.$email.gpg"
  chmod 0644 "$dir.$email.gpg"
}
