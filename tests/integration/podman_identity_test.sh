#!/usr/bin/env bash
# The podman image-identity resolver (verify/identity/podman_resolver.cc) and
# moat-runtime as podman's runtime, against a real podman (own graph root,
# run root and tmpdir under the test dir; overlay driver, runc) and a real
# local registry (Debian's docker-registry on 127.0.0.1). A recording runtime
# runs tests/tools/podman_identity.cc (moat_podman_identity) at `create`, as
# moat-runtime would, and keeps its answer. Under a signature policy: the
# signed pulled image runs (uid 65534, restricted profile); a retagged one,
# a `podman save | podman load`ed one and a `--rootfs` container are refused
# with the reason in podman's output.
#
# podman hands moat-runtime no MOAT_CONFIG of its own: `create` and `exec` run
# under conmon, whose environment containers.conf's [engine] conmon_env_vars
# sets, but podman runs `start`, `kill` and `delete` itself with only PATH and
# XDG_RUNTIME_DIR. On a host moat-runtime reads /etc/moat/moat.conf; here a
# two-line wrapper sets MOAT_CONFIG for every verb.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd podman jq curl sha256sum docker-registry skopeo gpg
need_moat_runtime
ID_TOOL="${MOAT_PODMAN_IDENTITY:-$MOAT_BUILD_DIR/tests/moat_podman_identity}"
[[ -x "$ID_TOOL" ]] || fail "moat_podman_identity not built: $ID_TOOL (set MOAT_BUILD_DIR)"

W="$(tmp_dir work)"
mkdir -m 0755 "$W/rec"
start_registry "$W/registry"
echo "registry at $REG"
moat_env "$W/conf" enforce restricted
PM="$MOAT_TEST_TMP/pm"
G="$PM/root" # the graph root
mkdir -m 0755 "$PM" "$PM/tmp"
mkdir -m 0700 "$G"
# podman refuses a run root longer than 50 characters.
RR="$(mktemp -d /run/moat-pm.XXXXXX)"
on_exit "rm -rf --one-file-system '$RR'"
moat_conf_jq '.podman_root = $g | .podman_runroot = $r' --arg g "$G" --arg r "$RR"

# podman asks runc for RLIMIT_NOFILE 1048576 and RLIMIT_NPROC 4194304, and
# runs conmon with RLIMIT_NPROC 32768; without CAP_SYS_RESOURCE (this VM)
# runc cannot raise a limit past its hard one. Ask for little.
ulimits=""
for l in "nofile $(ulimit -Hn)" "nproc $(ulimit -Hu)"; do
  read -r name hard <<<"$l"
  [[ "$hard" == unlimited ]] || ((hard > 4096)) && hard=4096
  ulimits+="${ulimits:+, }\"$name=$hard:$hard\""
done
printf '[containers]\ndefault_ulimits = [%s]\n' "$ulimits" >"$PM/containers.conf"
export CONTAINERS_CONF="$PM/containers.conf"
# pm ARGS...: this test's podman; runtime $PM_RUNTIME (default runc).
pm() {
  timeout 120 podman --root "$G" --runroot "$RR" --tmpdir "$PM/tmp" --storage-driver overlay \
    --cgroup-manager cgroupfs --events-backend file --runtime "${PM_RUNTIME:-$RUNC}" \
    --runtime-flag "root=$RUNC_ROOT" "$@"
}
stop_podman() {
  local pids
  pm rm -a -f -t 0 >/dev/null 2>&1 || true
  pm unmount -a >/dev/null 2>&1 || true
  pids="$(procs_mentioning "$PM/")"
  if [[ -n "$pids" ]]; then
    # shellcheck disable=SC2086 # one pid per word
    kill -KILL $pids 2>/dev/null || true
  fi
}
on_exit stop_podman

# The recording runtime: argv, whether MOAT_CONFIG arrived, and at create the
# resolver's answer (<id>.out, or its error in <id>.err); then runc.
cat >"$W/record-runtime" <<EOF
#!/bin/bash
verb="" bundle="" prev=""
for a in "\$@"; do
  case "\$prev" in --bundle | -b) bundle="\$a" ;; esac
  case "\$a" in create | start | kill | delete | state | exec) [[ -n "\$verb" ]] || verb="\$a" ;; esac
  prev="\$a"
done
id="\${!#}"
printf '%s MOAT_CONFIG=%s: %s\n' "\$verb" "\${MOAT_CONFIG:-(unset)}" "\$*" >>"$W/rec/argv.log"
if [[ "\$verb" == create ]]; then
  cp "\$bundle/config.json" "$W/rec/\$id.json"
  "$ID_TOOL" --bundle "\$bundle" --id "\$id" --root "$G" \
    --rootfs "\$(jq -r .root.path "\$bundle/config.json")" \
    >"$W/rec/\$id.out" 2>"$W/rec/\$id.err" || rm -f "$W/rec/\$id.out"
fi
exec "$RUNC" "\$@"
EOF
# moat-runtime with this test's moat.conf, for every verb.
printf '#!/bin/sh\nMOAT_CONFIG=%s exec %s "$@"\n' "$MOAT_CONFIG" "$MOAT_RUNTIME" >"$W/moat-podman"
chmod 0755 "$W/record-runtime" "$W/moat-podman"

