# shellcheck shell=bash
# A dockerd data-root written by hand, for tests that need moat-runtime to
# resolve and verify a Docker image without running dockerd: the files
# verify/identity/docker_resolver.h reads (containers/<id>/config.v2.json, layerdb
# mounts, imagedb, repositories.json, a manifest in the managed containerd's
# content store), with a plain directory standing in for the overlay2 mount
# (moat compares root.path with the mount-id, it does not read mountinfo for
# Docker). runc then runs the container from that directory as usual.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   source "$(dirname "${BASH_SOURCE[0]}")/fake_docker.sh"
#   fake_docker_root "$W/docker"             # sets FAKE_DOCKER_ROOT
#   fake_docker_image registry.moat.test/moat/busybox:1
#                                            # sets FAKE_IMAGE_ID, FAKE_MANIFEST,
#                                            #      FAKE_MANIFEST_DIGEST
#   b="$(fake_docker_container "$cid" '["true"]')"  # prints the bundle dir
#   moat_conf_jq '.docker_root = $r' --arg r "$FAKE_DOCKER_ROOT"
#
# Signing (simple signing with skopeo, as containers/image reads it):
#   fake_docker_sign_setup "$W/conf" registry.moat.test "$W/look"
#                                            # GPG key, policy.json (signedBy for
#                                            # registry.moat.test/moat, else reject),
#                                            # registries.d lookaside; sets FPR, FAKE_KEY
#   fake_docker_sign registry.moat.test/moat/busybox:1 "$W/look"

# fake_docker_root DIR: an empty data-root (root-owned, 0755 at every level).
fake_docker_root() {
  FAKE_DOCKER_ROOT="$1"
  install -d -m 0755 "$FAKE_DOCKER_ROOT"
  FAKE_DOCKER_ROOT="$(cd "$FAKE_DOCKER_ROOT" && pwd -P)"
  FAKE_DOCKER_STORE="$FAKE_DOCKER_ROOT/containerd/daemon/io.containerd.content.v1.content"
  install -d -m 0755 "$FAKE_DOCKER_ROOT"/{containers,overlay2} \
    "$FAKE_DOCKER_ROOT/image/overlay2/imagedb/content/sha256" \
    "$FAKE_DOCKER_ROOT/image/overlay2/layerdb/mounts" "$FAKE_DOCKER_STORE/blobs/sha256"
  export FAKE_DOCKER_ROOT FAKE_DOCKER_STORE
}

_fake_sha() { sha256sum "$1" | cut -d' ' -f1; }

# fake_docker_image REF: one image, one layer, pulled as REF (a tag), with its
# manifest in the content store and REF's repository@digest recorded.
fake_docker_image() {
  local ref="$1" tmp diff hex repo
  tmp="$(mktemp -d "$FAKE_DOCKER_ROOT/.img.XXXXXX")"
  diff="sha256:$(printf '%s' "$ref" | sha256sum | cut -d' ' -f1)"
  jq -nc --arg d "$diff" \
    '{architecture: "amd64", os: "linux", config: {Cmd: ["sh"]}, rootfs: {type: "layers", diff_ids: [$d]}}' \
    >"$tmp/config"
  hex="$(_fake_sha "$tmp/config")"
  FAKE_IMAGE_ID="sha256:$hex"
  FAKE_LAYER="$diff"
  install -m 0600 "$tmp/config" "$FAKE_DOCKER_ROOT/image/overlay2/imagedb/content/sha256/$hex"
  jq -nc --arg c "$FAKE_IMAGE_ID" --arg d "$diff" \
    '{schemaVersion: 2, mediaType: "application/vnd.docker.distribution.manifest.v2+json",
      config: {mediaType: "application/vnd.docker.container.image.v1+json", size: 1, digest: $c},
      layers: [{mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size: 1, digest: $d}]}' \
    >"$tmp/manifest"
  hex="$(_fake_sha "$tmp/manifest")"
  FAKE_MANIFEST_DIGEST="sha256:$hex"
  FAKE_MANIFEST="$FAKE_DOCKER_STORE/blobs/sha256/$hex"
  install -m 0444 "$tmp/manifest" "$FAKE_MANIFEST"
  repo="${ref%:*}"
  jq -nc --arg repo "$repo" --arg ref "$ref" --arg dig "$repo@$FAKE_MANIFEST_DIGEST" --arg id "$FAKE_IMAGE_ID" \
    '{Repositories: {($repo): {($ref): $id, ($dig): $id}}}' >"$tmp/repositories.json"
  install -m 0600 "$tmp/repositories.json" "$FAKE_DOCKER_ROOT/image/overlay2/repositories.json"
  rm -rf "$tmp"
  FAKE_IMAGE_REF="$ref"
  export FAKE_IMAGE_ID FAKE_MANIFEST FAKE_MANIFEST_DIGEST FAKE_IMAGE_REF FAKE_LAYER
}

