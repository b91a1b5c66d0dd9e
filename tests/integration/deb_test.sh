#!/usr/bin/env bash
# `cpack -G DEB` from the test's build tree gives a moat .deb that holds the
# binaries, profiles, man pages, completions, the systemd unit and
# /etc/moat/moat.conf as a conffile; dpkg installs it into a scratch root (its
# own dpkg database: the host's packages are not touched), the installed
# moat-runtime and moat run, moat-runtime runs a container with the packaged
# moat.conf's profiles, a reinstall keeps an edited moat.conf, and --purge
# removes everything. The takeover (libexec/moat/moat-node, dpkg-divert) of a
# runc package installed into the same root: runc moves aside, the node's
# runc is moat-runtime, moat.conf names the moved runc, a runc upgrade lands
# aside, restore leaves the tree as it was, and removing moat restores too.
# The packaged binaries are stripped; a build with debug info (RelWithDebInfo,
# Debug) gives moat-dbgsym_*.ddeb beside the .deb, holding each binary's debug
# info under its build ID, and a Release or MinSizeRel build gives none.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd cpack dpkg dpkg-deb jq readelf "$RUNC"
need_moat_runtime
[[ -f "$MOAT_BUILD_DIR/CPackConfig.cmake" ]] || fail "no CPackConfig.cmake in $MOAT_BUILD_DIR"

