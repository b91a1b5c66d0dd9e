#!/usr/bin/env bash
# contrib/ pieces that need no container engine:
#   - contrib/completion/moat.bash completes moat's commands (from the built
#     moat's --help) and their flags, and moat-runtime's runc verbs and flags,
#     through bash's programmable completion; _moat parses under zsh;
#   - contrib/systemd/moat-sweep.service passes `systemd-analyze verify`, and
#     moat-sweep empties a state directory, unmounting a tmpfs left under it,
#     refuses a symlinked one, and finds state_dir in moat.conf;
#   - contrib/kubernetes/*.yaml are valid YAML with the expected kinds, and the
#     RuntimeClass handler is the containerd runtime contrib/containerd adds;
#     the node installer, run against a scratch node (its own dpkg database
#     holding a runc package), adds the handler, makes it containerd's CRI
#     default and takes the node's runc over (moat-node, dpkg-divert).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd jq findmnt containerd dpkg dpkg-deb dpkg-divert
SRC="$MOAT_SOURCE_DIR"
MOAT_CLI="$MOAT_BUILD_DIR/cli/moat"
[[ -x "$MOAT_CLI" ]] || fail "moat not built: $MOAT_CLI"
W="$(tmp_dir work)"

echo "== bash completion"
# complete_words LINE: the completions bash offers for LINE (the cursor at
# its end), one per line, sorted.
complete_words() {
  bash --norc --noprofile -c '
    set -u
    source "$1"
    read -r -a COMP_WORDS <<<"$2"
    [[ "$2" == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$2" COMP_POINT=${#2}
    fn="$(complete -p "$(basename "${COMP_WORDS[0]}")" | sed -E "s/.*-F ([^ ]+).*/\1/")"
    "$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf "%s\n" "${COMPREPLY[@]}" | sort
  ' _ "$SRC/contrib/completion/moat.bash" "$1"
}
# want_completion LINE WORD...: each WORD is offered for LINE.
want_completion() {
  local line="$1" got w
  shift
  got="$(complete_words "$line")" || fail "completion of '$line' failed"
  for w in "$@"; do
    grep -qxF -- "$w" <<<"$got" || fail "completing '$line': '$w' not offered (got: $(tr '\n' ' ' <<<"$got"))"
  done
  echo "ok: '$line' -> $(tr '\n' ' ' <<<"$got")"
}
# The moat commands the binary lists must all be offered.
mapfile -t cmds < <("$MOAT_CLI" --help | awk '/^Commands:/ {on = 1; next} on && /^$/ {exit} on {print $1}')
((${#cmds[@]} > 0)) || fail "moat --help lists no commands"
want_completion "$MOAT_CLI " "${cmds[@]}"
want_completion "$MOAT_CLI v" verify
# moat verify's copies: the transports, then a directory after "dir:" (bash
# splits the word at ":").
want_completion "$MOAT_CLI verify " dir: oci:
want_completion "$MOAT_CLI verify dir : /" /etc
# Commands with verbs of their own ("moat profile check"): the verbs their
# --help's usage lines name are offered.
for c in "${cmds[@]}"; do
  mapfile -t verbs < <("$MOAT_CLI" "$c" --help 2>/dev/null |
    sed -n -E "s/^(usage: +| +)moat $c ([a-z][a-z-]*)( .*)?$/\2/p" | sort -u)
  ((${#verbs[@]} == 0)) || want_completion "$MOAT_CLI $c " "${verbs[@]}"
done
want_completion "$MOAT_CLI --v" --version
want_completion "$MOAT_CLI verify --b" --bundle
want_completion "$MOAT_CLI verify --" --bundle --id --output --help
want_completion "$MOAT_CLI verify --output " json text
want_completion "moat-runtime " create run exec delete update state kill
want_completion "moat-runtime cr" create
want_completion "moat-runtime --lo" --log --log-format
want_completion "moat-runtime --root /tmp create --b" --bundle
want_completion "moat-runtime exec --c" --cap --console-socket --cwd --cgroup
want_completion "moat-runtime --log-format " json text
[[ -z "$(complete_words "moat-runtime delete --x")" ]] || fail "offered flags delete does not have"

echo "== zsh completion"
head -n1 "$SRC/contrib/completion/_moat" | grep -qx '#compdef moat moat-runtime' ||
  fail "_moat: first line is not '#compdef moat moat-runtime'"
if command -v zsh >/dev/null; then
  zsh -n "$SRC/contrib/completion/_moat" || fail "_moat: zsh syntax error"
  # Loads through compinit from a directory of $fpath, as installed.
  out="$(HOME="$W" zsh -f -c "fpath=($SRC/contrib/completion \$fpath); autoload -Uz compinit;
    compinit -u -d $W/zcompdump; print -r -- \$_comps[moat] \$_comps[moat-runtime]" 2>&1)"
  assert_eq "$out" "_moat _moat" "zsh completion functions for moat and moat-runtime"
  echo "ok: zsh -n, compinit maps moat and moat-runtime to _moat"
else
  echo "note: zsh not installed; only the #compdef line is checked"
fi

echo "== systemd unit"
sed "s|@MOAT_LIBEXECDIR@|$SRC/contrib/systemd|" "$SRC/contrib/systemd/moat-sweep.service.in" \
  >"$W/moat-sweep.service"
if command -v systemd-analyze >/dev/null; then
  out="$(systemd-analyze verify --man=no "$W/moat-sweep.service" 2>&1)" ||
    fail "systemd-analyze verify: $out"
  [[ -z "$out" ]] || fail "systemd-analyze verify: $out"
  echo "ok: systemd-analyze verify"
else
  echo "note: systemd-analyze not installed; unit not verified"
fi
grep -qx 'ExecStart=@MOAT_LIBEXECDIR@/moat-sweep' "$SRC/contrib/systemd/moat-sweep.service.in" ||
  fail "the unit does not run moat-sweep from the libexec dir"

echo "== moat-sweep"
SWEEP="$SRC/contrib/systemd/moat-sweep"
S="$W/state"
mkdir -m 0700 "$S"
mkdir -p "$S/containers" "$S/cache/gpg" "$S/secrets/c1"
echo '{}' >"$S/containers/c1.json"
echo x >"$S/cache/gpg/k"
mount -t tmpfs -o size=1m,mode=0700 moat-test-secret "$S/secrets/c1"
mkdir "$S/secrets/c1/inner"
mount -t tmpfs -o size=1m moat-test-inner "$S/secrets/c1/inner"
echo secret >"$S/secrets/c1/inner/token"
ln -s /etc "$S/escape" # a symlink in the state dir: removed, not followed
out="$("$SWEEP" "$S" 2>&1)" || fail "moat-sweep failed: $out"
echo "$out"
[[ -z "$(mounts_under "$S")" ]] || fail "moat-sweep left mounts: $(mounts_under "$S")"
[[ -z "$(ls -A "$S")" ]] || fail "moat-sweep left: $(ls -A "$S")"
[[ -f /etc/passwd ]] || fail "moat-sweep followed a symlink out of the state dir"
assert_eq "$(stat -c '%a %u' "$S")" "700 0" "state dir mode and owner after the sweep"
# state_dir from moat.conf, and a state dir that does not exist yet.
jq -n --arg s "$W/fresh" '{runtime: "/usr/sbin/runc", state_dir: $s}' >"$W/moat.conf"
MOAT_CONFIG="$W/moat.conf" "$SWEEP" >/dev/null || fail "moat-sweep with moat.conf failed"
assert_eq "$(stat -c '%a %u' "$W/fresh")" "700 0" "state dir created from moat.conf's state_dir"
ln -s "$S" "$W/link"
if out="$("$SWEEP" "$W/link" 2>&1)"; then fail "moat-sweep accepted a symlinked state dir"; fi
assert_match "$out" 'symbolic link, refused' "moat-sweep on a symlink"
if out="$("$SWEEP" relative 2>&1)"; then fail "moat-sweep accepted a relative path"; fi
echo "ok: $out"
echo "== Kubernetes manifests"
K="$SRC/contrib/kubernetes"
[[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c 'import yaml, tomllib' 2>/dev/null ||
  skip "needs Debian's python3 (3.11, tomllib) with python3-yaml"
mkdir "$W/k8s"
/usr/bin/python3 - "$K" "$SRC/contrib/containerd/config.toml" "$W/k8s" <<'PY' || fail "Kubernetes manifests: see above"
import json, os, sys, tomllib, yaml
kdir, toml_path, out = sys.argv[1:4]
def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)
def load(name):
    with open(os.path.join(kdir, name)) as f:
        docs = [d for d in yaml.safe_load_all(f)]
    if any(not isinstance(d, dict) for d in docs):
        fail(f"{name}: a document that is not a mapping")
    print(f"ok: {name}: " + ", ".join(f"{d['apiVersion']} {d['kind']}" for d in docs))
    return docs
rc = load("runtimeclass.yaml")
inst = load("node-installer.yaml")
if [(d["apiVersion"], d["kind"]) for d in rc] != [("node.k8s.io/v1", "RuntimeClass")]:
    fail("runtimeclass.yaml: want exactly one node.k8s.io/v1 RuntimeClass")
want = [("v1", "Namespace"), ("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "ConfigMap"),
        ("apps/v1", "DaemonSet")]
if [(d["apiVersion"], d["kind"]) for d in inst] != want:
    fail(f"node-installer.yaml: want {want}")
handler = rc[0]["handler"]
with open(toml_path, "rb") as f:
    runtimes = tomllib.load(f)["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
if handler not in runtimes:
    fail(f"RuntimeClass handler {handler!r} is not a runtime of contrib/containerd/config.toml: {list(runtimes)}")
by = {(d["kind"], d["metadata"]["name"]): d for d in inst}
ns = [d["metadata"]["name"] for d in inst if d["kind"] == "Namespace"][0]
for d in inst:
    if d["kind"] != "Namespace" and d["metadata"].get("namespace") != ns:
        fail(f"{d['kind']} {d['metadata']['name']}: not in namespace {ns}")
script = by[("ConfigMap", "moat-installer")]["data"]["install.sh"]
if f"containerd.runtimes.{handler}]" not in script:
    fail(f"install.sh does not add the handler {handler!r}")
ds = by[("DaemonSet", "moat-node-installer")]
spec = ds["spec"]["template"]["spec"]
if ds["spec"]["selector"]["matchLabels"].items() > ds["spec"]["template"]["metadata"]["labels"].items():
    fail("DaemonSet selector does not match its template's labels")
if spec["nodeSelector"] != rc[0]["scheduling"]["nodeSelector"]:
    fail("the DaemonSet's nodeSelector is not the RuntimeClass's scheduling.nodeSelector")
volumes = {v["name"]: v for v in spec["volumes"]}
for c in spec.get("initContainers", []) + spec["containers"]:
    for m in c.get("volumeMounts", []):
        if m["name"] not in volumes:
            fail(f"container {c['name']}: volumeMount {m['name']!r} has no volume")
for v in volumes.values():
    ref = v.get("configMap") or v.get("secret")
    if not ref or ref.get("optional"):
        continue
    kind, name = ("ConfigMap", ref["name"]) if "configMap" in v else ("Secret", ref["secretName"])
    if (kind, name) not in by:
        fail(f"volume {v['name']}: {kind} {name} is not in node-installer.yaml")
init = spec["initContainers"][0]
mounts = {m["mountPath"]: m["name"] for m in init["volumeMounts"]}
if init["command"][-1] != "/moat/installer/install.sh" or mounts.get("/moat/installer") != "installer":
    fail("the init container does not run install.sh from the moat-installer ConfigMap")
if not init["securityContext"].get("privileged") or not spec.get("hostPID"):
    fail("the installer must be privileged with hostPID (it restarts containerd through nsenter)")
# The pieces the installer test runs: install.sh and the ConfigMap's files.
config = by[("ConfigMap", "moat-config")]["data"]
for k in ("moat.conf", "policy.json"):
    json.loads(config[k])
yaml.safe_load(config["registries.yaml"])
os.makedirs(os.path.join(out, "config"))
for k, v in config.items():
    with open(os.path.join(out, "config", k), "w") as f:
        f.write(v)
with open(os.path.join(out, "install.sh"), "w") as f:
    f.write(script)
print(f"ok: RuntimeClass handler {handler!r} = contrib/containerd's and install.sh's; DaemonSet wiring")
PY

if [[ "${MOAT_SANITIZED:-0}" == 1 ]]; then
  # The installer image holds a static moat-runtime; a sanitized build's is not.
  echo "== (the node installer: skipped under sanitizers, moat-runtime is not static there)"
else
  echo "== the node installer, run by the image's busybox against a scratch node"
  R="$W/k8s/image"
  sh "$K/installer-rootfs.sh" "$R" "$MOAT_BUILD_DIR" || fail "installer-rootfs.sh failed"
  H="$W/k8s/node"
  mkdir -p "$H/etc/containerd" "$W/k8s/keys" "$H/var/lib/dpkg/info" "$H/var/lib/dpkg/updates"
  # As `containerd config default` writes it: the CRI table with runc the default.
  printf 'version = 2\nroot = "%s"\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  default_runtime_name = "runc"\n' \
    "$W/k8s/ctrd-root" >"$H/etc/containerd/config.toml"
  touch "$H/var/lib/dpkg/status" "$H/var/lib/dpkg/available"
  dpkg --root="$H" --force-not-root -i "$(runc_deb "$W/k8s" 1.0)" >"$W/k8s/dpkg.log" 2>&1 ||
    fail "dpkg -i runc into the scratch node: $(cat "$W/k8s/dpkg.log")"
  echo key >"$W/k8s/keys/release.gpg"
  ln -s "$W/k8s/config" "$R/moat/config"
  ln -s "$W/k8s/keys" "$R/moat/keys"
  install_node() {
    env -i PATH="$R/bin" HOST="$H" SRC="$R/moat" RESTART=no ENTER=none "$R/bin/sh" "$W/k8s/install.sh"
  }
  out="$(install_node 2>&1)" || fail "install.sh failed: $out"
  echo "$out"
  for f in usr/local/sbin/moat-runtime:755 usr/local/sbin/moat-node:755 etc/moat/moat.conf:644 etc/moat/policy.json:644 \
    etc/moat/registries.d/moat.yaml:644 etc/moat/keys/release.gpg:644 \
    etc/moat/profiles/restricted.json:644 etc/moat/profiles/baseline.json:644 \
    etc/moat/profiles/seccomp/default.json:644 etc/moat/profiles/seccomp/runtime-default.json:644; do
    assert_eq "$(stat -c '%a %u %g' "$H/${f%:*}" 2>&1)" "${f#*:} 0 0" "/${f%:*}: mode and owner"
  done
  cmp -s "$H/usr/local/sbin/moat-runtime" "$MOAT_RUNTIME" || fail "installed moat-runtime differs from the build's"
  assert_eq "$(readlink "$H/usr/sbin/runc")" /usr/local/sbin/moat-runtime "the node's /usr/sbin/runc"
  assert_eq "$(dpkg-divert --root "$H" --truename /usr/sbin/runc)" /usr/lib/moat/runc "the node's runc diversion"
  cmp -s "$H/usr/lib/moat/runc" "$W/k8s/runc-1.0/usr/sbin/runc" || fail "the node's real runc was not moved aside"
  assert_eq "$(jq -r .runtime "$H/etc/moat/moat.conf")" /usr/lib/moat/runc "the node's moat.conf runtime"
  sum="$(sha256sum <"$H/etc/containerd/config.toml")"
  out="$(install_node 2>&1)" || fail "install.sh (again) failed: $out"
  assert_eq "$(jq -r .runtime "$H/etc/moat/moat.conf")" /usr/lib/moat/runc "moat.conf runtime after a second run"
  assert_match "$out" 'already has the moat handler' "a second run"
  assert_eq "$(sha256sum <"$H/etc/containerd/config.toml")" "$sum" "config.toml after a second run"
  containerd --config "$H/etc/containerd/config.toml" config dump >"$W/k8s/dump.toml" 2>&1 ||
    fail "containerd rejects the patched config.toml: $(tail -n3 "$W/k8s/dump.toml")"
  /usr/bin/python3 -c 'if True:
    import sys, tomllib
    c = tomllib.load(open(sys.argv[1], "rb"))["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]
    assert c["default_runtime_name"] == "moat", c["default_runtime_name"]
    r = c["runtimes"]["moat"]
    assert r["runtime_type"] == "io.containerd.runc.v2", r
    assert r["options"]["BinaryName"] == "/usr/local/sbin/moat-runtime", r
  ' "$W/k8s/dump.toml" || fail "containerd's view of the added (default) handler is wrong"
  out="$(/bin/sh "$H/usr/local/sbin/moat-node" restore --root "$H" 2>&1)" || fail "moat-node restore on the node: $out"
  cmp -s "$H/usr/sbin/runc" "$W/k8s/runc-1.0/usr/sbin/runc" || fail "restore did not put the node's runc back"
  assert_eq "$(jq -r .runtime "$H/etc/moat/moat.conf")" /usr/sbin/runc "the node's moat.conf runtime after restore"
  out="$(MOAT_CONFIG="$H/etc/moat/moat.conf" "$H/usr/local/sbin/moat-runtime" --version 2>&1)"
  assert_match "$out" $'\nrunc version' "moat-runtime --version with the installed moat.conf"
  echo "ok: files in place, containerd accepts the handler, moat-runtime accepts moat.conf"
fi

echo PASS
