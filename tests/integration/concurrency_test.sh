#!/usr/bin/env bash
# Concurrency: 64 creates at once through moat-runtime and the real runc,
# different containers of one signed image, sharing moat's GPG verification
# cache, audit log and state directory. All succeed; the audit log holds 64
# whole JSON lines (no interleaving), one allow per container; the cache
# holds one well-formed entry and no temporary files; every state record
# parses. Twice: with a cold cache (64 gpg runs racing to fill it) and a
# warm one. MOAT_CONCURRENCY (default 64) sets the width.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/fake_docker.sh"
need_root
need_cmd "$RUNC" jq skopeo gpg
need_moat_runtime

n="${MOAT_CONCURRENCY:-64}"
W="$(tmp_dir work)"
moat_env "$W/conf" enforce restricted
on_exit runc_delete_all "$RUNC_ROOT"
fake_docker_signed_busybox "$W"
AUDIT="$W/conf/audit.log"
CACHE="$W/conf/state/cache/gpg"

echo "== $((2 * n)) containers of one signed image"
ids=()
for i in $(seq 1 $((2 * n))); do
  id="$(printf 'concurrency-%s-%s' "$$" "$i" | sha256sum | cut -d' ' -f1)"
  fake_docker_container "$id" '["true"]' >/dev/null
  ids+=("$id")
done

# burst ROUND FIRST: n creates at once, ids[FIRST..FIRST+n-1]; all must succeed.
burst() {
  local round="$1" first="$2" i pids=() failed=0 t0 t1
  t0="$(date +%s%N)"
  for ((i = first; i < first + n; i++)); do
    "$MOAT_RUNTIME" --root "$RUNC_ROOT" create --bundle "$FAKE_DOCKER_ROOT/bundles/${ids[i]}" \
      "${ids[i]}" </dev/null >"$W/$round.$i.out" 2>&1 &
    pids+=("$!")
  done
  for i in "${!pids[@]}"; do
    wait "${pids[i]}" || {
      echo "create ${ids[first + i]} failed: $(cat "$W/$round.$((first + i)).out")" >&2
      failed=$((failed + 1))
    }
  done
  t1="$(date +%s%N)"
  ((failed == 0)) || fail "$round: $failed of $n concurrent creates failed"
  echo "ok: $round: $n concurrent creates in $(((t1 - t0) / 1000000)) ms"
}

# check_logs LINES: the audit log is LINES whole JSON records, one allow per
# id so far; the cache and the state records are well formed.
check_logs() {
  local want="$1" got
  got="$(wc -l <"$AUDIT")"
  assert_eq "$got" "$want" "audit lines"
  # Each line alone must be one JSON object: interleaved writes would break one.
  local bad=0 line
  while IFS= read -r line; do
    jq -e 'type == "object" and .decision == "allow" and .image.trusted == "yes"' <<<"$line" \
      >/dev/null 2>&1 || bad=$((bad + 1))
  done <"$AUDIT"
  ((bad == 0)) || fail "$bad audit lines are not whole allow records"
  got="$(jq -r .id "$AUDIT" | sort -u | wc -l)"
  assert_eq "$got" "$want" "distinct container ids in the audit log"
  local entries
  entries="$(find "$CACHE" -mindepth 1 -maxdepth 1 | wc -l)"
  assert_eq "$entries" 1 "entries in the GPG cache (one key, one signature)"
  find "$CACHE" -mindepth 1 -maxdepth 1 -name '.*' | grep -q . && fail "temporary files in the GPG cache"
  jq -e 'keys == ["key", "plaintext", "signer"] and (.plaintext | fromjson | .critical.type ==
         "atomic container signature")' "$CACHE"/* >/dev/null || fail "GPG cache entry is malformed"
  for f in "$W/conf/state/containers/"*.json; do
    jq -e '.profile == "restricted" and (.bounding | type == "array")' "$f" >/dev/null ||
      fail "state record $f is malformed"
  done
}

echo "== cold cache: $n gpg verifications race to fill it"
rm -rf "$CACHE"
burst cold 0
check_logs "$n"
echo "== warm cache"
burst warm "$n"
check_logs "$((2 * n))"
got="$("$RUNC" --root "$RUNC_ROOT" list -q | wc -l)"
assert_eq "$got" "$((2 * n))" "containers runc knows"
for id in "${ids[@]}"; do
  assert_eq "$("$RUNC" --root "$RUNC_ROOT" state "$id" | jq -r .status)" created "state of $id"
done
echo "== delete them all at once"
pids=()
for id in "${ids[@]}"; do
  "$MOAT_RUNTIME" --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 &
  pids+=("$!")
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent delete failed"; done
assert_eq "$("$RUNC" --root "$RUNC_ROOT" list -q | wc -l)" 0 "containers left"
assert_eq "$(find "$W/conf/state/containers" -name '*.json' | wc -l)" 0 "state records left"
echo "PASS"