# fake_docker_container CID ARGS_JSON: container CID (64 hex) of the last
# fake_docker_image, created from its REF; its rootfs (busybox) at
# overlay2/<mount-id>/merged (files hard-linked from one tree); prints its bundle directory (config.json from
# `runc spec`, root.path absolute, process.args ARGS_JSON).
fake_docker_container() {
  local cid="$1" args="$2" mount merged bundle
  [[ "$cid" =~ ^[0-9a-f]{64}$ ]] || fail "fake_docker_container: '$cid' is not 64 hex"
  mount="$(printf 'mount-%s' "$cid" | sha256sum | cut -d' ' -f1)"
  merged="$FAKE_DOCKER_ROOT/overlay2/$mount/merged"
  install -d -m 0755 "$FAKE_DOCKER_ROOT/overlay2/$mount"
  # One busybox tree, hard-linked into each container's rootfs.
  [[ -d "$FAKE_DOCKER_ROOT/.rootfs" ]] || make_busybox_rootfs "$FAKE_DOCKER_ROOT/.rootfs" >/dev/null
  cp -al "$FAKE_DOCKER_ROOT/.rootfs" "$merged"
  install -d -m 0755 "$FAKE_DOCKER_ROOT/image/overlay2/layerdb/mounts/$cid" \
    "$FAKE_DOCKER_ROOT/containers/$cid"
  printf '%s' "$mount" >"$FAKE_DOCKER_ROOT/image/overlay2/layerdb/mounts/$cid/mount-id"
  printf '%s' "$FAKE_LAYER" >"$FAKE_DOCKER_ROOT/image/overlay2/layerdb/mounts/$cid/parent"
  chmod 0644 "$FAKE_DOCKER_ROOT/image/overlay2/layerdb/mounts/$cid"/*
  jq -nc --arg id "$cid" --arg img "$FAKE_IMAGE_ID" --arg ref "$FAKE_IMAGE_REF" \
    '{ID: $id, Image: $img, Driver: "overlay2", Config: {Image: $ref}}' \
    >"$FAKE_DOCKER_ROOT/containers/$cid/config.v2.json"
  chmod 0600 "$FAKE_DOCKER_ROOT/containers/$cid/config.v2.json"
  bundle="$FAKE_DOCKER_ROOT/bundles/$cid"
  install -d -m 0755 "$FAKE_DOCKER_ROOT/bundles" "$bundle"
  "$RUNC" spec --bundle "$bundle"
  # shellcheck disable=SC2016 # jq's variables
  bundle_jq "$bundle" '.process.terminal = false | .process.args = $args | .root.path = $root' \
    --argjson args "$args" --arg root "$merged"
  echo "$bundle"
}

# fake_docker_sign_setup CONF_DIR REGISTRY LOOKASIDE: a GPG key, a policy
# that wants its signature on REGISTRY/moat (and rejects everything else),
# and a registries.d file pointing REGISTRY at the lookaside directory.
fake_docker_sign_setup() {
  local conf="$1" reg="$2" look="$3"
  install -d -m 0755 "$conf"
  gpg_signing_key "$conf/gnupg" 'moat signer' signer@moat.test
  FAKE_KEY="$conf/signer.gpg"
  install -m 0644 "$conf/gnupg.signer@moat.test.gpg" "$FAKE_KEY"
  jq -n --arg scope "$reg/moat" --arg key "$FAKE_KEY" \
    '{default: [{type: "reject"}],
      transports: {docker: {($scope): [{type: "signedBy", keyType: "GPGKeys", keyPath: $key}]}}}' \
    >"$conf/policy.json"
  chmod 0644 "$conf/policy.json"
  install -d -m 0755 "$look" "$conf/registries.d"
  printf 'docker:\n  %s:\n    lookaside: file://%s\n' "$reg" "$look" >"$conf/registries.d/fake.yaml"
  chmod 0644 "$conf/registries.d/fake.yaml"
  export FAKE_KEY
}

# fake_docker_sign REF LOOKASIDE: signature-1 for the last image's manifest,
# signed for REF by the key of fake_docker_sign_setup; prints its path.
fake_docker_sign() {
  local ref="$1" look="$2" path dir
  path="${ref#*/}"
  path="${path%:*}"
  dir="$look/$path@sha256=${FAKE_MANIFEST_DIGEST#sha256:}"
  install -d -m 0755 "$dir"
  skopeo standalone-sign -o "$dir/signature-1" "$FAKE_MANIFEST" "$ref" "$FPR" ||
    fail "fake_docker_sign: skopeo standalone-sign failed"
  chmod 0644 "$dir/signature-1"
  echo "$dir/signature-1"
}

# fake_docker_signed_busybox WORK: where the signed-image tests start from:
# registry.moat.test/moat/busybox:1 in a fake dockerd root (WORK/docker),
# signed into the lookaside WORK/look under fake_docker_sign_setup's policy
# (WORK/conf), and moat.conf's docker_root pointing at that root. The
# signature's path is left in FAKE_SIGNATURE.
fake_docker_signed_busybox() {
  local work="$1"
  fake_docker_root "$work/docker"
  fake_docker_image registry.moat.test/moat/busybox:1
  fake_docker_sign_setup "$work/conf" registry.moat.test "$work/look" 2>/dev/null
  FAKE_SIGNATURE="$(fake_docker_sign registry.moat.test/moat/busybox:1 "$work/look")"
  moat_conf_jq '.docker_root = $r' --arg r "$FAKE_DOCKER_ROOT"
}
