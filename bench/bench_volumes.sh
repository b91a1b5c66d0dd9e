#!/usr/bin/env bash
# Create overhead with binds present: a container with 5 named volumes (plain
# directories under a Docker root's volumes/, as `docker volume create` makes
# them), each bind source judged as a host object (statx mount id, mountinfo)
# against the engine roots, against bare runc in the same run; then the same
# bundle without the volumes, for comparison. See bench/README.md.
#
#   bash bench/bench_volumes.sh [-n N]      (other bench.sh flags pass through)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MOAT_SOURCE_DIR="${MOAT_SOURCE_DIR:-$(cd "$here/.." && pwd)}"
export MOAT_SOURCE_DIR
source "$MOAT_SOURCE_DIR/tests/integration/lib.sh"
need_root
need_cmd jq

W="$(tmp_dir volumes-bench)"
moat_env "$W/conf" enforce restricted
root="$W/docker-root"
moat_conf_jq '.docker_root = $r' --arg r "$root"
mounts='[]'
for i in 1 2 3 4 5; do
  mkdir -p "$root/volumes/vol$i/_data"
  mounts="$(jq -c --arg s "$root/volumes/vol$i/_data" --arg d "/data$i" \
    '. + [{destination: $d, type: "bind", source: $s, options: ["rbind", "rprivate"]}]' <<<"$mounts")"
done
make_bundle "$W/b" '["true"]'
jq --argjson m "$mounts" '.mounts += $m' "$W/b/config.json" >"$W/volumes.json"
echo "== 5 named volumes"
BENCH_CONFIG_JSON="$W/volumes.json" bash "$here/bench.sh" -c "$MOAT_CONFIG" "$@"
echo
echo "== no volumes"
bash "$here/bench.sh" -c "$MOAT_CONFIG" "$@"
