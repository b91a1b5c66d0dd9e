#!/usr/bin/env bash
# Parity with runc (issue #7), the part that runs here; the OCI runtime-tools
# validation suite itself runs in runtime_tools_test.sh where it is built.
#
# (a) Spec validity of moat's rewrites. Real configs (`runc spec`, one that a
#     private dockerd wrote for a real container, and configs with hooks,
#     mounts and resources) go through `moat-runtime create` under each
#     shipped profile (profiles/*.json) that admits them; ocivalidate
#     (tests/tools/ocivalidate: runtime-tools' validate checks, the JSON
#     schema from Debian's runtime-spec package) checks config.json before and
#     after. The rewrite must add no finding the original did not have.
# (b) Lifecycle parity. Scenarios named after runtime-tools' validation tests
#     (oci_parity_scenarios.sh) run once with bare runc and once with
#     moat-runtime in front of runc under a profile that lets everything
#     through; what they observe (exit statuses, in-container probes, `state`
#     and hook stdin with pid/created/bundle/id normalised) must be identical.
#     A negative control runs one scenario under a profile that drops a
#     capability and must see a difference.
#
# OCI_PARITY_SCENARIOS: space-separated scenario names to run (default: all);
# OCI_PARITY_VERBOSE=1: print what each scenario observed under bare runc.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd "$RUNC" jq unshare
need_moat_runtime

OCIVALIDATE="${OCIVALIDATE:-$MOAT_BUILD_DIR/tests/ocivalidate}"
if [[ ! -x "$OCIVALIDATE" ]]; then
  if ! command -v go >/dev/null ||
    [[ ! -d /usr/share/gocode/src/github.com/opencontainers/runtime-tools/validate ]]; then
    skip "ocivalidate needs golang-go and golang-github-opencontainers-runtime-tools-dev" \
      "(scripts/install-deps.sh), then cmake again"
  fi
  fail "ocivalidate not built: $OCIVALIDATE (re-run cmake and build the ocivalidate target)"
fi

W="$(tmp_dir work)"
on_exit runc_delete_all "$RUNC_ROOT"

# The shipped profiles (with their seccomp/ directory), a passthrough profile
# for the lifecycle scenarios and, for the negative control, the same less
# one capability.
P="$W/profiles"
mkdir -m 0755 "$P"
cp -r "$MOAT_SOURCE_DIR"/profiles/. "$P/"
mapfile -t SHIPPED < <(find "$MOAT_SOURCE_DIR/profiles" -maxdepth 1 -name '*.json' -printf '%f\n' |
  sed 's/\.json$//' | sort)
install -m 0644 "$MOAT_SOURCE_DIR/tests/fixtures/profiles/passthrough.json" "$P/passthrough.json"
jq '.description = "passthrough less CAP_NET_RAW: the negative control" |
    .capabilities = {"drop": ["NET_RAW"]}' "$P/passthrough.json" >"$P/dropcap.json"
chmod -R u=rwX,go=rX "$P"
for prof in "${SHIPPED[@]}" passthrough dropcap; do
  MOAT_PROFILES_DIR="$P" moat_env "$W/conf-$prof" enforce "$prof"
done

# A busybox rootfs and a `runc spec` config (terminal off) every bundle copies.
make_busybox_rootfs "$W/rootfs"
mkdir -m 0755 "$W/spec"
"$RUNC" spec --bundle "$W/spec"
jq '.process.terminal = false' "$W/spec/config.json" >"$W/spec.json"

# new_bundle DIR [FILTER [JQ_ARGS...]]: DIR with a copy of the rootfs and the
# template config edited by FILTER.
new_bundle() {
  local dir="$1" filter="${2:-.}"
  shift 2 || shift $#
  mkdir -m 0755 "$dir"
  cp -a "$W/rootfs" "$dir/rootfs"
  jq "$@" "$filter" "$W/spec.json" >"$dir/config.json" || fail "new_bundle: jq failed: $filter"
  chmod 0644 "$dir/config.json"
}

source "$(dirname "${BASH_SOURCE[0]}")/oci_parity_validity.sh"
source "$(dirname "${BASH_SOURCE[0]}")/oci_parity_scenarios.sh"

spec_validity
lifecycle_parity
echo "PASS"