W="$(tmp_dir work)"
prefix="$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$MOAT_BUILD_DIR/CMakeCache.txt")"
[[ "$prefix" == /* ]] || fail "CMAKE_INSTALL_PREFIX not found in $MOAT_BUILD_DIR/CMakeCache.txt"
p="${prefix#/}"

echo "== cpack -G DEB (prefix $prefix)"
cpack --config "$MOAT_BUILD_DIR/CPackConfig.cmake" -G DEB -B "$W/out" >"$W/cpack.log" 2>&1 || {
  cat "$W/cpack.log" >&2
  fail "cpack -G DEB failed"
}
shopt -s nullglob
debs=("$W"/out/moat_*.deb)
((${#debs[@]} == 1)) || fail "want one moat_*.deb in $W/out, got: ${debs[*]:-none}"
DEB="${debs[0]}"
echo "$(basename "$DEB"): $(stat -c %s "$DEB") bytes"

echo "== control: name, dependencies, conffiles"
assert_eq "$(dpkg-deb -f "$DEB" Package)" moat "Package"
assert_match "$(dpkg-deb -f "$DEB" Depends)" '(^|, )runc(,|$| )' "Depends"
assert_eq "$(dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - ./conffiles)" /etc/moat/moat.conf "conffiles"

echo "== contents"
dpkg-deb -c "$DEB" | awk '{print $1, $2, $NF}' >"$W/contents"
for f in "$p/sbin/moat-runtime" "$p/bin/moat" \
  "$p/share/moat/profiles/restricted.json" "$p/share/moat/profiles/baseline.json" \
  "$p/share/man/man8/moat-runtime.8" "$p/share/man/man8/moat.8" "$p/share/man/man5/moat.conf.5" \
  "$p/share/man/man5/moat-profile.5" "$p/share/man/man5/moat-policy.5" \
  "$p/share/bash-completion/completions/moat" "$p/share/bash-completion/completions/moat-runtime" \
  "$p/lib/systemd/system/moat-sweep.service" "$p/libexec/moat/moat-sweep" etc/moat/moat.conf; do
  grep -q " root/root ./$f\$" "$W/contents" || fail "not in the package (root-owned): /$f"
done
grep -qE " ./$p/share/zsh/(vendor-completions|site-functions)/_moat\$" "$W/contents" ||
  fail "no zsh completion in the package"
grep -E '^-' "$W/contents" | awk '$1 ~ /^-....w|^-.......w/ {print; bad = 1} END {exit bad}' ||
  fail "group- or world-writable files in the package"
echo "ok: $(grep -c '^-' "$W/contents") files"

echo "== dpkg -i into a scratch root"
R="$W/root"
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates"
touch "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/available"
# runc is the host's: the scratch database does not list it.
# Maintainer scripts run on the host with DPKG_ROOT=$R (the root has no shell).
sdpkg() {
  dpkg --root="$R" --log="$W/dpkg-actions.log" --force-depends --force-not-root \
    --force-script-chrootless "$@"
}
sdpkg -i "$DEB" >"$W/dpkg.log" 2>&1 || {
  cat "$W/dpkg.log" >&2
  fail "dpkg -i failed"
}
assert_match "$(dpkg --root="$R" -s moat)" $'Status: install ok installed' "dpkg -s moat"
dpkg --root="$R" -s moat | grep -q '^ /etc/moat/moat.conf [0-9a-f]\{32\}$' ||
  fail "dpkg does not record /etc/moat/moat.conf as a conffile"

echo "== the installed binaries"
export MOAT_CONFIG="$R/etc/moat/moat.conf"
out="$("$R/$p/sbin/moat-runtime" --version)" || fail "moat-runtime --version failed: $out"
echo "$out"
assert_match "$out" '^moat-runtime version [0-9.]+'$'\n''runc version ' "moat-runtime --version"
out="$("$R/$p/bin/moat" --version)" || fail "moat --version failed: $out"
echo "$out"
assert_match "$out" '^moat [0-9.]+$' "moat --version"

echo "== stripped, the debug info in the -dbgsym package"
bins=("$p/sbin/moat-runtime" "$p/bin/moat")
for b in "${bins[@]}"; do
  assert_stripped "$R/$b" "/$b in the .deb"
done
ddebs=("$W"/out/moat-dbgsym_*.ddeb)
if elf_has_section "$MOAT_RUNTIME" .debug_info; then
  ((${#ddebs[@]} == 1)) || fail "a build with debug info: want one moat-dbgsym_*.ddeb in $W/out, got: ${ddebs[*]:-none}"
  DDEB="${ddebs[0]}"
  echo "$(basename "$DDEB"): $(stat -c %s "$DDEB") bytes"
  assert_eq "$(dpkg-deb -f "$DDEB" Package)" moat-dbgsym "the debug package's name"
  assert_match "$(dpkg-deb -f "$DDEB" Depends)" '^moat \(= ' "the debug package's Depends"
  D="$W/dbgsym"
  dpkg-deb -x "$DDEB" "$D"
  for b in "${bins[@]}"; do
    id="$(elf_build_id "$R/$b")"
    dbg="$D/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug"
    [[ -f "$dbg" ]] || fail "/$b: build ID $id, no ${dbg#"$D"} in the debug package"
    assert_eq "$(elf_build_id "$dbg")" "$id" "the build ID of ${dbg#"$D"}"
    elf_has_section "$dbg" .debug_info || fail "${dbg#"$D"}: no .debug_info"
  done
  echo "ok: the debug info of ${#bins[@]} binaries, by build ID"
else
  ((${#ddebs[@]} == 0)) || fail "a build without debug info made a debug package: ${ddebs[*]}"
  echo "ok: no debug info in the build, no debug package"
fi
conf="$(<"$R/etc/moat/moat.conf")"
assert_eq "$(jq -r .profiles_dir <<<"$conf")" "$prefix/share/moat/profiles" \
  "the packaged moat.conf names the packaged profiles"
assert_eq "$(jq -r .runtime <<<"$conf")" /usr/sbin/runc "runtime"

echo "== moat-runtime runs a container with the packaged profiles"
# The packaged moat.conf, its paths moved into the scratch root and the test dir.
moat_env "$W/conf"
jq --arg R "$R" --arg W "$W/conf" \
  '.profiles_dir = $R + .profiles_dir | .audit_log = $W + "/audit.log" | .state_dir = $W + "/state"
   | .policy = $W + "/policy.json" | .registries_d = $W + "/registries.d"' <<<"$conf" >"$MOAT_CONFIG"
B="$W/bundle"
make_bundle "$B" '["sh","-c","id -u; grep ^NoNewPrivs /proc/self/status"]'
out="$("$R/$p/sbin/moat-runtime" --root "$RUNC_ROOT" run --bundle "$B" "$(new_id deb)" 2>&1)" ||
  fail "installed moat-runtime failed: $out"
echo "$out"
assert_match "$out" $'^65534\nNoNewPrivs:\t1$' "uid and no_new_privs under the packaged restricted profile"

echo "== moat-node takeover: moat-runtime is the node's runc, the real one moved aside"
NODE="$R/$p/libexec/moat/moat-node"
[[ -x "$NODE" ]] || fail "no moat-node in the package"
sdpkg -i "$(runc_deb "$W" 1.0)" >"$W/dpkg.log" 2>&1 || fail "dpkg -i runc: $(cat "$W/dpkg.log")"
# tree R: every path under $R but dpkg's database, with type, mode, owner,
# link target and content checksum.
tree() {
  (cd "$R" && find . -path ./var/lib/dpkg -prune -o -printf '%p %y %m %u %l\n' | sort &&
    find . -path ./var/lib/dpkg -prune -o -type f -print0 | sort -z | xargs -0 sha256sum)
}
tree >"$W/tree.before"
out="$("$NODE" takeover --root "$R" 2>&1)" || fail "moat-node takeover failed: $out"
echo "$out"
assert_eq "$(readlink "$R/usr/sbin/runc")" "$prefix/sbin/moat-runtime" "/usr/sbin/runc after takeover"
assert_eq "$(readlink "$R/usr/bin/runc")" ../sbin/runc "/usr/bin/runc (the package's link) after takeover"
assert_eq "$(dpkg-divert --root "$R" --truename /usr/sbin/runc)" /usr/lib/moat/runc "dpkg's diversion"
cmp -s "$R/usr/lib/moat/runc" "$W/runc-1.0/usr/sbin/runc" || fail "the moved-aside runc is not the package's"
assert_eq "$(jq -r .runtime "$R/etc/moat/moat.conf")" /usr/lib/moat/runc "moat.conf runtime after takeover"
assert_match "$("$R/usr/lib/moat/runc" --version)" '^runc version' "the moved-aside runc runs"
sum="$(tree)"
out="$("$NODE" takeover --root "$R" 2>&1)" || fail "moat-node takeover (again) failed: $out"
assert_eq "$(tree)" "$sum" "the tree after a second takeover"
"$NODE" status --root "$R" | grep -qx '/usr/sbin/runc: moat-runtime (the real runc: /usr/lib/moat/runc)' ||
  fail "moat-node status: $("$NODE" status --root "$R" 2>&1)"

echo "== a runc upgrade lands in the moved-aside place"
sdpkg -i "$(runc_deb "$W" 1.1)" >"$W/dpkg.log" 2>&1 || fail "dpkg -i runc 1.1: $(cat "$W/dpkg.log")"
cmp -s "$R/usr/lib/moat/runc" "$W/runc-1.1/usr/sbin/runc" || fail "the upgrade did not land in /usr/lib/moat/runc"
assert_eq "$(readlink "$R/usr/sbin/runc")" "$prefix/sbin/moat-runtime" "/usr/sbin/runc after the upgrade"

echo "== moat-node restore: the tree as it was"
out="$("$NODE" restore --root "$R" 2>&1)" || fail "moat-node restore failed: $out"
echo "$out"
cmp -s "$R/usr/sbin/runc" "$W/runc-1.1/usr/sbin/runc" || fail "restore: /usr/sbin/runc is not the upgraded runc"
sdpkg -i "$(runc_deb "$W" 1.0)" >"$W/dpkg.log" 2>&1 || fail "dpkg -i runc 1.0 again: $(cat "$W/dpkg.log")"
diff "$W/tree.before" <(tree) || fail "restore did not leave the tree as it was (diff above)"
[[ -z "$(dpkg-divert --root "$R" --list)" ]] || fail "diversions left: $(dpkg-divert --root "$R" --list)"
out="$("$NODE" restore --root "$R" 2>&1)" || fail "moat-node restore (again) failed: $out"
diff "$W/tree.before" <(tree) || fail "a second restore changed the tree"
echo "ok: takeover, upgrade, restore"

echo "== moat-runtime refuses a runtime that is moat-runtime itself"
for how in symlink hardlink; do
  rm -f "$R/loop-runc"
  if [[ $how == symlink ]]; then ln -s "$R/$p/sbin/moat-runtime" "$R/loop-runc"; else ln "$R/$p/sbin/moat-runtime" "$R/loop-runc"; fi
  moat_conf_jq '.runtime = $r' --arg r "$R/loop-runc"
  expect_refusal "runtime: $R/loop-runc is moat-runtime itself (an exec loop)" \
    "$R/$p/sbin/moat-runtime" --root "$RUNC_ROOT" state no-such-container
done
rm -f "$R/loop-runc"
moat_conf_jq '.runtime = $r' --arg r "$RUNC"

echo "== a reinstall keeps the operator's moat.conf; --purge removes it"
jq '.mode = "audit"' "$R/etc/moat/moat.conf" >"$W/edited"
cat "$W/edited" >"$R/etc/moat/moat.conf"
sdpkg -i "$DEB" >"$W/dpkg.log" 2>&1 || {
  cat "$W/dpkg.log" >&2
  fail "dpkg -i (again) failed"
}
assert_eq "$(jq -r .mode "$R/etc/moat/moat.conf")" audit "moat.conf after a reinstall"
out="$("$NODE" takeover --root "$R" 2>&1)" || fail "moat-node takeover before dpkg -r failed: $out"
sdpkg -r moat >"$W/dpkg.log" 2>&1 || fail "dpkg -r failed: $(cat "$W/dpkg.log")"
cmp -s "$R/usr/sbin/runc" "$W/runc-1.0/usr/sbin/runc" || fail "dpkg -r moat did not restore /usr/sbin/runc"
[[ -z "$(dpkg-divert --root "$R" --list)" ]] || fail "dpkg -r left diversions: $(dpkg-divert --root "$R" --list)"
assert_eq "$(jq -r .runtime "$R/etc/moat/moat.conf")" /usr/sbin/runc "moat.conf runtime after dpkg -r"
[[ ! -e "$R/$p/sbin/moat-runtime" ]] || fail "dpkg -r left moat-runtime"
[[ -f "$R/etc/moat/moat.conf" ]] || fail "dpkg -r removed the conffile (only --purge should)"
sdpkg --purge moat >"$W/dpkg.log" 2>&1 || fail "dpkg --purge failed: $(cat "$W/dpkg.log")"
[[ ! -e "$R/etc/moat/moat.conf" ]] || fail "dpkg --purge left /etc/moat/moat.conf"
sdpkg --purge runc >"$W/dpkg.log" 2>&1 || fail "dpkg --purge runc failed: $(cat "$W/dpkg.log")"
left="$(find "$R" -mindepth 1 -not -path "$R/var/lib/dpkg*" -not -type d)"
[[ -z "$left" ]] || fail "files left after --purge: $left"
echo PASS
