#!/usr/bin/env bash
# The Docker image-identity resolver (verify/identity/docker_resolver.cc) against a real
# private dockerd and a real local registry (Debian's docker-registry on
# 127.0.0.1): pulled, retagged, loaded, imported and id-addressed images, a
# manifest list, and tampered engine state. A wrapper runtime records each
# bundle's config.json at `create` (what moat-runtime would see) and runs runc;
# tests/tools/identity.cc (moat_identity) prints what the resolver makes of it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd dockerd containerd jq curl sha256sum docker-registry
ID_TOOL="${MOAT_IDENTITY:-$MOAT_BUILD_DIR/tests/moat_identity}"
[[ -x "$ID_TOOL" ]] || fail "moat_identity not built: $ID_TOOL (set MOAT_BUILD_DIR)"

W="$(tmp_dir work)"
export DOCKER_CONFIG="$W/docker-config" # `docker manifest` keeps its lists here
mkdir -m 0700 "$DOCKER_CONFIG" "$W/bundles"

# --- a registry on 127.0.0.1 ---------------------------------------------------
start_registry "$W/registry"
echo "registry at $REG"

# --- a recording runtime, registered as "moat" in a private dockerd ---------------
cat >"$W/record-runtime" <<EOF
#!/bin/bash
# Keeps runc's argv and, at create/run, <bundle>/config.json; then runs runc.
printf '%s\n' "\$*" >>"$W/bundles/argv.log"
bundle="" prev=""
for a in "\$@"; do
  case "\$prev" in --bundle | -b) bundle="\$a" ;; esac
  case "\$a" in --bundle=* | -b=*) bundle="\${a#*=}" ;; esac
  prev="\$a"
done
if [[ -n "\$bundle" ]]; then
  cp "\$bundle/config.json" "$W/bundles/\${!#}.json"
fi
exec "$RUNC" "\$@"
EOF
chmod 0755 "$W/record-runtime"
start_dockerd ident "$W/record-runtime" "{\"insecure-registries\": [\"$REG\"]}"
ROOT="$DOCKERD_DIR/root"

# run IMAGE: start a container through the recording runtime; prints its id.
run() {
  local cid
  cid="$(docker run -d --runtime moat --network none "$1" sleep 300)" || fail "docker run $1 failed"
  [[ -f "$W/bundles/$cid.json" ]] || fail "runtime did not see create of $cid"
  echo "$cid"
}
rootfs_of() { jq -r .root.path "$W/bundles/$1.json"; }

# resolve CID [ARGS...]: the tool's JSON for a container, with its recorded root.path.
resolve() {
  local cid="$1" out
  shift
  out="$("$ID_TOOL" --docker-root "$ROOT" --id "$cid" --rootfs "$(rootfs_of "$cid")" "$@" 2>&1)" ||
    fail "moat_identity failed for $cid: $out"
  echo "$out"
}

# resolve_fails WANT ARGS...: the tool must fail with WANT in its message.
resolve_fails() {
  local want="$1" out
  shift
  if out="$("$ID_TOOL" "$@" 2>&1)"; then fail "moat_identity $* succeeded: $out"; fi
  echo "  refused: $out"
  [[ "$out" == *"$want"* ]] || fail "moat_identity $*: message lacks '$want'"
}

q() { jq -r "$2" <<<"$1"; } # q JSON FILTER

image_id() { docker image inspect --format '{{.Id}}' "$1"; }

echo "== pulled by tag: used reference and one verified manifest"
docker_import_busybox "$REG/moat/busybox:1"
docker push "$REG/moat/busybox:1" >/dev/null
docker rmi "$REG/moat/busybox:1" >/dev/null
docker pull "$REG/moat/busybox:1" >/dev/null
IMG="$(image_id "$REG/moat/busybox:1")"
DIG="$(docker image inspect --format '{{index .RepoDigests 0}}' "$REG/moat/busybox:1")"
DIG="${DIG#*@}"
# The registry's own bytes hash to the digest dockerd recorded.
reg_dig="sha256:$(curl -sf -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "http://$REG/v2/moat/busybox/manifests/1" | sha256sum | cut -d' ' -f1)"
assert_eq "$reg_dig" "$DIG" "registry manifest digest"
c1="$(run "$REG/moat/busybox:1")"
out="$(resolve "$c1")"
echo "$out"
assert_eq "$(q "$out" .engine)" docker "engine"
assert_eq "$(q "$out" .config_digest)" "$IMG" "config_digest"
assert_eq "$(q "$out" .used_reference)" "$REG/moat/busybox:1" "used_reference"
assert_eq "$(q "$out" '.tags | join(",")')" "$REG/moat/busybox:1" "tags"
assert_eq "$(q "$out" '.manifests | length')" 1 "manifest count"
assert_eq "$(q "$out" '.manifests[0].digest')" "$DIG" "manifest digest"
assert_eq "$(q "$out" '.manifests[0].repositories | join(",")')" "$REG/moat/busybox" "repositories"
assert_eq "$(q "$out" '.manifests[0].media_type')" \
  application/vnd.docker.distribution.manifest.v2+json "media_type"
