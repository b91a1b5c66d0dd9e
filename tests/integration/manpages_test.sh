#!/usr/bin/env bash
# The man pages render cleanly and keep up with the code:
#   - `man --warnings` prints nothing for any man/*.[1-8], and neither does
#     `mandoc -T lint -W warning` where mandoc is installed;
#   - each page's .TH names its file (moat-runtime.8 -> MOAT-RUNTIME 8);
#   - every key that shim/config.cc accepts in moat.conf (its json::CheckObject
#     calls) and every choice it compares against (`== "enforce"`) is written in
#     bold in man/moat.conf.5; the same for launcher/profile.cc and
#     man/moat-profile.5, verify/signature/policy.cc (containers-policy.json) and
#     man/moat-policy.5, and the files that read the nested objects
#     (secrets/store.cc: secret_stores; verify/verdict/verdict_policy.cc: verdicts;
#     launcher/secret_spec.cc: secrets).
#     The lists come from the C++ sources, so a key added to the code without
#     documentation fails here.
# Needs no root and no build; skipped only where man(1) is missing.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_cmd man

SRC="$MOAT_SOURCE_DIR"
shopt -s nullglob
pages=("$SRC"/man/*.[1-8])
((${#pages[@]} > 0)) || fail "no man pages in $SRC/man"

echo "== man --warnings, mandoc lint, .TH"
have_mandoc=0
if command -v mandoc >/dev/null 2>&1; then
  have_mandoc=1
else
  echo "note: mandoc not installed; only man --warnings is checked"
fi
for page in "${pages[@]}"; do
  rel="${page#"$SRC"/}"
  out="$(MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)" ||
    fail "man -l $rel failed: $out"
  [[ -z "$out" ]] || fail "man --warnings $rel:"$'\n'"$out"
  if ((have_mandoc)); then
    out="$(mandoc -T lint -W warning "$page" 2>&1)" || true
    [[ -z "$out" ]] || fail "mandoc -T lint -W warning $rel:"$'\n'"$out"
  fi
  base="$(basename "$page")"
  want_name="${base%.*}"
  want_section="${base##*.}"
  read -r th_name th_section _ < <(awk '$1 == ".TH" { print $2, $3; exit }' "$page") ||
    fail "$rel: no .TH line"
  assert_eq "${th_name^^}" "${want_name^^}" "$rel: .TH name"
  assert_eq "$th_section" "$want_section" "$rel: .TH section"
  echo "ok: $rel"
done

# checkobject_calls FILE: one line per json::CheckObject(value, path, {...}) call
# in FILE (calls may span lines), holding the text between the braces.
checkobject_calls() {
  awk '
    /CheckObject\(/ { grab = 1; text = "" }
    grab { text = text $0 " " }
    grab && /\}\)/ { grab = 0; print text }
  ' "$1" | sed -e 's/^[^{]*{//' -e 's/}[^}]*$//'
}

# quoted_strings: the "..." literals of stdin, one per line, unquoted.
quoted_strings() {
  grep -o '"[^"]*"' | tr -d '"' || true
}

# bold_text PAGE: the text a man page sets in bold (.B/.BR/.RB/.BI/.IB lines
# and \fB spans), with the escapes used for quotes and dashes undone.
bold_text() {
  {
    sed -n -E 's/^\.(B|BR|RB|BI|IB)[[:space:]]+//p' "$1"
    grep -o '\\fB[^\\]*' "$1" | sed 's/^\\fB//' || true
  } | sed -e 's/\\-/-/g' -e 's/\\(dq/"/g' -e 's/\\(lq//g' -e 's/\\(rq//g' -e 's/\\&//g'
}

# check_keys SOURCE PAGE: every CheckObject key and every `== "choice"` of
# SOURCE appears as a bold word in PAGE.
check_keys() {
  local source="$SRC/$1" page="$SRC/$2" calls keys choices bold key missing=()
  [[ -f "$source" ]] || fail "$1: missing"
  [[ -f "$page" ]] || fail "$2: missing (documents $1)"
  calls="$(checkobject_calls "$source")"
  [[ -n "$calls" ]] || fail "$1: found no json::CheckObject(..., {...}) call; update this test"
  local n_calls n_sites
  n_calls="$(wc -l <<<"$calls")"
  n_sites="$(grep -c 'CheckObject(' "$source" || true)"
  assert_eq "$n_calls" "$n_sites" "$1: CheckObject calls parsed"
  while IFS= read -r call; do
    [[ -n "$(quoted_strings <<<"$call")" ]] || fail "$1: a CheckObject call without keys: {$call}"
  done <<<"$calls"
  keys="$(quoted_strings <<<"$calls" | sort -u)"
  choices="$({ grep -o '== "[^"]*"' "$source" || true; } | quoted_strings | sort -u)"
  bold="$(bold_text "$page")"
  for key in $keys $choices; do
    grep -qw -- "$key" <<<"$bold" || missing+=("$key")
  done
  ((${#missing[@]} == 0)) ||
    fail "$2 does not document (in bold) what $1 accepts: ${missing[*]}"
  echo "ok: $2 documents $(wc -w <<<"$keys") keys and $(wc -w <<<"$choices") choices of $1:" \
    "$(tr '\n' ' ' <<<"$keys $choices")"
}

echo "== keys accepted by the code are documented"
check_keys shim/config.cc man/moat.conf.5
check_keys secrets/store.cc man/moat.conf.5
check_keys verify/verdict/verdict_policy.cc man/moat.conf.5
check_keys launcher/profile.cc man/moat-profile.5
check_keys verify/signature/policy.cc man/moat-policy.5
check_keys launcher/secret_spec.cc man/moat-profile.5
check_keys rules/parse.cc man/moat-rules.5
echo "PASS"
