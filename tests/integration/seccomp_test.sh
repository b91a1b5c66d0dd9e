#!/usr/bin/env bash
# Seccomp through moat-runtime and the real runc: the restricted profile's
# default-deny filter seen from inside (unshare, mount, keyctl, ptrace, bpf
# fail with EPERM where the kernel alone would have answered otherwise), an
# ordinary busybox workload under it, a Docker-format profile whose includes
# and excludes depend on CAP_SYS_ADMIN, broken seccomp files refused before
# runc runs, and the same filter under a private dockerd.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd "$RUNC" jq gcc
need_moat_runtime

W="$(tmp_dir work)"
on_exit runc_delete_all "$RUNC_ROOT"
moat() { "$MOAT_RUNTIME" --root "$RUNC_ROOT" "$@"; }

# The probe: a static binary that calls the five syscalls with arguments the
# kernel rejects with its own errno (EINVAL, ENOENT, EOPNOTSUPP, ESRCH).
gcc -static -O2 -o "$W/probe" "$MOAT_SOURCE_DIR/tests/integration/seccomp_probe.c" ||
  fail "cannot build the probe with gcc -static (libc6-dev's libc.a)"
UNFILTERED='unshare=EINVAL mount=ENOENT keyctl=EOPNOTSUPP ptrace=ESRCH bpf=EINVAL'
DENIED='unshare=EPERM mount=EPERM keyctl=EPERM ptrace=EPERM bpf=EPERM'

# Profiles: the shipped ones, restricted with "seccomp": "unconfined" (the
# control), restricted without its seccomp key (refuses a bundle without a
# filter), and a Docker-format file named by absolute path whose rules
# depend on CAP_SYS_ADMIN.
P="$W/profiles"
mkdir -m 0755 "$P" "$P/seccomp"
install -m 0644 "$MOAT_SOURCE_DIR/profiles/restricted.json" "$P/restricted.json"
install -m 0644 "$MOAT_SOURCE_DIR/profiles/seccomp/default.json" "$P/seccomp/default.json"
jq '.seccomp = "unconfined"' "$P/restricted.json" >"$P/unconfined.json"
jq 'del(.seccomp)' "$P/restricted.json" >"$P/noseccomp.json"
jq '.syscalls += [
      {"names": ["unshare", "mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["keyctl"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_SYS_ADMIN"]}}]' \
  "$P/seccomp/default.json" >"$W/capcond.json"
jq -n --arg s "$W/capcond.json" '{user: {root: "allow"}, no_new_privileges: true, seccomp: $s}' \
  >"$P/capcond.json"
