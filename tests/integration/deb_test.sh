#!/usr/bin/env bash
# `cpack -G DEB` from the test's build tree gives a moat .deb that holds the
# binaries, profiles, man pages, completions, the systemd unit and
# /etc/moat/moat.conf as a conffile; dpkg installs it into a scratch root (its
# own dpkg database: the host's packages are not touched), the installed
# moat-runtime and moat run, moat-runtime runs a container with the packaged
# moat.conf's profiles, a reinstall keeps an edited moat.conf, and --purge
# removes everything.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd cpack dpkg dpkg-deb jq "$RUNC"
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
sdpkg() { dpkg --root="$R" --log="$W/dpkg-actions.log" --force-depends --force-not-root "$@"; }
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

echo "== a reinstall keeps the operator's moat.conf; --purge removes it"
jq '.mode = "audit"' "$R/etc/moat/moat.conf" >"$W/edited"
cat "$W/edited" >"$R/etc/moat/moat.conf"
sdpkg -i "$DEB" >"$W/dpkg.log" 2>&1 || {
  cat "$W/dpkg.log" >&2
  fail "dpkg -i (again) failed"
}
assert_eq "$(jq -r .mode "$R/etc/moat/moat.conf")" audit "moat.conf after a reinstall"
sdpkg -r moat >"$W/dpkg.log" 2>&1 || fail "dpkg -r failed: $(cat "$W/dpkg.log")"
[[ ! -e "$R/$p/sbin/moat-runtime" ]] || fail "dpkg -r left moat-runtime"
[[ -f "$R/etc/moat/moat.conf" ]] || fail "dpkg -r removed the conffile (only --purge should)"
sdpkg --purge moat >"$W/dpkg.log" 2>&1 || fail "dpkg --purge failed: $(cat "$W/dpkg.log")"
[[ ! -e "$R/etc/moat/moat.conf" ]] || fail "dpkg --purge left /etc/moat/moat.conf"
left="$(find "$R" -mindepth 1 -not -path "$R/var/lib/dpkg*" -not -type d)"
[[ -z "$left" ]] || fail "files left after --purge: $left"
echo PASS
