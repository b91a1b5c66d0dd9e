# shellcheck shell=bash
# Comparing two TAP streams of one runtime-tools validation test, as
# runtime_tools_test.sh does for bare runc and moat-runtime (sourced; tested
# by tap_compare_test.sh with recorded streams).
#
# A validation test's result is the multiset of its (status, description)
# lines: some tests (`default`) print their checks in an order that changes
# from run to run, numbering them as they go, so the test point numbers and
# the order are left out. What varies between runs inside a description
# (temporary bundle paths, container ids, pids, times) is replaced.

# tap_results FILE: the results of a TAP stream, one "ok|not ok <description>"
# line per test point, sorted.
tap_results() {
  { grep -E '^(not )?ok( |$)' "$1" || true; } |
    sed -E -e 's/^(not ok|ok) *[0-9]*( +- +| +|$)/\1 /' -e 's/ +$//' \
      -e 's#/tmp/ocitest[^/ ]*#/tmp/ocitest#g' \
      -e 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/<uuid>/g' \
      -e 's/\b[0-9]{3,}\b/<n>/g' |
    LC_ALL=C sort
}

# tap_compare A.tap B.tap: 0 when both streams have the same results. When
# they differ, prints the lines only A has ("< ") and only B has ("> ").
tap_compare() {
  local a b
  a="$(tap_results "$1")"
  b="$(tap_results "$2")"
  [[ "$a" == "$b" ]] && return 0
  LC_ALL=C comm -23 <(printf '%s\n' "$a") <(printf '%s\n' "$b") | sed 's/^/< /'
  LC_ALL=C comm -13 <(printf '%s\n' "$a") <(printf '%s\n' "$b") | sed 's/^/> /'
  return 1
}

# tap_counts FILE: "<ok>/<all>" of a stream.
tap_counts() {
  local r
  r="$(tap_results "$1")"
  if [[ -z "$r" ]]; then
    echo "0/0"
    return
  fi
  echo "$(grep -c '^ok' <<<"$r" || true)/$(grep -c . <<<"$r")"
}
