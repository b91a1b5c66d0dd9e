#!/usr/bin/env bash
# Sets up a Debian 12 machine, builds moat and shows its main job
# with a real, private dockerd that has moat-runtime as a runtime, a local
# registry on 127.0.0.1 and a GPG signing key:
#  - an image pulled from the registry and signed runs, hardened (non-root, no
#    capabilities, no_new_privileges, read-only rootfs, pids limit);
#  - the same image side-loaded (docker save | docker load) or retagged, and an
#    unsigned one, are refused, with the policy scope and the failed check;
#  - `--privileged`, the Docker socket, the host's pid namespace and a writable
#    host /etc are refused, with moat's reason printed by the docker CLI;
#  - `docker exec -u 0 --privileged` into the hardened container stays hardened;
#  - the audit log records each decision.
#
# Needs root: run it as root as it is, or as a user with sudo (it runs itself
# again through sudo).
#
#   bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=common.sh
source scripts/common.sh
as_root "$@"
bash scripts/install-deps.sh
# The build scripts/test.sh makes too (MOAT_WERROR as that tree has it, off in
# a new one); the output in build/build.log, shown if the build fails.
echo "== building moat (Release) in build/"
build_quietly build -DCMAKE_BUILD_TYPE=Release

export MOAT_SOURCE_DIR="$PWD" MOAT_BUILD_DIR="$PWD/build"
# shellcheck source=../tests/integration/lib.sh
source tests/integration/lib.sh
need_root

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() {
  printf '$ %s\n' "$*"
  "$@" 2>&1 | sed 's/^/  /' || true
}

W="$(tmp_dir demo)"
start_registry "$W/registry"
say "a local registry at $REG and a signing key"
gpg_signing_key "$W/gnupg" 'release signer' release@demo.test
cp "$W/gnupg.release@demo.test.gpg" "$W/release.gpg"
echo "  key $FPR"

moat_env "$W/conf" enforce restricted
say "starting a private dockerd with runtime \"moat\" = $MOAT_RUNTIME"
start_dockerd demo "$MOAT_RUNTIME" "{\"insecure-registries\": [\"$REG\"]}"
moat_conf_jq '.docker_root = $r' --arg r "$DOCKERD_DIR/root"

IMG="$REG/demo/busybox:1"
say "publishing $IMG: push, then sign its manifest (skopeo, GPG simple signing)"
docker_import_busybox "$IMG"
docker push -q "$IMG" >/dev/null
skopeo inspect --raw --tls-verify=false "docker://$IMG" >"$W/manifest.json"
DIGEST="sha256:$(sha256sum "$W/manifest.json" | cut -d' ' -f1)"
LOOK="$W/lookaside"
mkdir -p "$LOOK/demo/busybox@sha256=${DIGEST#sha256:}"
skopeo standalone-sign -o "$LOOK/demo/busybox@sha256=${DIGEST#sha256:}/signature-1" \
  "$W/manifest.json" "$IMG" "$FPR"
echo "  $IMG = $DIGEST, signature in $LOOK"
docker rmi -f "$IMG" >/dev/null

jq -n --arg reg "$REG" --arg key "$W/release.gpg" '
  {default: [{type: "reject"}],
   transports: {docker: {($reg + "/demo"): [{type: "signedBy", keyType: "GPGKeys", keyPath: $key}]}}}' \
  >"$W/conf/policy.json"
printf 'docker:\n  %s:\n    lookaside: file://%s\n' "$REG" "$LOOK" >"$W/conf/registries.d/demo.yaml"
chmod 0644 "$W/conf/policy.json" "$W/conf/registries.d/demo.yaml"
say "the node's trust policy and moat.conf"
sed 's/^/  /' "$W/conf/policy.json"
sed 's/^/  /' "$MOAT_CONFIG"

probe='echo "uid=$(id -u) gid=$(id -g)"; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status;
  echo "pids.max=$(cat /sys/fs/cgroup/pids/pids.max)";
  touch /x 2>/dev/null && echo "rootfs: writable" || echo "rootfs: read-only";
  touch /tmp/x && echo "/tmp: writable"'
say "the signed image, pulled from the registry, runs hardened by profile \"restricted\""
docker pull -q "$IMG" >/dev/null
show docker run --rm --runtime moat --network none "$IMG" sh -c "$probe"

say "side-loaded and unsigned images are refused, and docker says why"
docker save "$IMG" -o "$W/image.tar"
docker rmi -f "$IMG" >/dev/null
docker load -q -i "$W/image.tar" >/dev/null
echo "  (docker save | docker load of the very same image: no registry manifest on the node)"
show docker run --rm --runtime moat --network none "$IMG" true
docker rmi -f "$IMG" >/dev/null
docker pull -q "$IMG" >/dev/null
docker tag "$IMG" "$REG/demo/retagged:1"
echo "  (the signed image retagged under a name nobody signed)"
show docker run --rm --runtime moat --network none "$REG/demo/retagged:1" true
docker_import_busybox "$REG/demo/unsigned:1"
echo "  (an image imported on the node under the trusted namespace)"
show docker run --rm --runtime moat --network none "$REG/demo/unsigned:1" true

say "what the profile forbids is refused, even for the signed image"
show docker run --rm --runtime moat --network none --privileged "$IMG" true
show docker run --rm --runtime moat --network none -v "$DOCKERD_DIR/docker.sock:/var/run/docker.sock" "$IMG" true
show docker run --rm --runtime moat --network none --pid host "$IMG" true
show docker run --rm --runtime moat --network none -v /etc:/host-etc "$IMG" true

say "docker exec cannot undo the hardening"
cid="$(docker run -d --runtime moat --network none "$IMG" sleep 120)"
show docker exec -u 0 --privileged "$cid" sh -c 'id -u; grep CapEff /proc/self/status'
docker rm -f "$cid" >/dev/null

say "the audit log ($W/conf/audit.log), one JSON line per decision"
jq -c '{verb, id: .id[0:12], decision, trusted: .image.trusted, reasons: (.reasons | length),
        changes: (.changes | length)}' "$W/conf/audit.log" | sed 's/^/  /'
say "done (the private dockerd and registry are stopped and their files removed on exit)"