q() { jq -r "$2" <<<"$1"; } # q JSON FILTER

# merged ID: the container layer's mount point, where podman points root.path.
merged() {
  echo "$G/overlay/$(jq -r --arg c "$1" '.[] | select(.id == $c) | .layer' \
    "$G/overlay-containers/containers.json")/merged"
}

# resolve ID [ARGS...]: the tool's JSON for a container whose rootfs is mounted.
resolve() {
  local id="$1" out
  shift
  out="$("$ID_TOOL" --bundle "$G/overlay-containers/$id/userdata" --id "$id" --root "$G" \
    --rootfs "$(merged "$id")" "$@" 2>&1)" || fail "moat_podman_identity failed for $id: $out"
  echo "$out"
}

echo "== a busybox image, pushed to the registry and pulled back"
make_busybox_rootfs "$W/seed"
tar --numeric-owner -C "$W/seed" -cf - . | pm import -q --change 'CMD ["sh"]' - localhost/seed:1 >/dev/null
if ! out="$(pm run --rm --network none localhost/seed:1 true 2>&1)"; then
  skip "podman cannot run a container with $RUNC in this VM: $out"
fi
mkdir -m 0755 "$W/ctx"
echo moat-layer2 >"$W/ctx/extra"
printf 'FROM localhost/seed:1\nCOPY extra /etc/extra\n' >"$W/ctx/Containerfile"
IMG="$REG/moat/busybox:1"
pm build -q -t "$IMG" "$W/ctx" >/dev/null
pm push -q --tls-verify=false "$IMG"
pm rmi -a -f >/dev/null
pm pull -q --tls-verify=false "$IMG" >/dev/null
skopeo inspect --raw --tls-verify=false "docker://$IMG" >"$W/manifest.json"
DIG="sha256:$(sha256sum <"$W/manifest.json" | cut -d' ' -f1)"
CONFIG="sha256:$(pm image inspect -f '{{.Id}}' "$IMG")"
echo "registry manifest $DIG, image $CONFIG"

echo "== the resolver at create (recording runtime) and while the container runs"
cid="$(PM_RUNTIME="$W/record-runtime" pm run -d --network none "$IMG" sleep 300)"
[[ -f "$W/rec/$cid.out" ]] || fail "resolver at create: $(cat "$W/rec/$cid.err" 2>/dev/null)"
echo "argv at create: $(grep -m1 '^create ' "$W/rec/argv.log")"
echo "root.path: $(jq -c .root "$W/rec/$cid.json")"
out="$(resolve "$cid")"
echo "$out"
assert_eq "$(jq -c 'del(.evidence)' <<<"$out")" "$(jq -c 'del(.evidence)' "$W/rec/$cid.out")" \
  "identity at create and now"
assert_eq "$(q "$out" .engine)" podman "engine"
assert_eq "$(q "$out" .config_digest)" "$CONFIG" "config_digest"
assert_eq "$(q "$out" .used_reference)" "$IMG" "used_reference"
assert_eq "$(q "$out" '.tags | join(",")')" "$IMG" "tags"
assert_eq "$(q "$out" '.manifests | length')" 1 "manifest count"
assert_eq "$(q "$out" '.manifests[0].digest')" "$DIG" "manifest digest = the registry's"
assert_eq "$(q "$out" '.manifests[0].repositories | join(",")')" "$REG/moat/busybox" "repositories"
assert_eq "$(jq -r .root.path "$W/rec/$cid.json")" "$(merged "$cid")" "root.path"
resolve "$cid" --bytes | jq -j '.manifests[0].bytes' | cmp - "$W/manifest.json" ||
  fail "manifest bytes differ from the registry's"
ev="$(q "$out" '.evidence | join("\n")')"
assert_match "$ev" "its 2 rootfs.diff_ids are the container layer's parents" "evidence: two layers"
assert_match "$ev" "is the overlay of layer [0-9a-f]{64} \\(upper overlay/[0-9a-f]{64}/diff, lower l/[A-Z0-9]+:l/[A-Z0-9]+ " \
  "evidence: the mount"
echo "== moat verify --bundle"
"$MOAT_CLI" verify --bundle "$G/overlay-containers/$cid/userdata" --id "$cid" --output json |
  jq -e --arg d "$DIG" '.identity.engine == "podman" and .identity.manifests[0].digest == $d' \
    >/dev/null || fail "moat verify --bundle: $("$MOAT_CLI" verify --bundle "$G/overlay-containers/$cid/userdata" --id "$cid" 2>&1)"
pm rm -f -t 0 "$cid" >/dev/null
echo "RECORDED: what podman passed the runtime (podman itself had MOAT_CONFIG set):"
sed 's/^/  /' "$W/rec/argv.log"

echo "== moat-runtime as podman's runtime, under a signature policy"
gpg_signing_key "$W/gnupg" 'moat signer' signer@moat.test
LOOK="$W/lookaside"
mkdir -p "$LOOK/moat/busybox@sha256=${DIG#sha256:}"
skopeo standalone-sign -o "$LOOK/moat/busybox@sha256=${DIG#sha256:}/signature-1" \
  "$W/manifest.json" "$IMG" "$FPR"
