#!/usr/bin/env bash
# Parity with runc: the OCI runtime-tools validation suite
# (github.com/opencontainers/runtime-tools, validation/) run against bare
# runc and against moat-runtime in front of runc, with a profile that lets
# everything through (user kept, no capability or mount changes, deny rules
# off) and policy insecureAcceptAnything. Every test's TAP results must be
# identical under both, compared as sets of (status, description) lines
# (tap_compare.sh); tests that fail under bare runc too are listed as
# "cannot run here" with runc's first failure, and still have to match.
# Every test runs before any is judged; a summary table ends the output.
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

# shellcheck source=tap_compare.sh
source "$(dirname "${BASH_SOURCE[0]}")/tap_compare.sh"

# Every test runs under both runtimes before anything is judged; a test's
# results are compared as sets of (status, description) lines (tap_compare.sh:
# `default` prints its checks in an order that changes from run to run).
echo "== ${#tests[@]} validation tests, each under runc and moat-runtime (${per_test}s limit each)"
declare -A verdict=() counts=() detail=()
for t in "${tests[@]}"; do
  name="$(basename "$t" .t)"
  for arm in runc moat; do
    rt="$RUNC"
    [[ "$arm" == moat ]] && rt="$MOAT_RUNTIME"
    rc=0
    (cd "$RT" && RUNTIME="$rt" timeout "$per_test" "./$t") >"$W/$name.$arm.out" 2>&1 || rc=$?
    echo "$rc" >"$W/$name.$arm.rc"
  done
  counts[$name]="runc $(tap_counts "$W/$name.runc.out") ok, moat $(tap_counts "$W/$name.moat.out") ok"
  if ! tap_compare "$W/$name.runc.out" "$W/$name.moat.out" >"$W/$name.diff"; then
    verdict[$name]=different
    detail[$name]="$(head -n 20 "$W/$name.diff"; grep -m3 'moat:' "$W/$name.moat.out" || true)"
  elif [[ -z "$(tap_results "$W/$name.runc.out")" ]] ||
    tap_results "$W/$name.runc.out" | grep -q '^not ok'; then
    verdict[$name]="cannot run here"
    detail[$name]="$(tap_results "$W/$name.runc.out" | grep -m1 '^not ok' ||
      tail -n1 "$W/$name.runc.out")"
  else
    verdict[$name]=same
  fi
  echo "${verdict[$name]}: $name (${counts[$name]})"
done

echo "== summary"
differ=0 same=0 cannot=0
for t in "${tests[@]}"; do
  name="$(basename "$t" .t)"
  printf '  %-16s %-40s %s\n' "${verdict[$name]}" "$name" "${counts[$name]}"
  case "${verdict[$name]}" in
    same) same=$((same + 1)) ;;
    different) differ=$((differ + 1)) ;;
    *) cannot=$((cannot + 1)) ;;
  esac
done
echo "  same: $same, different: $differ, cannot run here (fail under bare runc as well;" \
  "identical under moat): $cannot"
for t in "${tests[@]}"; do
  name="$(basename "$t" .t)"
  [[ "${verdict[$name]}" == same ]] && continue
  echo "== ${verdict[$name]}: $name"
  printf '%s\n' "${detail[$name]}" | sed 's/^/  /'
done
((differ == 0)) || fail "$differ of ${#tests[@]} validation tests differ between runc and moat-runtime"
echo "PASS: ${#tests[@]} tests identical"
