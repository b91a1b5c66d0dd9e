#!/usr/bin/env bash
# runtime_tools_test.sh's comparison of TAP streams (tap_compare.sh), on
# recorded streams: the runtime-tools suite itself cannot be built here.
# Two runs of `default` under bare runc print the same checks in different
# orders and must compare equal; a real difference (a check that fails
# under one runtime only, a check missing) must not. Needs no root.
set -euo pipefail
# shellcheck source=tap_compare.sh
source "$(dirname "${BASH_SOURCE[0]}")/tap_compare.sh"

W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT
failures=0
check() {  # check NAME EXPECTED(0|1) A B
  local rc=0 out
  out="$(tap_compare "$3" "$4")" || rc=$?
  if [[ "$rc" != "$2" ]]; then
    echo "FAIL: $1: tap_compare returned $rc, expected $2"
    [[ -n "$out" ]] && printf '%s\n' "$out"
    failures=$((failures + 1))
  else
    echo "ok: $1"
  fi
}

# The shape of runtime-tools' `default` TAP output (validation/default):
# a plan, then numbered points whose order follows a Go map iteration.
cat >"$W/run1.tap" <<'END_OF_TAP'
TAP version 13
ok 1 - root.readonly is false
ok 2 - hostname matches specification
ok 3 - mount /proc matches specification
ok 4 - mount /dev matches specification
ok 5 - rlimit RLIMIT_NOFILE hard matches specification
ok 6 - rlimit RLIMIT_NOFILE soft matches specification
not ok 7 - linux.rootfsPropagation matches specification
  ---
  {"actual":"private","expected":"rprivate"}
  ...
ok 8 - default symlink /dev/fd -> /proc/self/fd
ok 9 - container PID 4711 in /tmp/ocitest123456/config.json
1..9
END_OF_TAP
cat >"$W/run2.tap" <<'END_OF_TAP'
TAP version 13
ok 1 - mount /dev matches specification
ok 2 - rlimit RLIMIT_NOFILE soft matches specification
ok 3 - hostname matches specification
ok 4 - root.readonly is false
ok 5 - default symlink /dev/fd -> /proc/self/fd
not ok 6 - linux.rootfsPropagation matches specification
  ---
  {"actual":"private","expected":"rprivate"}
  ...
ok 7 - mount /proc matches specification
ok 8 - container PID 5102 in /tmp/ocitest987654/config.json
ok 9 - rlimit RLIMIT_NOFILE hard matches specification
1..9
END_OF_TAP
check "the same checks in another order are the same" 0 "$W/run1.tap" "$W/run2.tap"

sed 's/^ok 4 - root.readonly is false/not ok 4 - root.readonly is false/' "$W/run2.tap" >"$W/worse.tap"
check "a check failing under one runtime only differs" 1 "$W/run1.tap" "$W/worse.tap"
grep -v 'hostname matches' "$W/run2.tap" >"$W/fewer.tap"
check "a check missing under one runtime differs" 1 "$W/run1.tap" "$W/fewer.tap"
# A check reported twice under one runtime is not the same as once.
{ cat "$W/run2.tap"; echo "ok 10 - hostname matches specification"; } >"$W/twice.tap"
check "a check reported twice differs from once" 1 "$W/run1.tap" "$W/twice.tap"
: >"$W/empty.tap"
check "an empty stream differs from a full one" 1 "$W/run1.tap" "$W/empty.tap"

out="$(tap_compare "$W/run1.tap" "$W/worse.tap" || true)"
if [[ "$out" != $'< ok root.readonly is false\n> not ok root.readonly is false' ]]; then
  echo "FAIL: the difference is shown as the lines each side has alone, got:"
  printf '%s\n' "$out"
  failures=$((failures + 1))
fi
[[ "$(tap_counts "$W/run1.tap")" == "8/9" ]] || {
  echo "FAIL: tap_counts run1: $(tap_counts "$W/run1.tap")"
  failures=$((failures + 1))
}

((failures == 0)) || {
  echo "FAIL: $failures checks"
  exit 1
}
echo "PASS: tap_compare"
