#!/usr/bin/env bash
# moat-runtime in runc's place (moat-node takeover, moat(8)): the engines'
# own lookup of `runc` finds moat. The host's /usr/sbin/runc is not touched
# (other tests run beside this one); instead a directory first in PATH holds
# `runc` as a symbolic link to moat-runtime, which is what takeover makes
# /usr/sbin/runc (deb_test.sh tests the divert itself in a scratch root).
#   - a private dockerd started with that PATH: its built-in runtime
#     (`--runtime runc`, and the default) is hardened and refused exactly like
#     `--runtime moat`; negative control: the link pointed back at the real
#     runc lets the same refused container start;
#   - a private containerd with that PATH: `ctr run` without --runc-binary
#     goes through moat (the runc v2 shim finds `runc` in PATH);
#   - podman with its default runtime `runc`, found at the first path of its
#     search list, goes through moat.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd dockerd containerd jq
need_moat_runtime

W="$(tmp_dir work)"
moat_as_runc "$W" # its moat.conf runs the real runc ($RUNC)
TPATH="$W/bin:$PATH"

echo "== moat-runtime called as runc"
out="$("$W/bin/runc" --version)" || fail "runc --version through moat failed"
assert_match "$out" '^moat-runtime version [0-9.]+'$'\n''runc version ' "runc --version"
out="$("$W/bin/runc" --root "$W/none" list 2>&1)" || fail "runc list through moat failed: $out"
assert_match "$out" '^ID +PID' "runc list (a passthrough verb)"

echo "== dockerd whose built-in runc is moat"
PATH="$TPATH" start_dockerd takeover
moat_conf_jq '.docker_root = $r' --arg r "$DOCKERD_DIR/root"
docker_import_busybox moat-test/busybox:1
IMG=moat-test/busybox:1
assert_eq "$(docker info -f '{{.DefaultRuntime}}')" runc "docker info: default runtime"
for rt in runc moat default; do
  args=(--runtime "$rt")
  [[ $rt != default ]] || args=()
  out="$(docker run --rm --network none "${args[@]}" "$IMG" sh -c "$HARDENED_PROBE" 2>&1)" ||
    fail "docker run (${rt}) failed: $out"
  assert_hardened "$out" "docker run --runtime $rt"
  echo "ok: docker run --runtime $rt: hardened"
done
jq -e -s 'map(select(.verb == "create" and .decision == "allow")) | length >= 3' "$W/conf/audit.log" \
  >/dev/null || fail "want three allowed creates in the audit log"
for rt in runc moat; do
  expect_refusal 'refused: profile "restricted": process.capabilities: holds CAP_SYS_ADMIN' \
    docker run --rm --network none --runtime "$rt" --privileged "$IMG" true
  expect_refusal 'no pid namespace' docker run --rm --network none --runtime "$rt" --pid host "$IMG" true
done

echo "== negative control: the same dockerd with the real runc in that place"
ln -sfn "$RUNC" "$W/bin/runc"
out="$(docker run --rm --network none --runtime runc --pid host "$IMG" id -u 2>&1)" ||
  fail "under the real runc, --pid host failed: $out"
assert_eq "$out" 0 "uid under the real runc"
ln -sfn "$MOAT_RUNTIME" "$W/bin/runc"
stop_dockerd takeover

echo "== containerd: ctr run without --runc-binary"
PATH="$TPATH" start_containerd
moat_conf_jq '.containerd_root = $r | .containerd_state = $s' --arg r "$CTRD/root" --arg s "$CTRD/state"
oci_image_tar "$W/busybox.tar" moat.local/busybox:1
ctr image import "$W/busybox.tar" >/dev/null || fail "ctr image import failed"
cimg=moat.local/busybox:1
crun() { # crun ID ARGS...: ctr run, the runc shim's own choice of runc
  local id="$1" rc=0
  shift
  timeout 60 ctr --address "$CTRD/c.sock" -n "$CTRD_NS" run --rm --runc-root "$RUNC_ROOT" \
    --log-uri "file://$W/$id.log" "$@" "$cimg" "$id" sh -c "$HARDENED_PROBE" 2>&1 || rc=$?
  cat "$W/$id.log" 2>/dev/null
  return "$rc"
}
out="$(crun c-hard)" || fail "ctr run failed: $out"
assert_hardened "$out" "ctr run"
expect_refusal 'refused: profile "restricted"' crun c-priv --privileged
echo "ok: ctr run hardened, --privileged refused"
stop_containerd

echo "== podman's default runtime"
if ! command -v podman >/dev/null || ! command -v conmon >/dev/null; then
  echo "note: podman or conmon not installed; podman not tried"
else
  # podman gives the runtime a bare environment for kill and delete: the
  # link becomes a wrapper that sets MOAT_CONFIG (a node needs none).
  mkdir -m 0755 "$W/pbin"
  printf '#!/bin/bash\nMOAT_CONFIG=%q exec -a runc %q "$@"\n' "$MOAT_CONFIG" "$MOAT_RUNTIME" >"$W/pbin/runc"
  chmod 0755 "$W/pbin/runc"
  # podman's own default (runtime "runc" if no crun is installed, searched
  # for in the [engine.runtimes] list): /usr/bin/runc first, here $W/pbin/runc.
  printf '[engine]\nruntime = "runc"\n[engine.runtimes]\nrunc = ["%s", "/usr/sbin/runc"]\n[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n' \
    "$W/pbin/runc" >"$W/containers.conf"
  export CONTAINERS_CONF="$W/containers.conf"
  private_podman
  assert_eq "$(pm info -f '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}')" "runc $W/pbin/runc" \
    "podman's OCI runtime"
  make_busybox_rootfs "$W/rootfs"
  tar --numeric-owner -C "$W/rootfs" -cf - . |
    pm import -q --change 'CMD ["sh"]' - moat.local/busybox:1 >/dev/null || fail "podman import failed"
  out="$(pm run --rm --network none moat.local/busybox:1 sh -c "$HARDENED_PROBE" 2>&1)" ||
    fail "podman run failed: $out"
  assert_hardened "$out" "podman run"
  expect_refusal 'no pid namespace' pm run --rm --network none --pid host moat.local/busybox:1 true
  echo "ok: podman run hardened, --pid host refused"
fi
echo PASS
