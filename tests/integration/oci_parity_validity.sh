# shellcheck shell=bash
# Part (a) of oci_parity_test.sh, sourced by it: the configs moat writes are
# as valid as the ones it was given. Needs W, P, SHIPPED, OCIVALIDATE and
# new_bundle from the test.

# The inputs, each written by validity_input_NAME OUT (a config.json path).
VALIDITY_INPUTS=(runc_spec docker hooks mounts resources)

# validity_missing INPUT: print why INPUT cannot be had here, if it cannot.
validity_missing() {
  [[ "$1" == docker ]] || return 0
  command -v dockerd >/dev/null && command -v containerd >/dev/null && return 0
  echo "needs dockerd and containerd"
}

validity_input_runc_spec() {
  cp "$W/spec.json" "$1"
}

# A config a private dockerd wrote for a real container (busybox, --network
# none), carried over to this bundle: root.path becomes the bundle's rootfs,
# the bind-mounted resolv.conf, hostname and hosts are copied out of the
# dockerd's data root, and its one hook, libnetwork-setkey, which calls back
# into that (then stopped) dockerd, is dropped. The rest is Docker's: mounts,
# masked and read-only paths, capabilities, its default seccomp filter,
# cgroupsPath, devices.
validity_input_docker() {
  local out="$1" cid cfg files="$A/host/docker" src i=0 map='{}'
  start_dockerd parity
  docker_import_busybox moat-test/busybox:1
  cid="$(docker create --network none moat-test/busybox:1 sleep 300)" || fail "docker create failed"
  docker start "$cid" >/dev/null || fail "docker start failed"
  cfg="$(find "$DOCKERD_DIR/x" -path "*/$cid/config.json" | head -n1)"
  [[ -n "$cfg" ]] || fail "no config.json for container $cid under $DOCKERD_DIR/x"
  mkdir -m 0755 "$files"
  while read -r src; do
    i=$((i + 1))
    cp "$src" "$files/$i.$(basename "$src")"
    map="$(jq -c --arg s "$src" --arg d "$files/$i.$(basename "$src")" '. + {($s): $d}' <<<"$map")"
  done < <(jq -r --arg dd "$DOCKERD_DIR/" '.mounts[] | select(.source | startswith($dd)) | .source' "$cfg")
  jq --argjson map "$map" '.root = {path: "rootfs", readonly: (.root.readonly // false)} | del(.hooks) |
      .mounts |= map(.source = ($map[.source] // .source))' "$cfg" >"$out"
  docker rm -f "$cid" >/dev/null
  stop_dockerd parity
}

validity_input_hooks() {
  jq '.hooks = {
        prestart: [{path: "/bin/true"}],
        createRuntime: [{path: "/bin/sh", args: ["sh", "-c", "cat >/dev/null"], env: ["A=b"]}],
        createContainer: [{path: "/bin/true", args: ["true"]}],
        startContainer: [{path: "/bin/true"}],
        poststart: [{path: "/bin/true", timeout: 5}],
        poststop: [{path: "/bin/true"}]}' "$W/spec.json" >"$1"
}

# A tmpfs, a read-only bind of a host directory, and a writable bind under
# /tmp (where the restricted profile puts a tmpfs of its own).
validity_input_mounts() {
  jq --arg ro "$A/host/ro" --arg rw "$A/host/shared" '.root.readonly = false | .mounts += [
      {destination: "/data", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "size=1m", "mode=0750"]},
      {destination: "/mnt/ro", type: "bind", source: $ro, options: ["rbind", "ro"]},
      {destination: "/tmp/shared", type: "bind", source: $rw, options: ["rbind", "rw"]}]' \
    "$W/spec.json" >"$1"
}

validity_input_resources() {
  jq '.process.user = {uid: 1000, gid: 1000, additionalGids: [10, 20]} |
      .process.rlimits += [{type: "RLIMIT_NPROC", soft: 512, hard: 512}] |
      .process.oomScoreAdj = 100 |
      .linux.sysctl = {"kernel.shmmax": "12345678", "net.ipv4.ip_forward": "1"} |
      .linux.devices = [{path: "/dev/mynull", type: "c", major: 1, minor: 3, fileMode: 438, uid: 0, gid: 0}] |
      .linux.resources = {
        devices: [{allow: false, access: "rwm"}, {allow: true, type: "c", major: 1, minor: 3, access: "rw"}],
        memory: {limit: 67108864, reservation: 33554432},
        cpu: {shares: 512},
        pids: {limit: 100}}' "$W/spec.json" >"$1"
}

