#!/usr/bin/env bash
# Create overhead of moat-runtime verifying a keyless (Fulcio + Rekor) sigstore
# signature, against bare runc in the same run: the material of
# tests/integration/keyless_lib.sh (openssl-made CA, 10-minute leaf, Rekor
# SET), a fake Docker root (tests/integration/fake_docker.sh) so that moat
# resolves the image from the container id as it does under dockerd, and a
# fulcio + rekorPublicKeyPath policy. Every moat create verifies the SET, the
# chain at the integrated time and the signature (sigstore results are not
# cached). Warm: state_dir as left by the previous create; cold: state_dir's
# cache emptied before each moat create; baseline: the same image with
# insecureAcceptAnything, so that the difference is the keyless verification.
#
#   bash bench/bench_keyless.sh [-n N]
set -euo pipefail
n=100
while getopts "n:" o; do
  case "$o" in
    n) n="$OPTARG" ;;
    *) echo "usage: $0 [-n N]" >&2; exit 2 ;;
  esac
done
MOAT_SOURCE_DIR="${MOAT_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export MOAT_SOURCE_DIR
source "$MOAT_SOURCE_DIR/tests/integration/lib.sh"
source "$MOAT_SOURCE_DIR/tests/integration/fake_docker.sh"
source "$MOAT_SOURCE_DIR/tests/integration/keyless_lib.sh"
need_root
need_cmd jq openssl python3
need_moat_runtime

W="$(tmp_dir work)"
# state_dir is /run/moat, a tmpfs, in production: the same here.
mkdir -m 0755 "$W/conf"
mount -t tmpfs -o mode=0755,size=16m moat-bench-keyless "$W/conf"
on_exit "umount '$W/conf' 2>/dev/null || true"
moat_env "$W/conf" enforce restricted
fake_docker_root "$W/docker"
REF=registry.moat.test/moat/busybox:1
fake_docker_image "$REF"
moat_conf_jq '.docker_root = $r' --arg r "$FAKE_DOCKER_ROOT"
keyless_setup "$W" >/dev/null
keyless_sig "$SIGDIR/signature-1" leaf
policy "$FULCIO"
cid="$(printf 'bench-keyless-%s' "$$" | sha256sum | cut -d' ' -f1)"
b="$(fake_docker_container "$cid" '["true"]')"
"$MOAT_RUNTIME" --root "$RUNC_ROOT" create --bundle "$b" "$cid" </dev/null >/dev/null ||
  fail "the keyless-signed image is refused"
"$MOAT_RUNTIME" --root "$RUNC_ROOT" delete --force "$cid" >/dev/null 2>&1 || true
jq '.linux.cgroupsPath = "/moat-bench-keyless"' "$b/config.json" >"$W/config.json"
chmod 0644 "$W/config.json"
echo "image $REF ($FAKE_MANIFEST_DIGEST), sigstoreSigned fulcio + rekorPublicKeyPath; container $cid"
echo
echo "== warm (N=$n)"
BENCH_CONFIG_JSON="$W/config.json" BENCH_ID="$cid" BENCH_NO_RSS=1 \
  bash "$MOAT_SOURCE_DIR/bench/bench.sh" -n "$n" -w 3
echo
cold_n=$(((n + 3) / 4))
echo "== baseline: the same image under insecureAcceptAnything (N=$cold_n)"
cp "$W/conf/policy.json" "$W/policy.keyless"
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$W/conf/policy.json"
BENCH_CONFIG_JSON="$W/config.json" BENCH_ID="$cid" BENCH_NO_RSS=1 \
  bash "$MOAT_SOURCE_DIR/bench/bench.sh" -n "$cold_n" -w 1
cp "$W/policy.keyless" "$W/conf/policy.json"
echo
echo "== cold: state_dir's cache emptied before every moat create (N=$cold_n)"
BENCH_CONFIG_JSON="$W/config.json" BENCH_ID="$cid" BENCH_NO_RSS=1 \
  BENCH_COLD_DIR="$W/conf/state/cache" bash "$MOAT_SOURCE_DIR/bench/bench.sh" -n "$cold_n" -w 1
