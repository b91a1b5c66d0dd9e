#!/usr/bin/env bash
# `cmake --install` puts moat-runtime, the shipped profiles, the man pages,
# completions and moat-sweep where README.md and moat.conf(5) say (and
# nothing under /etc), and the installed binary works with the
# installed profiles as its default profiles_dir. The installed binaries are
# stripped when the build is Release or MinSizeRel, keep their debug info
# otherwise, and `cmake --install --strip` strips them in any build.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd cmake "$RUNC" jq readelf
need_moat_runtime

P="$(tmp_dir prefix)"
cmake --install "$MOAT_BUILD_DIR" --prefix "$P" >/dev/null || fail "cmake --install failed"
for f in sbin/moat-runtime share/moat/profiles/restricted.json share/moat/profiles/baseline.json \
  share/moat/profiles/seccomp/default.json share/moat/profiles/seccomp/runtime-default.json \
  share/man/man8/moat-runtime.8 share/man/man5/moat.conf.5 share/man/man5/moat-profile.5 \
  share/man/man5/moat-policy.5 share/bash-completion/completions/moat \
  share/bash-completion/completions/moat-runtime libexec/moat/moat-sweep \
  lib/systemd/system/moat-sweep.service; do
  [[ -f "$P/$f" ]] || fail "not installed: $P/$f"
done
# /etc/moat/moat.conf is the package's conffile only: cmake --install leaves /etc alone.
! grep -q '^/etc/' "$MOAT_BUILD_DIR/install_manifest.txt" ||
  fail "cmake --install wrote under /etc: $(grep '^/etc/' "$MOAT_BUILD_DIR/install_manifest.txt")"
[[ -x "$P/sbin/moat-runtime" ]] || fail "moat-runtime is not executable"

build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$MOAT_BUILD_DIR/CMakeCache.txt")"
echo "== the installed binaries ($build_type build)"
for b in sbin/moat-runtime bin/moat; do
  case "$build_type" in
    Release | MinSizeRel) assert_stripped "$P/$b" "cmake --install of a $build_type build: $b" ;;
    *) elf_has_section "$P/$b" .debug_info || fail "cmake --install of a $build_type build: $b has no debug info" ;;
  esac
done
S="$(tmp_dir stripped)"
cmake --install "$MOAT_BUILD_DIR" --prefix "$S" --strip >/dev/null || fail "cmake --install --strip failed"
for b in sbin/moat-runtime bin/moat; do
  assert_stripped "$S/$b" "cmake --install --strip: $b"
done

# The installed profiles serve when moat.conf names no profiles_dir, provided
# the build was configured for this prefix; here it checks the named dir.
W="$(tmp_dir conf)"
moat_env "$W"
moat_conf_jq '.profiles_dir = $d' --arg d "$P/share/moat/profiles"
B="$W/bundle"
make_bundle "$B" '["id","-u"]'
out="$("$P/sbin/moat-runtime" --root "$RUNC_ROOT" run --bundle "$B" "$(new_id inst)" 2>&1)" ||
  fail "installed moat-runtime failed: $out"
assert_eq "$out" 65534 "uid under the installed restricted profile"
out="$("$P/sbin/moat-runtime" --version)" || fail "--version failed"
assert_match "$out" '^moat-runtime version [0-9.]+'$'\n''runc version ' "--version shows moat's and runc's"
out="$("$S/sbin/moat-runtime" --version)" || fail "--version of the stripped moat-runtime failed"
assert_match "$out" '^moat-runtime version [0-9.]+'$'\n' "the stripped moat-runtime's --version"
out="$("$S/bin/moat" --version)" || fail "--version of the stripped moat failed: $out"
assert_match "$out" '^moat [0-9.]+$' "the stripped moat's --version"
echo PASS