# validate BUNDLE OUT: ocivalidate's findings into OUT (1 = findings, fine).
validate() {
  local rc=0
  "$OCIVALIDATE" "$1" >"$2" 2>&1 || rc=$?
  ((rc <= 1)) || fail "ocivalidate $1 exited $rc: $(cat "$2")"
}

spec_validity() {
  echo "== (a) spec validity: ocivalidate on config.json before and after moat-runtime create"
  A="$W/a"
  mkdir -m 0755 "$A" "$A/in" "$A/host" "$A/host/ro" "$A/host/shared"
  echo hello >"$A/host/ro/hello"
  local input prof b id why before after added gone line rows=() bad=0 skipped=()
  for input in "${VALIDITY_INPUTS[@]}"; do
    why="$(validity_missing "$input")"
    if [[ -n "$why" ]]; then
      skipped+=("$input: $why")
      continue
    fi
    "validity_input_$input" "$A/in/$input.json"
    # The input must run under bare runc, so that a failure under moat is moat's.
    b="$A/$input.runc"
    new_bundle "$b"
    cp "$A/in/$input.json" "$b/config.json"
    id="$(new_id "a-$input")"
    "$RUNC" --root "$RUNC_ROOT" create --bundle "$b" "$id" </dev/null >"$b.out" 2>&1 ||
      fail "input $input: bare runc create failed: $(tail -n3 "$b.out")"
    "$RUNC" --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 ||
      fail "input $input: bare runc delete failed"
    for prof in "${SHIPPED[@]}"; do
      b="$A/$input.$prof"
      new_bundle "$b"
      cp "$A/in/$input.json" "$b/config.json"
      validate "$b" "$b.before"
      id="$(new_id "a-$input")"
      if ! MOAT_CONFIG="$W/conf-$prof/moat.conf" "$MOAT_RUNTIME" --root "$RUNC_ROOT" \
        create --bundle "$b" "$id" </dev/null >"$b.out" 2>&1; then
        jq -e --arg id "$id" 'select(.id == $id and .decision == "deny")' \
          "$W/conf-$prof/audit.log" >/dev/null 2>&1 ||
          fail "input $input, profile $prof: create failed without a refusal: $(tail -n3 "$b.out")"
        rows+=("$(printf '%-10s %-11s refused: %s' "$input" "$prof" "$(tail -n1 "$b.out" | cut -c1-90)")")
        continue
      fi
      validate "$b" "$b.after"
      MOAT_CONFIG="$W/conf-$prof/moat.conf" "$MOAT_RUNTIME" --root "$RUNC_ROOT" delete --force "$id" ||
        fail "input $input, profile $prof: delete failed"
      before="$(sort -u "$b.before")"
      after="$(sort -u "$b.after")"
      added="$(comm -13 <(echo "$before") <(echo "$after") | grep . || true)"
      gone="$(comm -23 <(echo "$before") <(echo "$after") | grep -c . || true)"
      rows+=("$(printf '%-10s %-11s %2d findings before, %2d after, %d new, %d gone' "$input" "$prof" \
        "$(grep -c . "$b.before" || true)" "$(grep -c . "$b.after" || true)" \
        "$(grep -c . <<<"$added" || true)" "$gone")")
      if [[ -n "$added" ]]; then
        bad=$((bad + 1))
        echo "NEW FINDINGS: input $input, profile $prof (moat's changes: $(jq -c --arg id "$id" \
          'select(.id == $id) | .changes' "$W/conf-$prof/audit.log")):"
        while read -r line; do echo "  $line"; done <<<"$added"
      fi
    done
  done
  printf '  %s\n' "${rows[@]}"
  for why in "${skipped[@]}"; do echo "  input not available here: $why"; done
  echo "  the findings in the inputs, with how many bundles had each:"
  sort "$A"/*.before | uniq -c | sort -rn | sed 's/^/   /'
  ((bad == 0)) || fail "moat's rewrite added validation findings in $bad case(s)"
}