printf 'docker:\n  %s:\n    lookaside: file://%s\n' "$REG" "$LOOK" >"$W/conf/registries.d/local.yaml"
chmod 0644 "$W/conf/registries.d/local.yaml"
jq -n --arg reg "$REG" --arg key "$W/gnupg.signer@moat.test.gpg" '
  {default: [{type: "reject"}],
   transports: {docker: {
     ($reg + "/moat"): [{type: "signedBy", keyType: "GPGKeys", keyPath: $key}]}}}' >"$W/conf/policy.json"
# mrun IMAGE [ARGS...]: podman run with moat-runtime; prints the output.
mrun() { PM_RUNTIME="$W/moat-podman" pm run --rm --network none "$@" 2>&1; }
# mrefused WANT ARGS...: podman run must fail with WANT in its output.
mrefused() {
  local want="$1" out
  shift
  if out="$(mrun "$@" id -u)"; then fail "podman run $* ran under moat: $out"; fi
  [[ "$out" == *"$want"* ]] || fail "podman run $*: output lacks '$want': $out"
  echo "  refused: ${out#*refused: }" | tail -n1 | cut -c1-400
}
out="$(mrun "$IMG" id -u)" || fail "signed image refused: $out"
assert_eq "$out" 65534 "uid of the signed image under moat's restricted profile"
tail -n1 "$W/conf/audit.log" | jq -e --arg d "$DIG" --arg f "$FPR" --arg c "$CONFIG" \
  '.decision == "allow" and .image.engine == "podman" and .image.id == $c and
   (.image.how | contains($f) and contains($d))' >/dev/null ||
  fail "audit record: $(tail -n1 "$W/conf/audit.log")"

echo "== the same image retagged"
pm tag "$IMG" "$REG/moat/renamed:1"
mrefused "no signatures in $LOOK/moat/renamed@sha256=${DIG#sha256:}" "$REG/moat/renamed:1"
pm tag "$IMG" localhost/renamed:1
mrefused "localhost/renamed:1 (scope default): default[0]: reject" localhost/renamed:1

echo "== podman save | podman load: a manifest made locally"
pm save -q -o "$W/image.tar" "$IMG"
pm rmi -f "$IMG" "$REG/moat/renamed:1" localhost/renamed:1 >/dev/null
pm load -q -i "$W/image.tar" >/dev/null
cid="$(pm create --network none "$IMG" true)"
pm mount "$cid" >/dev/null
out="$(resolve "$cid")"
LOCAL="$(q "$out" '.manifests[0].digest')"
assert_eq "$(q "$out" .config_digest)" "$CONFIG" "config_digest of the loaded image"
assert_eq "$(q "$out" '.manifests | length')" 1 "manifests of the loaded image"
[[ "$LOCAL" != "$DIG" ]] || fail "podman load kept the registry digest"
echo "RECORDED: podman load stores the local manifest $LOCAL ($(q "$out" '.manifests[0].media_type')), not $DIG"
pm unmount "$cid" >/dev/null
pm rm "$cid" >/dev/null
mrefused "no signatures in $LOOK/moat/busybox@sha256=${LOCAL#sha256:}" "$IMG"

echo "== pulled again: runs"
pm pull -q --tls-verify=false "$IMG" >/dev/null
out="$(mrun "$IMG" id -u)" || fail "re-pulled signed image refused: $out"
assert_eq "$out" 65534 "uid after the re-pull"

echo "== podman run --rootfs: no image"
mrefused "(podman run --rootfs): no image identity" --rootfs "$W/seed"

echo "== tampered storage is an error"
cid="$(pm create --network none "$IMG" true)"
pm mount "$cid" >/dev/null
resolve "$cid" >/dev/null
chmod g+w "$G/overlay-images/images.json"
if out="$("$ID_TOOL" --bundle "$G/overlay-containers/$cid/userdata" --id "$cid" --root "$G" \
  --rootfs "$(merged "$cid")" 2>&1)"; then
  fail "a group-writable images.json was read: $out"
fi
assert_match "$out" "images.json: mode 0620 is group- or world-writable: refused" "tamper"
chmod g-w "$G/overlay-images/images.json"
cfg="$G/overlay-images/${CONFIG#sha256:}/=$(printf '%s' "$CONFIG" | base64 -w0)"
[[ -f "$cfg" ]] || fail "no config big-data file $cfg"
cp -a "$cfg" "$W/saved"
printf ' ' >>"$cfg"
if out="$("$ID_TOOL" --bundle "$G/overlay-containers/$cid/userdata" --id "$cid" --root "$G" \
  --rootfs "$(merged "$cid")" 2>&1)"; then
  fail "a tampered config was accepted: $out"
fi
assert_match "$out" "not to the image id $CONFIG" "tampered config"
cp -a "$W/saved" "$cfg"
resolve "$cid" >/dev/null # restored
pm unmount "$cid" >/dev/null
echo "PASS"