chmod 0644 "$P"/*.json "$W/capcond.json"
export MOAT_PROFILES_DIR="$P"
moat_env "$W/conf" enforce restricted

# bundle NAME ARGS_JSON: a busybox bundle with the probe at /bin/probe.
bundle() {
  make_bundle "$W/$1" "$2"
  install -m 0755 "$W/probe" "$W/$1/rootfs/bin/probe"
  echo "$W/$1"
}

run_in() { # run_in PROFILE BUNDLE: moat run, stdout and stderr
  moat_conf_jq '.default_profile = $p' --arg p "$1"
  (cd "$2" && moat run "$(new_id "$1")" 2>&1)
}

echo "== without a filter the kernel answers (the control)"
B="$(bundle control '["sh","-c","grep ^Seccomp: /proc/self/status; probe"]')"
out="$(run_in unconfined "$B")" || fail "control run failed: $out"
echo "$out"
assert_match "$out" $'Seccomp:\t0' "no filter in the control"
assert_match "$out" "$UNFILTERED" "kernel errnos without a filter"

echo "== a profile that names no filter refuses a bundle without one"
B="$(bundle nofilter '["true"]')"
out="$(run_in noseccomp "$B")" && fail "a bundle without a filter ran under noseccomp: $out"
echo "$out" | tail -n1
assert_match "$out" 'linux.seccomp: none \(the process would run unconfined\) and profile "noseccomp" names no seccomp filter to put in its place' \
  "refusal without a filter"

echo "== restricted: the default-deny filter says EPERM"
B="$(bundle restricted '["sh","-c","grep ^Seccomp: /proc/self/status; probe; unshare -U true"]')"
out="$(run_in restricted "$B")" && fail "unshare -U ran under restricted: $out"
echo "$out"
assert_match "$out" $'Seccomp:\t2' "filter mode"
assert_match "$out" "$DENIED" "errnos under restricted"
assert_match "$out" 'unshare: unshare\(0x10000000\): Operation not permitted' "busybox unshare"
jq -e '.linux.seccomp.defaultAction == "SCMP_ACT_ERRNO" and
       (.linux.seccomp.architectures | index("SCMP_ARCH_X86_64")) != null' "$B/config.json" >/dev/null ||
  fail "config.json has no linux.seccomp: $(jq -c .linux.seccomp "$B/config.json")"
tail -n1 "$W/conf/audit.log" | jq -e '.changes | any(test("^linux.seccomp: set from seccomp/default.json \\([0-9]+ syscalls allowed\\)$"))' \
  >/dev/null || fail "audit record lacks the seccomp change: $(tail -n1 "$W/conf/audit.log")"

echo "== restricted: an ordinary busybox workload runs"
workload='set -e
  mkdir -p /tmp/w && cd /tmp/w
  seq 1 2000 | sort -rn | head -n 3 >top; [ "$(tail -n1 top)" = 1998 ]
  printf "b\na\nb\n" | sort | uniq -c | wc -l | grep -q 2
  for i in 1 2 3; do echo "line $i" >>log; done; [ "$(wc -l <log)" = 3 ]
  cp log log2 && mv log2 log3 && ln -s log3 ln && [ "$(readlink ln)" = log3 ] && rm ln log3
  ls -la / >/dev/null && stat /bin/busybox >/dev/null && find /etc -name passwd | grep -q passwd
  ps >/dev/null && id -u && uname -s && date +%Y >/dev/null && hostname >/dev/null
  (sleep 0.2 & wait) && timeout 2 sleep 0.1
  awk "BEGIN { s = 0; for (i = 1; i <= 100; i++) s += i; print s }" | grep -qx 5050
  sed -e s/line/LINE/ log | grep -c LINE | grep -qx 3
  echo workload-ok'
B="$(bundle workload "$(jq -nc --arg w "$workload" '["sh","-c",$w]')")"
out="$(run_in restricted "$B")" || fail "workload failed under restricted: $out"
echo "$out"
assert_match "$out" $'65534\nLinux\nworkload-ok' "workload output"

echo "== exec into a restricted container gets the same filter"
B="$(bundle long '["sleep","300"]')"
moat_conf_jq '.default_profile = "restricted"'
id="$(new_id long)"
moat create --bundle "$B" "$id" </dev/null >/dev/null 2>&1 || fail "create failed"
moat start "$id" || fail "start failed"
out="$(moat exec "$id" probe 2>&1)" || fail "exec failed: $out"
assert_eq "$out" "$DENIED" "exec errnos"
moat delete --force "$id" || fail "delete failed"

echo "== Docker format: includes/excludes by CAP_SYS_ADMIN follow the final bounding set"
B="$(bundle noadmin '["probe"]')"
out="$(run_in capcond "$B")" || fail "run without CAP_SYS_ADMIN failed: $out"
assert_eq "$out" 'unshare=EPERM mount=EPERM keyctl=EOPNOTSUPP ptrace=EPERM bpf=EPERM' \
  "without CAP_SYS_ADMIN"
jq -e '.linux.seccomp.syscalls | any(.names | index("keyctl")) and
       (any(.names | index("unshare")) | not)' "$B/config.json" >/dev/null ||
  fail "noadmin: linux.seccomp resolved wrongly"
B="$(bundle admin '["probe"]')"
bundle_jq "$B" '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])'
out="$(run_in capcond "$B")" || fail "run with CAP_SYS_ADMIN failed: $out"
assert_eq "$out" 'unshare=EINVAL mount=ENOENT keyctl=EPERM ptrace=EPERM bpf=EPERM' \
  "with CAP_SYS_ADMIN"
echo "ok: the same profile gives different filters with and without CAP_SYS_ADMIN"
# restricted drops CAP_SYS_ADMIN before seccomp is resolved: no way in by asking for it.
jq '.seccomp = $s' --arg s "$W/capcond.json" "$P/restricted.json" >"$P/restricted-capcond.json"
chmod 0644 "$P/restricted-capcond.json"
B="$(bundle askadmin '["probe"]')"
bundle_jq "$B" '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])'
out="$(run_in restricted-capcond "$B")" || fail "run failed: $out"
assert_eq "$out" 'unshare=EPERM mount=EPERM keyctl=EOPNOTSUPP ptrace=EPERM bpf=EPERM' \
  "CAP_SYS_ADMIN asked for but dropped by the profile"

echo "== broken seccomp files are refused before runc, naming file and field"
refused() { # refused NAME SECCOMP_JSON_FILTER WANT_REGEX [MODE]
  local name="$1" filter="$2" want="$3" mode="${4:-0644}" b id out
  jq "$filter" "$P/seccomp/default.json" >"$P/seccomp/$name.json"
  chmod "$mode" "$P/seccomp/$name.json"
  jq --arg s "seccomp/$name.json" '.seccomp = $s' "$P/restricted.json" >"$P/$name.json"
  chmod 0644 "$P/$name.json"
  moat_conf_jq '.default_profile = $p' --arg p "$name"
  b="$(bundle "bad-$name" '["true"]')"
  id="$(new_id "$name")"
  if out="$(moat create --bundle "$b" "$id" 2>&1)"; then fail "$name: create succeeded"; fi
  assert_match "$out" "$want" "$name error"
  assert_eq "$(echo "$out" | wc -l)" 1 "$name: one line"
  "$RUNC" --root "$RUNC_ROOT" state "$id" >/dev/null 2>&1 && fail "$name: a container exists"
  echo "ok: $name: $out"
}
refused unknown-syscall '.syscalls[0].names += ["opne"]' \
  "$P/seccomp/unknown-syscall.json: syscalls\\[0\\].names\\[[0-9]+\\]: unknown syscall \"opne\" for SCMP_ARCH_X86_64"
refused unknown-action '.syscalls[1].action = "SCMP_ACT_MAYBE"' \
  'unknown-action.json: syscalls\[1\].action: unknown action "SCMP_ACT_MAYBE"'
refused unknown-arch '.archMap[0].subArchitectures += ["SCMP_ARCH_Z80"]' \
  'unknown-arch.json: archMap\[0\].subArchitectures\[2\]: unknown architecture "SCMP_ARCH_Z80"'
refused conflict '.syscalls += [.syscalls[] | select(.names == ["socket"]) | .action = "SCMP_ACT_LOG"]' \
  'config.json: linux.seccomp: [^ ]*/conflict.json: syscalls\[[0-9]+\].names\[0\]: libseccomp cannot add a SCMP_ACT_LOG rule for "socket": File exists'
