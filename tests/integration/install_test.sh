#!/usr/bin/env bash
# `cmake --install` puts moat-runtime, the shipped profiles, the man pages,
# completions and moat-sweep where README.md and moat.conf(5) say (and
# nothing under /etc), and the installed binary works with the
# installed profiles as its default profiles_dir.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd cmake "$RUNC" jq
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
echo PASS
