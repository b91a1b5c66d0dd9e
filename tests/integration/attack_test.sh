#!/usr/bin/env bash
# The attack suite (#12): what a docker-group user would try to reach the
# host as root, through a private dockerd on which moat is both the default
# runtime and the node's `runc` (a directory first in dockerd's PATH holds
# `runc` as a link to moat-runtime, as takeover_test.sh does; deb_test.sh
# tests the divert itself). Every attack runs three ways:
#   - the default runtime (moat) and `--runtime runc` (dockerd's built-in
#     runc, which is moat here): docker run must exit non-zero with the real
#     host object named in the docker CLI's output;
#   - `--runtime bare` (a second runtime entry pointing at the real runc): the
#     same attack must work, its check must pass inside the container (a
#     negative control: if this stops working, the refusal proves nothing).
# Non-destructive: checks read (`test -r`) or ask (`test -w`, `test -S`);
# nothing is written to the host outside this test's directory.
#
# Devices, seccomp and LSMs are not here (their own test). `--privileged`
# and `--cap-add ALL` cannot start even under bare runc in this VM (runc:
# "unable to apply caps", see STYLE.md): their control is that runc itself
# got the config and failed at that step, and the explicit
# SYS_ADMIN+SYS_MODULE case carries the real control.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd dockerd containerd jq
need_moat_runtime

W="$(tmp_dir work)"
moat_as_runc "$W" # its moat.conf runs the real runc ($RUNC)
PATH="$W/bin:$PATH" start_dockerd attack "$MOAT_RUNTIME" \
  "$(jq -n --arg bare "$RUNC" '{"default-runtime": "moat", runtimes: {bare: {path: $bare}}}')"
# shellcheck disable=SC2016 # $r is jq's
moat_conf_jq '.docker_root = $r' --arg r "$DOCKERD_DIR/root"
D="$DOCKERD_DIR"
docker_import_busybox moat-test/busybox:1
IMG=moat-test/busybox:1
assert_eq "$(docker info -f '{{.DefaultRuntime}}')" moat "docker info: default runtime"

# An image whose /data belongs to 65534: a fresh volume on /data takes that
# owner, so a restricted container (uid 65534) can plant a symbolic link in
# a place the engine grants (volumes/*/_data).
R="$W/rootfs-data"
make_busybox_rootfs "$R"
mkdir -m 0755 "$R/data"
chown 65534:65534 "$R/data"
tar --numeric-owner -C "$R" -cf - . | docker import --change 'CMD ["sh"]' - moat-test/data:1 >/dev/null
docker volume create plain >/dev/null
out="$(docker run --rm --network none -v plain:/data moat-test/data:1 sh -c 'id -u; ln -s /etc /data/link' 2>&1)" ||
  fail "planting the link from a restricted container failed: $out"
assert_eq "$out" 65534 "the planting container's uid"
PLAIN="$(docker volume inspect -f '{{.Mountpoint}}' plain)"
[[ -L "$PLAIN/link" ]] || fail "$PLAIN/link is not a symbolic link"

# Volumes made by the local driver: binds of the host's /etc, of the
# socket's directory and of dockerd's volumes directory itself (every
# volume and its metadata store, mounted where a volume's data would be); a
# read-only overlay of host directories; the root filesystem's block device
# (mounted again: the same filesystem); a fresh proc and a sysfs (all
# mounted on the host by dockerd).
ROOTDEV="$(awk '$5 == "/" { for (i = 7; $i != "-"; i++); print $(i + 2) }' /proc/self/mountinfo | tail -n1)"
[[ -b "$ROOTDEV" ]] || fail "the root filesystem's source $ROOTDEV is not a block device"
docker volume create -o type="$(findmnt -n -o FSTYPE /)" -o device="$ROOTDEV" devvol >/dev/null
docker volume create -o type=none -o o=bind -o device=/etc etcvol >/dev/null
docker volume create -o type=none -o o=bind -o device="$D" sockvol >/dev/null
docker volume create -o type=none -o o=bind -o device="$D/root/volumes" allvol >/dev/null
docker volume create -o type=overlay -o device=overlay -o o=lowerdir=/etc:/usr/local/bin ovlvol >/dev/null
docker volume create -o type=proc -o device=proc procvol >/dev/null
docker volume create -o type=sysfs -o device=sysfs sysvol >/dev/null

