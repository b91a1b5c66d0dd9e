#!/usr/bin/env bash
# moat-runtime in front of the real runc: a hardened container as seen from
# inside, refusals with the reason in runc's json log and no container left,
# audit mode, passthrough parity, bad input.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd "$RUNC" jq
need_moat_runtime

W="$(tmp_dir work)"
moat_env "$W/conf" enforce restricted
on_exit runc_delete_all "$RUNC_ROOT"
moat() { "$MOAT_RUNTIME" --root "$RUNC_ROOT" "$@"; }

probe='id -u; id -g; grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status;
  cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max;
  if touch /rootfs-write 2>/dev/null; then echo root-rw; else echo root-ro; fi;
  if touch /tmp/x 2>/dev/null; then echo tmp-rw; else echo tmp-ro; fi'

echo "== restricted: a root busybox runs hardened"
B="$W/plain"
make_bundle "$B" "$(jq -nc --arg p "$probe" '["sh","-c",$p]')"
bundle_jq "$B" '.root.readonly = false'
cp "$B/config.json" "$W/plain.orig.json"
id="$(new_id plain)"
out="$(cd "$B" && moat run "$id" 2>&1)" || fail "run failed: $out"
echo "$out"
read -r -d "" -a lines <<<"$out" || true
assert_eq "${lines[0]}" 65534 "uid"
assert_eq "${lines[1]}" 65534 "gid"
assert_match "$out" $'CapEff:\t0000000000000000' "CapEff"
assert_match "$out" $'CapBnd:\t0000000000000000' "CapBnd"
assert_match "$out" $'NoNewPrivs:\t1' "NoNewPrivs"
assert_match "$out" $'\n1024\n' "pids.max"
assert_match "$out" 'root-ro' "read-only rootfs"
assert_match "$out" 'tmp-rw' "writable /tmp"
compgen -G "$B/.config.json.moat-*" >/dev/null && fail "temporary file left in the bundle"
jq -e '.process.user.uid == 65534 and .root.readonly == true' "$B/config.json" >/dev/null ||
  fail "config.json was not rewritten"
jq -e --slurpfile o "$W/plain.orig.json" '.hostname == $o[0].hostname and .linux.maskedPaths == $o[0].linux.maskedPaths' \
  "$B/config.json" >/dev/null || fail "fields moat does not own changed"
tail -n1 "$W/conf/audit.log" | jq -e --arg id "$id" \
  '.id == $id and .decision == "allow" and .mode == "enforce" and .profile == "restricted" and
   (.changes | length) > 0 and .verb == "run"' >/dev/null || fail "audit record: $(tail -n1 "$W/conf/audit.log")"
"$RUNC" --root "$RUNC_ROOT" delete "$id" >/dev/null 2>&1 || true

echo "== refusals reach runc's json log; nothing is created"
refuse_case() {
  local name="$1" filter="$2" want="$3" bundle="$W/$1" id log
  make_bundle "$bundle" '["true"]'
  bundle_jq "$bundle" "$filter"
  cp "$bundle/config.json" "$W/$name.orig.json"
  id="$(new_id "$name")"
  log="$W/$name.log.json"
  if moat --log "$log" --log-format json create --bundle "$bundle" "$id" >"$W/$name.out" 2>&1; then
    fail "$name: create succeeded"
  fi
  runc_json_log_has "$log" "$want" || fail "$name: log lacks /$want/: $(cat "$log")"
  grep -q "$want" "$W/$name.out" || fail "$name: stderr lacks /$want/"
  "$RUNC" --root "$RUNC_ROOT" state "$id" >/dev/null 2>&1 && fail "$name: a container exists"
  cmp -s "$bundle/config.json" "$W/$name.orig.json" || fail "$name: config.json changed on refusal"
  tail -n1 "$W/conf/audit.log" | jq -e --arg id "$id" '.id == $id and .decision == "deny" and (.reasons | length) > 0' \
    >/dev/null || fail "$name: audit record"
  echo "ok: $name: $(jq -r .msg "$log" | tail -n1)"
}
refuse_case docker-sock \
  '.mounts += [{"destination":"/var/run/docker.sock","type":"bind","source":"/var/run/docker.sock","options":["rbind"]}]' \
  'docker.sock exposes a container engine'
refuse_case no-pidns '.linux.namespaces |= map(select(.type != "pid"))' 'no pid namespace'
refuse_case host-netns '.linux.namespaces |= map(if .type == "network" then .path = "/proc/1/ns/net" else . end)' \
  "joins the host's network namespace"
refuse_case privileged \
  '.process.capabilities.bounding += ["CAP_SYS_ADMIN","CAP_SYS_MODULE"] | .linux.resources.devices = [{"allow":true,"access":"rwm"}]' \
  'privileged container'
