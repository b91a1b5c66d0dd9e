#!/usr/bin/env bash
# Parity with runc: the OCI runtime-tools validation suite
# (github.com/opencontainers/runtime-tools, validation/) run against bare
# runc and against moat-runtime in front of runc, with a profile that lets
# everything through (user kept, no capability or mount changes, deny rules
# off) and policy insecureAcceptAnything. Every test's TAP results must be
# identical under both; tests that fail under bare runc too are listed as
# "cannot run here" with runc's first failure, and still have to match.
#
# The suite is not built here: Debian 12 packages runtime-tools only as
# golang-github-opencontainers-runtime-tools-dev, the Go library (generate,
# specerror, validate, cgroups, filepath, error) without validation/ or
# cmd/runtimetest. The source package that has them,
# golang-github-opencontainers-runtime-tools 0.9.0+git20220423.g0105384-2,
# cannot be had either: the Debian mirror this machine reaches serves its
# .dsc (HTTP 200) but not the .orig.tar.xz the .dsc names (HTTP 404), so
# `apt-get source` fails. And validation/ needs github.com/mndrix/tap-go,
# which Debian does not package. Point RUNTIME_TOOLS_DIR at a checkout built
# with `make runtimetest validation-executables` (it holds runtimetest,
# rootfs-amd64.tar.gz and validation/**/*.t) to run it; otherwise the test
# is skipped with that reason.
#
# What runs here instead is oci_parity_test.sh: runtime-tools' validate
# package (from that -dev package) on every config moat rewrites, and
# lifecycle scenarios named after the validation tests, under bare runc and
# under moat-runtime, compared.
#
# RUNTIME_TOOLS_TESTS: space-separated test names to run (default: all);
# RUNTIME_TOOLS_TIMEOUT: seconds per test and runtime (default 120).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd "$RUNC" jq
need_moat_runtime

RT="${RUNTIME_TOOLS_DIR:-}"
if [[ -z "$RT" ]]; then
  skip "runtime-tools validation suite not available: Debian 12 ships only its Go library" \
    "(golang-github-opencontainers-runtime-tools-dev: no validation/, no cmd/runtimetest);" \
    "the mirror serves the source package's .dsc but not its .orig.tar.xz (404), and" \
    "validation/ needs github.com/mndrix/tap-go (not in Debian). Set RUNTIME_TOOLS_DIR" \
    "to a built checkout; oci_parity_test.sh runs the parity checks that can run here"
fi
[[ -x "$RT/runtimetest" ]] || fail "$RT: no runtimetest (run make runtimetest validation-executables there)"
mapfile -t all < <(cd "$RT" && find validation -name '*.t' -type f | sort)
((${#all[@]} > 0)) || fail "$RT/validation: no *.t executables (make validation-executables)"
tests=()
if [[ -n "${RUNTIME_TOOLS_TESTS:-}" ]]; then
  for n in $RUNTIME_TOOLS_TESTS; do
    found=""
    for t in "${all[@]}"; do [[ "$(basename "$t" .t)" == "$n" ]] && found="$t"; done
    [[ -n "$found" ]] || fail "no validation test named $n"
    tests+=("$found")
  done
else
  tests=("${all[@]}")
fi
per_test="${RUNTIME_TOOLS_TIMEOUT:-120}"

W="$(tmp_dir work)"
P="$W/profiles"
mkdir -m 0755 "$P"
install -m 0644 "$MOAT_SOURCE_DIR/tests/fixtures/profiles/passthrough.json" "$P/passthrough.json"
MOAT_PROFILES_DIR="$P" moat_env "$W/conf" enforce passthrough

# tap FILE: the results of a TAP stream, one "ok|not ok <n> <description>"
# line per test point, with what varies between runs (paths of temporary
# bundles, container ids, pids, times) replaced.
tap() {
  grep -E '^(not )?ok [0-9]+' "$1" |
    sed -E -e 's#/tmp/ocitest[^/ ]*#/tmp/ocitest#g' \
      -e 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/<uuid>/g' \
      -e 's/\b[0-9]{3,}\b/<n>/g' || true
}

echo "== ${#tests[@]} validation tests, each under runc and moat-runtime (${per_test}s limit each)"
differ=0
cannot=()
for t in "${tests[@]}"; do
  name="$(basename "$t" .t)"
  for arm in runc moat; do
    rt="$RUNC"
    [[ "$arm" == moat ]] && rt="$MOAT_RUNTIME"
    rc=0
    (cd "$RT" && RUNTIME="$rt" timeout "$per_test" "./$t") >"$W/$name.$arm.out" 2>&1 || rc=$?
    echo "$rc" >"$W/$name.$arm.rc"
    tap "$W/$name.$arm.out" >"$W/$name.$arm.tap"
  done
  r="$(grep -c '^ok' "$W/$name.runc.tap" || true)/$(grep -c . "$W/$name.runc.tap" || true)"
  m="$(grep -c '^ok' "$W/$name.moat.tap" || true)/$(grep -c . "$W/$name.moat.tap" || true)"
  if ! diff -q "$W/$name.runc.tap" "$W/$name.moat.tap" >/dev/null; then
    echo "DIFFERENT: $name: runc $r ok, moat $m ok"
    diff "$W/$name.runc.tap" "$W/$name.moat.tap" | head -n 20
    grep -m3 'moat:' "$W/$name.moat.out" || true
    differ=$((differ + 1))
    continue
  fi
  if grep -q '^not ok' "$W/$name.runc.tap" || [[ ! -s "$W/$name.runc.tap" ]]; then
    why="$(grep -m1 '^not ok' "$W/$name.runc.tap" || tail -n1 "$W/$name.runc.out")"
    cannot+=("$name: $why")
  fi
  echo "same: $name ($r ok under both)"
done
if ((${#cannot[@]} > 0)); then
  echo "== cannot run here (fail under bare runc as well; identical under moat):"
  printf '  %s\n' "${cannot[@]}"
fi
((differ == 0)) || fail "$differ of ${#tests[@]} validation tests differ between runc and moat-runtime"
echo "PASS: ${#tests[@]} tests identical"