# A running container: another container's files, and docker exec after start.
victim="$(docker run -d --network none "$IMG" sleep 600)"
on_exit "docker rm -f $victim >/dev/null 2>&1 || true"

ns() { readlink "/proc/self/ns/$1"; }
# Every case: name | docker run args (split at spaces) | what the refusal
# must say | a check that passes inside the container only when it reached
# the object (run as `sh -c`, under moat as under the control). A check of
# "!RUNC: TEXT" means the control must fail in runc itself with TEXT.
CASES="
privileged        |--privileged                                     |(privileged container)|!RUNC: unable to apply caps
cap-add ALL       |--cap-add ALL                                    |holds CAP_SYS_ADMIN and CAP_SYS_MODULE (privileged container)|!RUNC: unable to apply caps
cap SYS_ADMIN+MOD |--cap-add SYS_ADMIN --cap-add SYS_MODULE         |holds CAP_SYS_ADMIN and CAP_SYS_MODULE (privileged container)|mount -t tmpfs t /tmp
pid host          |--pid host                                       |no pid namespace (the container would share the host's)|[ \"\$(readlink /proc/self/ns/pid)\" = '$(ns pid)' ] && test -d /proc/$$
net host          |--net host                                       |joins the host's network namespace ($D/x/netns/default)|[ \"\$(readlink /proc/self/ns/net)\" = '$(ns net)' ]
ipc host          |--ipc host                                       |no ipc namespace (the container would share the host's)|[ \"\$(readlink /proc/self/ns/ipc)\" = '$(ns ipc)' ]
uts host          |--uts host                                       |no uts namespace (the container would share the host's)|[ \"\$(readlink /proc/self/ns/uts)\" = '$(ns uts)' ]
bind /            |-v /:/h                                          |: / is the host's / and profile \"restricted\" grants no host path there|test -w /h/etc/passwd
bind /etc         |-v /etc:/h                                       |: /etc is the host's /etc and profile|test -w /h/passwd
bind /etc/cron.d  |-v /etc/cron.d:/h                                |: /etc/cron.d is the host's /etc/cron.d and profile|test -w /h
bind proc/sys/k   |-v /proc/sys/kernel:/h                           |: /proc/sys/kernel is the host's /proc/sys/kernel (proc filesystem) and profile|test -w /h/hostname
bind cgroupfs     |-v /sys/fs/cgroup:/h                             |: /sys/fs/cgroup is the host's /sys/fs/cgroup and profile|test -w /h/pids/tasks
bind usr/local/bin|-v /usr/local/bin:/h                             |: /usr/local/bin is the host's /usr/local/bin and profile|test -w /h
bind /root        |-v /root:/h                                      |: /root is the host's /root and profile|test -w /h
bind data root    |-v $D/root:/h                                    |: $D/root is the host's $D/root and profile|test -w /h/volumes
bind other ctr    |-v $D/root/containers/$victim:/h                 |: $D/root/containers/$victim is the host's $D/root/containers/$victim and profile|test -w /h/config.v2.json
bind layers       |-v $D/root/overlay2:/h                           |: $D/root/overlay2 is the host's $D/root/overlay2 and profile|test -w /h
docker socket     |-v $D/docker.sock:/s                             |: bind mount of $D/docker.sock exposes a container engine's API socket|test -S /s
socket dir        |-v $D:/s                                         |: $D is the host's $D and profile|test -S /s/docker.sock
ro /etc/shadow    |-v /etc/shadow:/s:ro                             |: /etc/shadow is the host's /etc/shadow and profile \"restricted\" grants no host path there|test -r /s
volume of /etc    |-v etcvol:/h                                     |/volumes/etcvol/_data is the host's /etc (a bind made outside the container) and profile|test -r /h/shadow
volume of sockdir |-v sockvol:/s                                    |/volumes/sockvol/_data is the host's $D (a bind made outside the container) and profile|test -S /s/docker.sock
volume of volumes |-v allvol:/h                                     |/volumes/allvol/_data is the host's $D/root/volumes (a bind made outside the container) and profile|test -w /h/metadata.db
volume of overlay |-v ovlvol:/h                                     |/volumes/ovlvol/_data (overlay filesystem of lowerdir=/etc:/usr/local/bin) and profile|test -r /h/shadow
volume of rootdev |-v devvol:/h                                     |/volumes/devvol/_data is the host's / (a bind made outside the container) and profile|test -r /h/etc/shadow
volume of proc    |-v procvol:/h                                    |/volumes/procvol/_data is the host's $D/root/volumes/procvol/_data (proc filesystem)|test -d /h/$$ && test -w /h/sys/kernel/hostname
volume of sysfs   |-v sysvol:/h                                     |/volumes/sysvol/_data is the host's /sys (a bind made outside the container)|test -w /h/kernel/rcu_expedited
mount proc volume |--mount type=volume,src=procvol2,dst=/h,volume-opt=type=proc,volume-opt=device=proc|/volumes/procvol2/_data is the host's $D/root/volumes/procvol2/_data (proc filesystem)|test -d /h/$$
symlink in volume |-v $PLAIN/link:/h                                |is the host's /etc and profile|test -r /h/shadow
--mount propagate |--mount type=bind,src=/etc,dst=/h,bind-propagation=rprivate|: /etc is the host's /etc and profile|test -r /h/shadow
"

# run_case RUNTIME ARGS... -- CHECK: docker run; prints its output, returns its status.
run_case() {
  local rt="$1" check
  shift
  local args=()
  while [[ "$1" != -- ]]; do
    args+=("$1")
    shift
  done
  check="$2"
  [[ " ${args[*]} " == *" --net "* ]] || args+=(--network none)
  timeout 60 docker run --rm --runtime "$rt" "${args[@]}" "$IMG" sh -c "$check" 2>&1
}

refused=0
controls=0
while IFS='|' read -r name args want check; do
  [[ -n "$name" ]] || continue
  name="${name%"${name##*[! ]}"}" # trailing blanks
  read -r -a argv <<<"$args"
  for rt in moat runc; do
    if out="$(run_case "$rt" "${argv[@]}" -- "$check")"; then
      fail "$name: got through moat (--runtime $rt): docker run ${argv[*]} succeeded: $out"
    fi
    [[ "$out" == *'refused: profile "restricted"'* ]] ||
      fail "$name: not refused by moat (--runtime $rt): it started, or failed on its own: $out"
    [[ "$out" == *"$want"* ]] || fail "$name (--runtime $rt): the refusal lacks '$want': $out"
    refused=$((refused + 1))
  done
  if [[ "$check" == '!RUNC: '* ]]; then
    if out="$(run_case bare "${argv[@]}" -- true)"; then
      echo "note: $name: the control started under bare runc (this VM refused it before)"
    else
      [[ "$out" == *"runc create failed"*"${check#!RUNC: }"* ]] ||
        fail "$name: control under bare runc failed before runc's capability step: $out"
    fi
  else
    out="$(run_case bare "${argv[@]}" -- "$check")" ||
      fail "$name: control under bare runc did not reach the object (check: $check): $out"
  fi
  controls=$((controls + 1))
  printf 'ok: %-18s refused naming "%s"\n' "$name" "${want#: }"
done <<<"$CASES"

# Asked for, but fitted to the profile rather than refused: the container
# (or exec'd process) starts with nothing of what was asked. name | docker
# args | check under moat | check under bare runc (the control).
FITTED="
userns host       |--userns host                |[ \$(id -u) = 65534 ] && grep -q 'CapEff:.0000000000000000' /proc/self/status|[ \$(id -u) = 0 ]
cap SYS_ADMIN     |--cap-add SYS_ADMIN          |! mount -t tmpfs t /tmp 2>/dev/null && grep -q 'CapEff:.0000000000000000' /proc/self/status|mount -t tmpfs t /tmp
user 0            |-u 0                         |[ \$(id -u) = 65534 ]|[ \$(id -u) = 0 ]
"
fitted=0
while IFS='|' read -r name args check control; do
  [[ -n "$name" ]] || continue
  name="${name%"${name##*[! ]}"}"
  read -r -a argv <<<"$args"
  for rt in moat runc; do
    out="$(run_case "$rt" "${argv[@]}" -- "$check")" ||
      fail "$name (--runtime $rt): not fitted to the profile (check: $check): $out"
  done
  out="$(run_case bare "${argv[@]}" -- "$control")" ||
    fail "$name: control under bare runc (check: $control): $out"
  fitted=$((fitted + 1))
  printf 'ok: %-18s fitted to the profile\n' "$name"
done <<<"$FITTED"

echo "== --security-opt systempaths=unconfined under baseline (root in the container)"
# Without masked and read-only /proc paths, a container's root writes the
# host's sysctls (kernel.core_pattern runs a program as host root): moat
# puts Docker's default set back. Checked by the mount table, never by a write.
# shellcheck disable=SC2016 # the container's shell expands it
ro_sys='[ $(id -u) = 0 ] && awk '\''$5 == "/proc/sys" && $6 ~ /^ro/'\'' /proc/self/mountinfo | grep -q .'
moat_conf_jq '.default_profile = "baseline"'
for rt in moat runc; do
  out="$(run_case "$rt" --security-opt systempaths=unconfined -- "$ro_sys")" ||
    fail "systempaths=unconfined (--runtime $rt, baseline): /proc/sys is not read-only: $out"
done
# shellcheck disable=SC2016
rw_sys='[ $(id -u) = 0 ] && ! awk '\''$5 == "/proc/sys" && $6 ~ /^ro/'\'' /proc/self/mountinfo | grep -q .'
out="$(run_case bare --security-opt systempaths=unconfined -- "$rw_sys")" ||
  fail "control: under bare runc, systempaths=unconfined did not leave /proc/sys writable: $out"
moat_conf_jq '.default_profile = "restricted"'
fitted=$((fitted + 1))
echo "ok: systempaths=unconfined fitted: /proc/sys read-only again"

echo "== docker exec after start"
# moat's container (the victim, default runtime) and a control under bare runc.
bare_ctr="$(docker run -d --network none --runtime bare "$IMG" sleep 600)"
on_exit "docker rm -f $bare_ctr >/dev/null 2>&1 || true"
out="$(docker exec -u 0 "$victim" id -u 2>&1)" || fail "docker exec -u 0: $out"
assert_eq "$out" 65534 "docker exec -u 0 under moat"
out="$(docker exec -u 0 "$bare_ctr" id -u 2>&1)" || fail "control: docker exec -u 0: $out"
assert_eq "$out" 0 "control: docker exec -u 0 under bare runc"
out="$(docker exec --privileged "$victim" grep CapEff /proc/self/status 2>&1)" ||
  fail "docker exec --privileged: $out"
assert_match "$out" $'CapEff:\t0000000000000000' "docker exec --privileged under moat"
if out="$(docker exec --privileged "$bare_ctr" grep CapEff /proc/self/status 2>&1)"; then
  assert_match "$out" $'CapEff:\t0*[1-9a-f]' "control: docker exec --privileged under bare runc"
else
  [[ "$out" == *"unable to apply caps"* ]] || fail "control: docker exec --privileged: $out"
fi
fitted=$((fitted + 2))
echo "ok: docker exec -u 0 and --privileged fitted to the profile"

echo "== what is ordinary still runs under moat"
docker volume create -o type=tmpfs -o device=tmpfs -o o=size=1m tmpvol >/dev/null
for args in "-v myvol:/data" "-v tmpvol:/data" "--tmpfs /data" "--mount type=tmpfs,dst=/data" \
  "-v $PLAIN:/data:ro"; do
  read -r -a argv <<<"$args"
  # shellcheck disable=SC2016 # the container's shell expands it
  out="$(run_case moat "${argv[@]}" -- 'test -d /data && [ $(id -u) = 65534 ]')" ||
    fail "docker run $args under moat: $out"
  echo "ok: docker run $args"
done

if docker ps -q --filter status=running | grep -q -v -e "^${victim:0:12}" -e "^${bare_ctr:0:12}"; then
  fail "a refused container is running: $(docker ps --filter status=running)"
fi
echo "$refused refusals (default runtime and --runtime runc), $controls controls reached under bare runc, $fitted fitted"
echo PASS