refuse_case host-etc '.mounts += [{"destination":"/h","type":"bind","source":"/etc","options":["rbind","rw"]}]' \
  "/etc is the host's /etc and profile \"restricted\" grants no host path there"

echo "== a socket named anything, found where it listens, is still an engine socket"
sockdir="$(tmp_dir sockets)"
python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); time.sleep(60)' \
  "$sockdir/containerd.sock" &
sockpid=$!
on_exit "kill $sockpid 2>/dev/null || true"
for _ in $(seq 50); do [[ -S "$sockdir/containerd.sock" ]] && break; sleep 0.1; done
refuse_case sock-dir ".mounts += [{\"destination\":\"/s\",\"type\":\"bind\",\"source\":\"$sockdir\",\"options\":[\"rbind\",\"ro\"]}]" \
  'exposes a container engine'

echo "== audit mode runs the container unchanged and records what enforce would do"
moat_env "$W/audit" audit restricted
B="$W/audited"
make_bundle "$B" '["sh","-c","id -u"]'
bundle_jq "$B" '.linux.namespaces |= map(select(.type != "pid"))'
cp "$B/config.json" "$W/audited.orig.json"
id="$(new_id audited)"
out="$(cd "$B" && moat run "$id" 2>/dev/null)" || fail "audit-mode run failed"
assert_eq "$out" 0 "audit mode keeps uid"
cmp -s "$B/config.json" "$W/audited.orig.json" || fail "audit mode changed config.json"
tail -n1 "$W/audit/audit.log" | jq -e --arg id "$id" \
  '.id == $id and .mode == "audit" and .decision == "audit" and (.reasons[0] | test("no pid namespace")) and
   (.changes | any(test("process.user")))' >/dev/null || fail "audit record: $(tail -n1 "$W/audit/audit.log")"
"$RUNC" --root "$RUNC_ROOT" delete "$id" >/dev/null 2>&1 || true
moat_env "$W/conf" enforce restricted

echo "== passthrough: state equals runc's"
B="$W/long"
make_bundle "$B" '["sleep","300"]'
id="$(new_id long)"
moat create --bundle "$B" "$id" </dev/null >/dev/null 2>&1 || fail "create failed"
moat start "$id" || fail "start failed"
diff <(moat state "$id" | jq -S 'del(.status)') <("$RUNC" --root "$RUNC_ROOT" state "$id" | jq -S 'del(.status)') ||
  fail "state differs"
assert_eq "$(moat state "$id")" "$("$RUNC" --root "$RUNC_ROOT" state "$id")" "state output"

echo "== a create of an id runc already has touches neither that container's record nor the bundle"
make_bundle "$W/dup" '["true"]'
cp "$W/dup/config.json" "$W/dup.orig.json"
record="$(cat "$W/conf/state/containers/$id.json")"
if out="$(moat create --bundle "$W/dup" "$id" 2>&1)"; then fail "a second container $id was created: $out"; fi
assert_match "$out" "container \"$id\" already exists under" "duplicate id error"
cmp -s "$W/dup/config.json" "$W/dup.orig.json" || fail "the refused create rewrote its bundle"
assert_eq "$(cat "$W/conf/state/containers/$id.json")" "$record" "state record after the refused create"

echo "== exec is fitted to the profile"
cat >"$W/process.json" <<'JSON'
{"terminal":false,"user":{"uid":0,"gid":0},"args":["sh","-c","id -u; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status"],
 "env":["PATH=/bin"],"cwd":"/","noNewPrivileges":false,
 "capabilities":{"bounding":["CAP_CHOWN","CAP_SYS_ADMIN","CAP_NET_RAW"],"effective":["CAP_CHOWN","CAP_SYS_ADMIN"],
 "permitted":["CAP_CHOWN","CAP_SYS_ADMIN"]}}
JSON
out="$(moat exec --process "$W/process.json" "$id" 2>&1)" || fail "exec failed: $out"
echo "$out"
assert_match "$out" '^65534' "exec uid"
assert_match "$out" $'CapEff:\t0000000000000000' "exec CapEff"
assert_match "$out" $'NoNewPrivs:\t1' "exec NoNewPrivs"
if out="$(moat exec --cap CAP_SYS_ADMIN "$id" id -u 2>&1)"; then fail "exec --cap SYS_ADMIN ran: $out"; fi
assert_match "$out" 'not given by profile' "exec --cap refusal"
if out="$(moat exec --user 0:0 "$id" id -u 2>&1)"; then fail "exec --user 0 ran: $out"; fi
assert_match "$out" 'does not allow root' "exec --user refusal"
for u in 00 +0:0 -0; do
  if out="$(moat exec --user "$u" "$id" id -u 2>&1)"; then fail "exec --user $u ran: $out"; fi
  assert_match "$out" 'does not allow root' "exec --user $u refusal (Go's Atoi reads it as 0)"