assert_match "$(q "$out" '.evidence | join("\n")')" 'layer chain matches rootfs.diff_ids \(1 layers\)' \
  "evidence"
assert_match "$(q "$out" '.evidence | join("\n")')" \
  "manifest $DIG \\(repo digest of $REG/moat/busybox\\) found in containerd content store $ROOT/containerd/daemon/io.containerd.content.v1.content, config digest matches" \
  "evidence"
# The bytes are the registry's.
"$ID_TOOL" --docker-root "$ROOT" --id "$c1" --rootfs "$(rootfs_of "$c1")" --bytes |
  jq -j '.manifests[0].bytes' | cmp - <(curl -sf -H \
  'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "http://$REG/v2/moat/busybox/manifests/1") || fail "manifest bytes differ from the registry's"
# The data-root taken from root.path gives the same answer.
out2="$("$ID_TOOL" --id "$c1" --rootfs "$(rootfs_of "$c1")")" || fail "without --docker-root: $out2"
assert_eq "$(jq -c 'del(.evidence)' <<<"$out2")" "$(jq -c 'del(.evidence)' <<<"$out")" \
  "result without --docker-root"

echo "== run by digest"
out="$(resolve "$(run "$REG/moat/busybox@$DIG")")"
assert_eq "$(q "$out" .used_reference)" "$REG/moat/busybox@$DIG" "used_reference by digest"
assert_eq "$(q "$out" '.manifests | length')" 1 "manifest count by digest"

echo "== retagged under another name: manifest only for the pulled repository"
docker tag "$REG/moat/busybox:1" moat-local/renamed:2
jq . "$ROOT/image/overlay2/repositories.json"
out="$(resolve "$(run moat-local/renamed:2)")"
echo "$out"
assert_eq "$(q "$out" .used_reference)" docker.io/moat-local/renamed:2 "used_reference after docker tag"
assert_eq "$(q "$out" '.tags | sort | join(",")')" \
  "$REG/moat/busybox:1,docker.io/moat-local/renamed:2" "tags after docker tag"
assert_eq "$(q "$out" '.manifests | length')" 1 "manifest count after docker tag"
assert_eq "$(q "$out" '.manifests[0].repositories | join(",")')" "$REG/moat/busybox" \
  "repositories after docker tag"

echo "== run by image id: no used reference"
short="${IMG#sha256:}"
short="${short:0:12}"
for by in "$short" "$IMG"; do
  out="$(resolve "$(run "$by")")"
  assert_eq "$(q "$out" .used_reference)" "" "used_reference when run by $by"
  assert_eq "$(q "$out" .config_digest)" "$IMG" "config_digest when run by $by"
  assert_eq "$(q "$out" '.manifests | length')" 1 "manifest count when run by $by"
done

echo "== a committed image: dockerd's chainIDs over two layers, and no manifest"
docker exec "$c1" sh -c 'echo layer2 >/etc/moat-layer2' || fail "docker exec failed"
docker commit "$c1" moat-local/committed:1 >/dev/null
out="$(resolve "$(run moat-local/committed:1)")"
assert_match "$(q "$out" '.evidence | join("\n")')" 'layer chain matches rootfs.diff_ids \(2 layers\)' \
  "evidence for a committed image"
assert_eq "$(q "$out" .used_reference)" docker.io/moat-local/committed:1 "used_reference of committed"
assert_eq "$(q "$out" '.manifests | length')" 0 "manifests of committed"

echo "== a manifest list: the list digest and the per-platform manifest"
docker_import_busybox "$REG/moat/other:1"
docker push "$REG/moat/other:1" >/dev/null
docker rmi "$REG/moat/other:1" >/dev/null
docker pull "$REG/moat/other:1" >/dev/null # now its manifest is stored too
OTHER_DIG="$(docker image inspect --format '{{index .RepoDigests 0}}' "$REG/moat/other:1")"
OTHER_DIG="${OTHER_DIG#*@}"
docker manifest create --insecure "$REG/moat/multi:1" "$REG/moat/busybox:1" "$REG/moat/other:1" >/dev/null
# Never this host's platform, so that a pull selects busybox:1.
docker manifest annotate --arch s390x "$REG/moat/multi:1" "$REG/moat/other:1"
LIST="$(docker manifest push --insecure "$REG/moat/multi:1" | tail -n 1)"
assert_match "$LIST" '^sha256:[0-9a-f]{64}$' "manifest list digest"
docker pull "$REG/moat/multi:1" >/dev/null
assert_eq "$(image_id "$REG/moat/multi:1")" "$IMG" "image pulled through the list"
out="$(resolve "$(run "$REG/moat/multi:1")")"
echo "$out"
assert_eq "$(q "$out" .used_reference)" "$REG/moat/multi:1" "used_reference through a list"
assert_eq "$(q "$out" '[.manifests[] | .digest] | sort | join(",")')" \
  "$(printf '%s\n' "$DIG" "$LIST" | sort | paste -sd,)" "manifests through a list"
assert_eq "$(q "$out" ".manifests[] | select(.digest == \"$LIST\") | .media_type")" \
  application/vnd.docker.distribution.manifest.list.v2+json "list media_type"
assert_eq "$(q "$out" ".manifests[] | select(.digest == \"$DIG\") | .via_index | join(\",\")")" \
  "$LIST" "per-platform manifest via_index"
assert_eq "$(q "$out" ".manifests[] | select(.digest == \"$DIG\") | .repositories | sort | join(\",\")")" \
  "$REG/moat/busybox,$REG/moat/multi" "per-platform manifest repositories"
assert_eq "$(q "$out" ".manifests[] | select(.digest == \"$LIST\") | .repositories | join(\",\")")" \
  "$REG/moat/multi" "list repositories"

echo "== tampered engine state is an error"
c_other="$(run "$REG/moat/other:1")"
resolve_fails "is not the container's overlay2 mount" \
  --docker-root "$ROOT" --id "$c1" --rootfs "$(rootfs_of "$c_other")"
resolve_fails "is not the container's overlay2 mount" \
  --docker-root "$ROOT" --id "$c_other" --rootfs "$(rootfs_of "$c1")"
resolve_fails "cannot open directory: No such file" \
  --docker-root "$ROOT" --id "$(printf '%064d' 7)" --rootfs "$(rootfs_of "$c1")"
resolve_fails "not 64 lower-case hex" --docker-root "$ROOT" --id "${c1:0:12}" --rootfs "$(rootfs_of "$c1")"
# tamper FILE WANT EDIT...: run EDIT on a copy of FILE, swap it in, expect WANT, restore.
tamper() {
  local file="$1" want="$2"
  shift 2
  cp -a "$file" "$W/saved"
  "$@" "$file"
  resolve_fails "$want" --docker-root "$ROOT" --id "$c1" --rootfs "$(rootfs_of "$c1")"
  cp -a "$W/saved" "$file"
}
add_space() { printf ' ' >>"$1"; }
tamper "$ROOT/image/overlay2/imagedb/content/sha256/${IMG#sha256:}" "not to the image id" add_space
tamper "$ROOT/containerd/daemon/io.containerd.content.v1.content/blobs/sha256/${DIG#sha256:}" \
  "not to its name" add_space
other_parent() { cat "$ROOT/image/overlay2/layerdb/mounts/$c_other/parent" >"$1"; }
tamper "$ROOT/image/overlay2/layerdb/mounts/$c1/parent" "is not the chainID" other_parent
other_image() { jq -c --arg i "$(image_id "$REG/moat/other:1")" '.Image = $i' "$W/saved" >"$1"; }
tamper "$ROOT/containers/$c1/config.v2.json" "is not the chainID" other_image
# A stored manifest of another image, recorded as a digest of this one.
other_repo() {
  jq -c --arg i "$IMG" --arg r "$REG/moat/busybox" --arg d "$OTHER_DIG" \
    '.Repositories[$r][$r + "@" + $d] = $i' "$W/saved" >"$1"
}
tamper "$ROOT/image/overlay2/repositories.json" "is not the image id" other_repo
chmod_g_w() { chmod g+w "$1"; }
tamper "$ROOT/containers/$c1/config.v2.json" "group- or world-writable" chmod_g_w
resolve "$c1" >/dev/null # restored

echo "== docker save | docker load: no manifest, even under the pulled name"
docker save -o "$W/busybox.tar" "$REG/moat/busybox:1"
mapfile -t ids < <(docker ps -aq)
docker rm -f "${ids[@]}" >/dev/null
docker rmi moat-local/committed:1 >/dev/null # a child of $IMG
docker rmi -f "$IMG" >/dev/null              # every name and digest
[[ -z "$(docker images -q "$IMG")" ]] || fail "image $IMG still present after rmi"
docker load -i "$W/busybox.tar" >/dev/null
docker tag "$REG/moat/busybox:1" moat-loaded/busybox:1
assert_eq "$(image_id moat-loaded/busybox:1)" "$IMG" "loaded image id"
for name in "$REG/moat/busybox:1" moat-loaded/busybox:1; do
  out="$(resolve "$(run "$name")")"
  echo "$out"
  assert_eq "$(q "$out" .config_digest)" "$IMG" "config_digest of loaded $name"
  assert_eq "$(q "$out" .used_reference)" "$(jq -rn --arg n "$name" \
    'if ($n | startswith("moat-loaded/")) then "docker.io/" + $n else $n end')" \
    "used_reference of loaded $name"
  assert_eq "$(q "$out" '.manifests | length')" 0 "manifests of loaded $name"
done

echo "== docker import: no digest, no manifest"
docker_import_busybox moat-test/imported:1
out="$(resolve "$(run moat-test/imported:1)")"
echo "$out"
assert_eq "$(q "$out" .used_reference)" docker.io/moat-test/imported:1 "used_reference of imported"
assert_eq "$(q "$out" '.manifests | length')" 0 "manifests of imported"
if q "$out" '.evidence[]' | grep -q 'repo digest'; then fail "imported image has a repo digest"; fi

echo "== dockerd on a separate (\"system\") containerd: manifests in that content store"
C="$MOAT_TEST_TMP/ctrd"
mkdir -m 0755 "$C" "$C/root" "$C/state"
cat >"$C/config.toml" <<EOF
version = 2
root = "$C/root"
state = "$C/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$C/c.sock"
EOF
containerd --config "$C/config.toml" >"$C/log" 2>&1 &
cpid=$!
on_exit "kill $cpid 2>/dev/null; wait_gone 20 $cpid || kill -KILL $cpid 2>/dev/null || true"
deadline=$((SECONDS + 30))
until [[ -S "$C/c.sock" ]]; do
  pid_alive "$cpid" || {
    cat "$C/log" >&2
    fail "containerd exited during startup"
  }
  ((SECONDS < deadline)) || fail "containerd did not create $C/c.sock"
  sleep 0.2
done
start_dockerd sys "$W/record-runtime" "{\"insecure-registries\": [\"$REG\"], \"containerd\": \"$C/c.sock\"}"
ROOT="$DOCKERD_DIR/root"
docker pull "$REG/moat/busybox:1" >/dev/null
[[ ! -e "$ROOT/containerd" ]] || fail "dockerd on an external containerd made $ROOT/containerd"
[[ -f "$C/root/io.containerd.content.v1.content/blobs/sha256/${DIG#sha256:}" ]] ||
  fail "manifest $DIG is not in the external containerd's content store"
c_sys="$(run "$REG/moat/busybox:1")"
out="$(resolve "$c_sys" --content-store "$C/root/io.containerd.content.v1.content")"
echo "$out"
assert_eq "$(q "$out" '[.manifests[] | .digest] | join(",")')" "$DIG" "manifest in the external store"
# The defaults (the managed containerd's store, /var/lib/containerd's) lack it here.
if [[ ! -e "/var/lib/containerd/io.containerd.content.v1.content/blobs/sha256/${DIG#sha256:}" ]]; then
  out="$(resolve "$c_sys")"
  assert_eq "$(q "$out" '.manifests | length')" 0 "manifests with the default stores"
  assert_match "$(q "$out" '.evidence | join("\n")')" "manifest $DIG .* is in no containerd content store" \
    "evidence with the default stores"
fi
echo "PASS"
