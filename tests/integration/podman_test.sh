#!/usr/bin/env bash
# moat-runtime as podman's runtime, configured by contrib/podman/containers.conf,
# with Debian's podman, a private storage root (vfs) and a busybox image
# imported locally (no registry): `podman run` comes up hardened by the
# restricted profile, the refusals (--privileged, --pid host, a writable host
# /etc) reach podman's output, and the audit log records the decisions.
# podman images are of unknown origin to moat (no podman identity yet), so
# moat.conf's policy is the permissive one moat_env writes.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd podman conmon jq
need_moat_runtime

W="$(tmp_dir work)"
moat_env "$W/conf" enforce restricted
# podman hands the runtime a bare environment (only XDG_RUNTIME_DIR) for kill
# and delete, so MOAT_CONFIG reaches moat-runtime through a wrapper; a host
# needs none (/etc/moat/moat.conf).
printf '#!/bin/sh\nMOAT_CONFIG=%q exec %q "$@"\n' "$MOAT_CONFIG" "$MOAT_RUNTIME" >"$W/moat-runtime"
chmod 0755 "$W/moat-runtime"
# contrib/podman/containers.conf as shipped, with the wrapper's path; then
# this sandbox's limits: it lacks CAP_SYS_RESOURCE, so the rlimits podman
# asks for by default (nofile 1048576) cannot be set, by runc alone either.
{
  sed "s|\"/usr/local/sbin/moat-runtime\"|\"$W/moat-runtime\"|" \
    "$MOAT_SOURCE_DIR/contrib/podman/containers.conf"
  printf '\n[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n'
} >"$W/containers.conf"
grep -qF "moat = [\"$W/moat-runtime\"]" "$W/containers.conf" || fail "runtime path not substituted"
export CONTAINERS_CONF="$W/containers.conf"
private_podman

echo "== podman uses contrib/podman/containers.conf"
assert_eq "$(pm info -f '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}')" \
  "moat $W/moat-runtime" "podman's OCI runtime"
make_busybox_rootfs "$W/rootfs"
tar --numeric-owner -C "$W/rootfs" -cf - . |
  pm import -q --change 'CMD ["sh"]' - moat.local/busybox:1 >/dev/null || fail "podman import failed"
IMG=moat.local/busybox:1

echo "== podman run: hardened"
out="$(pm run --rm --network none "$IMG" sh -c "$HARDENED_PROBE; cat /sys/fs/cgroup/pids/pids.max" 2>&1)" ||
  fail "podman run failed: $out"
echo "$out"
assert_hardened "$out" "podman run"
assert_match "$out" $'\n1024$' "pids.max"
jq -e -s 'map(select(.verb == "create")) | last | .decision == "allow" and .image.engine == "unknown"
    and (.bundle | contains("/vfs-containers/"))' "$W/conf/audit.log" >/dev/null ||
  fail "audit record: $(tail -n1 "$W/conf/audit.log")"
out="$(pm run --rm --runtime "$W/moat-runtime" --network none "$IMG" id -u 2>&1)" ||
  fail "podman --runtime PATH run failed: $out"
assert_eq "$out" 65534 "uid with podman --runtime PATH"

echo "== refusals reach podman's output"
refused() {
  local want="$1"
  shift
  expect_refusal "$want" pm run --rm --network none "$@" "$IMG" true
}
refused 'refused: profile "restricted": process.capabilities: holds CAP_SYS_ADMIN' --privileged
refused 'no pid namespace' --pid host
refused "/etc is the host's /etc and profile \"restricted\" grants no host path there" -v /etc:/host-etc
[[ -z "$(pm ps -aq)" ]] || fail "refused containers were left behind: $(pm ps -a)"
echo PASS