done
out="$(moat exec "$id" id -u 2>&1)" || fail "plain exec failed: $out"
assert_eq "$out" 65534 "plain exec uid"

echo "== update cannot raise the pids limit"
if out="$(moat update --pids-limit 100000 "$id" 2>&1)"; then fail "raised pids limit: $out"; fi
assert_match "$out" 'exceeds profile "restricted"' "update refusal"
if out="$(echo '{"pids":{"limit":0}}' | moat update -r - "$id" 2>&1)"; then fail "unlimited pids: $out"; fi
echo '{"pids":{"limit":50}}' | moat update -r - "$id" || fail "update within the limit failed"
assert_eq "$(moat exec "$id" cat /sys/fs/cgroup/pids/pids.max)" 50 "pids.max after update via stdin"
moat update --pids-limit 60 "$id" || fail "update --pids-limit 60 failed"
assert_eq "$(moat exec "$id" cat /sys/fs/cgroup/pids/pids.max)" 60 "pids.max after update"
if moat delete "$id" >/dev/null 2>&1; then fail "runc deleted a running container"; fi
[[ -e "$W/conf/state/containers/$id.json" ]] || fail "state record dropped although runc refused the delete"
moat delete --force "$id" || fail "delete failed"
[[ -e "$W/conf/state/containers/$id.json" ]] && fail "state record left after delete"

echo "== two creates of one new id at once: the record is the winner's"
# Under baseline the record keeps each bundle's own bounding set: a loser's
# record standing for the winner's container would let exec raise it.
moat_conf_jq '.default_profile = "baseline"'
for b in narrow wide; do make_bundle "$W/race-$b" '["sleep","30"]'; done
bundle_jq "$W/race-narrow" '.process.capabilities |= with_entries(.value = ["CAP_KILL"])'
bundle_jq "$W/race-wide" '.process.capabilities |= with_entries(.value = ["CAP_KILL","CAP_CHOWN"])'
for round in $(seq 1 20); do
  id="$(new_id race)"
  moat create --bundle "$W/race-narrow" "$id" >"$W/race.narrow.out" 2>&1 &
  p1=$!
  moat create --bundle "$W/race-wide" "$id" >"$W/race.wide.out" 2>&1 &
  p2=$!
  ok=0
  wait "$p1" && ok=$((ok + 1))
  wait "$p2" && ok=$((ok + 1))
  assert_eq "$ok" 1 "round $round: creates that succeeded"
  winner="$("$RUNC" --root "$RUNC_ROOT" state "$id" | jq -r .bundle)"
  want="$(jq -c '.process.capabilities.bounding | sort' "$winner/config.json")"
  got="$(jq -c '.bounding | sort' "$W/conf/state/containers/$id.json")"
  assert_eq "$got" "$want" "round $round: record of the container runc made (${winner##*/})"
  moat delete --force "$id" || fail "delete $id failed"
done
moat_conf_jq '.default_profile = "restricted"'

echo "== bad input: one line naming the file and field, nothing created"
B="$W/bad"
make_bundle "$B" '["true"]'
printf '{"ociVersion":"1.0.2","process":{"user":{"uid":0}},\n "process":{}}' >"$B/config.json"
id="$(new_id bad)"
if out="$(moat create --bundle "$B" "$id" 2>&1)"; then fail "duplicate keys accepted"; fi
assert_match "$out" "$B/config.json: line 2, column [0-9]+: duplicate key \"process\"" "duplicate key error"
assert_eq "$(echo "$out" | wc -l)" 1 "one line"
make_bundle "$B.2" '["true"]'
bundle_jq "$B.2" '.process.capabilities.bounding += ["CAP_BOGUS"]'
if out="$(moat create --bundle "$B.2" "$id" 2>&1)"; then fail "bogus capability accepted"; fi
assert_match "$out" 'process.capabilities.bounding\[[0-9]+\]: unknown capability "CAP_BOGUS"' "capability error"
chmod 0664 "$MOAT_CONFIG"
if out="$(moat create --bundle "$B.2" "$id" 2>&1)"; then fail "group-writable moat.conf accepted"; fi
assert_match "$out" 'moat.conf: mode 0664 is group- or world-writable' "moat.conf permission error"
chmod 0644 "$MOAT_CONFIG"
moat_conf_jq '.default_profile = "nonexistent"'
if out="$(moat create --bundle "$B.2" "$id" 2>&1)"; then fail "missing profile accepted"; fi
assert_match "$out" 'nonexistent.json: cannot open' "missing profile error"
moat_conf_jq '.colour = "blue" | .default_profile = "restricted"'
if out="$(moat state "$id" 2>&1)"; then fail "unknown moat.conf key accepted"; fi
assert_match "$out" 'moat.conf: colour: unknown key' "unknown key error"
"$RUNC" --root "$RUNC_ROOT" state "$id" >/dev/null 2>&1 && fail "a container exists after bad input"
echo "PASS"
