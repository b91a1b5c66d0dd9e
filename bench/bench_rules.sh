#!/usr/bin/env bash
# Create overhead with 50 rules and 20 exceptions in moat.conf (none of which
# matches the bench bundle, so every one is evaluated, and the last rule
# falls through to default_profile), against bare runc in the same run; then
# the same without rules, for comparison. See bench/README.md.
#
#   bash bench/bench_rules.sh [-n N]      (other bench.sh flags pass through)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MOAT_SOURCE_DIR="${MOAT_SOURCE_DIR:-$(cd "$here/.." && pwd)}"
export MOAT_SOURCE_DIR
source "$MOAT_SOURCE_DIR/tests/integration/lib.sh"
need_root
need_cmd jq

W="$(tmp_dir rules-bench)"
moat_env "$W/conf" enforce restricted
moat_conf_jq '
  .rules = [range(50) as $i |
    {name: "rule-\($i)", profile: "baseline", mode: (if $i % 3 == 0 then "warn" else "enforce" end),
     match: (if $i % 2 == 0
             then {engine: ["docker", "podman"], repository: "127.0.0.1:5000/team-\($i)/*",
                   signer: {type: "signedBy", key: "\($i)ABCDEF0123456789"}}
             else {labels: {"tier": "t\($i)"}, digest: ["sha256:\($i)", "sha256:x\($i)"]} end)}]
  | .exceptions = [range(20) as $i |
    {name: "exc-\($i)", reason: "bench", ticket: "B-\($i)", until: "2099-01-01T00:00:00Z",
     match: {digest: "sha256:\($i)0000000000000000000000000000000000000000000000000000000000000"},
     grants: {capabilities: {add: ["CAP_NET_ADMIN"]}, deny: {host_paths: false}}}]'
"$MOAT_CLI" profile rules "$MOAT_CONFIG" 2>/dev/null || fail "the bench's rules do not lint"
echo "== 50 rules, 20 exceptions"
bash "$here/bench.sh" -c "$MOAT_CONFIG" "$@"
moat_conf_jq 'del(.rules, .exceptions)'
echo
echo "== no rules"
bash "$here/bench.sh" -c "$MOAT_CONFIG" "$@"