refused writable '.' 'writable.json: mode 0664 is group- or world-writable: refused' 0664

if ! command -v dockerd >/dev/null 2>&1; then
  echo "PASS (dockerd not installed: the Docker part was not run)"
  exit 0
fi
echo "== docker run --runtime moat: the errno from inside, Docker's own filter replaced"
# The probe is bound in from the host, so the profile grants it (read-only),
# as an operator grants a compose-style bind.
jq --arg p "$W/probe" '.host_paths = [{"path": $p, "writable": false}]' \
  "$P/restricted.json" >"$P/restricted-probe.json"
chmod 0644 "$P/restricted-probe.json"
moat_conf_jq '.default_profile = "restricted-probe"'
start_dockerd seccomp "$MOAT_RUNTIME"
moat_conf_jq '.docker_root = $r' --arg r "$DOCKERD_DIR/root"
docker_import_busybox moat-test/busybox:1
drun() { docker run --rm --runtime moat --network none -v "$W/probe:/bin/probe:ro" "$@"; }
out="$(drun moat-test/busybox:1 probe 2>&1)" || fail "docker run failed: $out"
echo "docker run: $out"
assert_eq "$out" "$DENIED" "docker run errnos (Docker's default filter would allow ptrace)"
out="$(drun --security-opt seccomp=unconfined moat-test/busybox:1 probe 2>&1)" ||
  fail "docker run seccomp=unconfined failed: $out"
echo "docker run --security-opt seccomp=unconfined: $out"
assert_eq "$out" "$DENIED" "seccomp=unconfined does not escape the profile"
if out="$(drun moat-test/busybox:1 unshare -U true 2>&1)"; then fail "unshare ran: $out"; fi
echo "docker run ... unshare -U true: $out"
assert_match "$out" 'Operation not permitted' "busybox unshare under docker"
echo "PASS"
