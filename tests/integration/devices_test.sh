#!/usr/bin/env bash
# Devices, seccomp and LSMs through a private dockerd whose default runtime is
# moat (issue 12), each attack with Docker's built-in runc beside it as the
# negative control: a block device (`--device`) and a devices cgroup rule for
# every block device (`--device-cgroup-rule 'b *:* rwm'`) are refused with the
# device named, while bare runc creates them; a profile that grants the
# device's number lets exactly that through; `--security-opt
# seccomp=unconfined` runs under the profile's filter (restricted and
# baseline); an unconfined AppArmor profile is refused where the host
# enforces AppArmor and passes where it does not (what this host has).
# Block devices cannot be opened from containers in this VM even under bare
# runc (DESIGN.md), so the controls show the node and the rule exist, not a
# read.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd dockerd containerd jq
need_moat_runtime

W="$(tmp_dir work)"

# A block device of this host, by its number: a disk with a device behind it
# (/sys/block/*/device) if there is one, else any (loop, zram).
BLK=""
for d in /sys/block/*/device /sys/block/*/dev; do
  d="${d%/*}"
  [[ -b "/dev/${d##*/}" ]] || continue
  BLK="/dev/${d##*/}"
  break
done
[[ -n "$BLK" ]] || skip "no block device in /sys/block"
NUM="$(stat -c '%t %T' "$BLK")"
MAJOR=$((16#${NUM% *}))
MINOR=$((16#${NUM#* }))
echo "block device: $BLK ($MAJOR:$MINOR)"

# The shipped profiles and one granting read on that device's number.
P="$W/profiles"
mkdir -m 0755 "$P"
cp -r "$MOAT_SOURCE_DIR"/profiles/. "$P/"
jq --argjson ma "$MAJOR" --argjson mi "$MINOR" \
  '.description = "restricted, granting read of one block device" |
   .devices = [{"type": "b", "major": $ma, "minor": $mi, "access": "r"}]' \
  "$P/restricted.json" >"$P/blockread.json"
chmod -R u=rwX,go=rX "$P"
export MOAT_PROFILES_DIR="$P"
moat_env "$W/conf" enforce restricted
start_dockerd devices "$MOAT_RUNTIME" \
  "$(jq --arg rt "$MOAT_RUNTIME" '.runtimes.moat.path = $rt' "$MOAT_SOURCE_DIR/contrib/docker/daemon.json")"
moat_conf_jq '.docker_root = $r' --arg r "$DOCKERD_DIR/root"
assert_eq "$(docker info -f '{{.DefaultRuntime}}')" moat "docker info: default runtime"
docker_import_busybox moat-test/busybox:1
IMG=moat-test/busybox:1
run() { docker run --rm --network none "$@"; }        # moat, the default
control() { docker run --rm --network none --runtime runc "$@"; } # Docker's built-in runc
use_profile() { moat_conf_jq '.default_profile = $p' --arg p "$1"; }

echo "== --device $BLK: bare runc creates the node (the control)"
out="$(control --device "$BLK:/dev/xblk" "$IMG" sh -c 'ls -ln /dev/xblk; grep "^b" /sys/fs/cgroup/devices/devices.list 2>/dev/null || true' 2>&1)" ||
  fail "control: --device under bare runc failed: $out"
echo "$out"
assert_match "$out" "^b.* $MAJOR, +$MINOR .*/dev/xblk" "control: the block node exists"
echo "== --device $BLK: moat refuses it, naming the device"
expect_refusal "linux.devices[0]: /dev/xblk is block device $MAJOR:$MINOR and profile \"restricted\" grants no device $MAJOR:$MINOR" \
  run --device "$BLK:/dev/xblk" "$IMG" true
expect_refusal "allows rw on block device $MAJOR:$MINOR, beyond the devices every container gets, and profile \"restricted\" grants no such device" \
  run --device "$BLK:/dev/xblk" "$IMG" true

echo "== --device-cgroup-rule 'b *:* rwm': bare runc accepts it (the control)"
out="$(control --device-cgroup-rule 'b *:* rwm' "$IMG" sh -c 'cat /sys/fs/cgroup/devices/devices.list 2>/dev/null || echo "(no devices.list)"' 2>&1)" ||
  fail "control: the rule under bare runc failed: $out"
echo "$out"
if [[ "$out" != *"(no devices.list)"* ]]; then
  assert_match "$out" 'b \*:\* rwm' "control: the cgroup holds the rule"
fi
echo "== --device-cgroup-rule 'b *:* rwm': moat refuses it"
expect_refusal "allows rw on block device *:*, beyond the devices every container gets, and profile \"restricted\" grants no such device" \
  run --device-cgroup-rule 'b *:* rwm' "$IMG" true
expect_refusal "allows rw on char device 1:*, beyond the devices every container gets" \
  run --device-cgroup-rule 'c 1:* rw' "$IMG" true

echo "== what every container gets still runs (tty, null, tun rule)"
out="$(run "$IMG" sh -c 'echo x >/dev/null && head -c 4 /dev/urandom | wc -c' 2>&1)" ||
  fail "a plain container was refused: $out"
assert_match "$out" '^4$' "default devices"

echo "== a profile that grants the device's number lets exactly that through"
use_profile blockread
out="$(run --device "$BLK:/dev/xblk:r" "$IMG" sh -c 'ls -ln /dev/xblk' 2>&1)" ||
  fail "--device $BLK:r under blockread was refused: $out"
assert_match "$out" "^b.* $MAJOR, +$MINOR " "granted node"
expect_refusal "allows w on block device $MAJOR:$MINOR" run --device "$BLK:/dev/xblk:rw" "$IMG" true
use_profile restricted

echo "== --security-opt seccomp=unconfined: bare runc has no filter (the control)"
out="$(control --security-opt seccomp=unconfined "$IMG" grep ^Seccomp: /proc/self/status 2>&1)" ||
  fail "control failed: $out"
assert_match "$out" $'Seccomp:\t0' "control: no filter"
for prof in restricted baseline; do
  echo "== --security-opt seccomp=unconfined under $prof: the profile's filter"
  use_profile "$prof"
  out="$(run --security-opt seccomp=unconfined "$IMG" grep ^Seccomp: /proc/self/status 2>&1)" ||
    fail "seccomp=unconfined under $prof failed: $out"
  assert_match "$out" $'Seccomp:\t2' "$prof: filter mode"
  tail -n1 "$W/conf/audit.log" | jq -e '.changes | any(test("^linux.seccomp: set from seccomp/"))' >/dev/null ||
    fail "$prof: audit record lacks the seccomp change: $(tail -n1 "$W/conf/audit.log")"
done
use_profile restricted

echo "== --security-opt apparmor=unconfined"
if [[ -d /sys/kernel/security/apparmor ]] && grep -q '^Y' /sys/module/apparmor/parameters/enabled 2>/dev/null; then
  expect_refusal 'process.apparmorProfile: "unconfined" on a host that enforces AppArmor' \
    run --security-opt apparmor=unconfined "$IMG" true
else
  echo "(this host does not enforce AppArmor: there is nothing to escape, so it runs)"
  out="$(run --security-opt apparmor=unconfined "$IMG" true 2>&1)" ||
    fail "apparmor=unconfined refused on a host without AppArmor: $out"
fi
[[ -z "$(docker ps -aq --filter status=running)" ]] || fail "a refused container is running"
echo "PASS"
