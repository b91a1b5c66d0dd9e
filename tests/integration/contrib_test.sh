#!/usr/bin/env bash
# contrib/ pieces that need no container engine:
#   - contrib/completion/moat.bash completes moat's commands (from the built
#     moat's --help) and their flags, and moat-runtime's runc verbs and flags,
#     through bash's programmable completion; _moat parses under zsh;
#   - contrib/systemd/moat-sweep.service passes `systemd-analyze verify`, and
#     moat-sweep empties a state directory, unmounting a tmpfs left under it,
#     refuses a symlinked one, and finds state_dir in moat.conf;
#   - contrib/kubernetes/*.yaml are valid YAML with the expected kinds, and the
#     RuntimeClass handler is the containerd runtime contrib/containerd adds.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd jq findmnt
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
echo PASS
