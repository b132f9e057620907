#!/bin/sh
# metrics.textfile (issue 7): with it set (interval 1 s) the file appears with mode 0644,
# passes the strict checker (tests/e2e/promcheck.py, which first proves itself on broken
# texts) and the independent prometheus_client parser, holds every family, and its
# counters move with traffic, DNS changes and reloads; `flowguard status --json` carries
# the same counters. Turned off by a reload: the file is removed. Never set: no file.
. tests/e2e/lib.sh
CHECK=$TOP/tests/e2e/promcheck.py
M=$T/textfile/flowguard.prom
S=allow_test_web_names_v4

# The value of one series ("name{labels}" exactly as written, or a bare name); "" if none.
val() {
	grep -F "$1 " "$M" 2>/dev/null | while read -r _line; do
		[ "${_line% *}" = "$1" ] && echo "${_line##* }"
	done
}

"$PY" "$CHECK" --self-test >"$T/self.log" 2>&1 && ok "checker: $(tail -1 "$T/self.log")" ||
	fail "checker self-test: $(cat "$T/self.log")"

topo_up || { fail "topology"; finish; }
dns_up 'web.test. 2 IN A 10.99.0.2' || finish
mkdir -p "$T/textfile"
write_config enforce 3s 'metrics:' "  textfile: $M" '  interval: 1s'
agent_start || finish
wait_for 5 has_addr $S 10.99.0.2 && ok "start: 10.99.0.2" || fail "set: $(set_addrs $S)"
wait_for 5 '[ -f "$M" ]' && ok "metrics file written" || { fail "no $M"; finish; }
mode=$(stat -c %a "$M")
[ "$mode" = 644 ] && ok "mode 0644 (the collector runs as another user)" || fail "mode $mode"
[ -z "$(find "$T/textfile" -name '*.tmp')" ] || fail "temp file left: $(ls "$T/textfile")"

"$PY" "$CHECK" "$M" >"$T/check.log" 2>&1 && ok "promcheck: $(cat "$T/check.log")" ||
	fail "promcheck: $(cat "$T/check.log")"
if "$PY" -c 'import prometheus_client' 2>/dev/null; then
	"$PY" - "$M" >"$T/pc.log" 2>&1 <<-'EOP' && ok "prometheus_client: $(cat "$T/pc.log")" ||
	import sys
	from prometheus_client.parser import text_string_to_metric_families
	fams = list(text_string_to_metric_families(open(sys.argv[1]).read()))
	print(len(fams), "families,", sum(len(f.samples) for f in fams), "samples")
	EOP
		fail "prometheus_client rejects the file: $(cat "$T/pc.log")"
else
	fail "python3-prometheus-client missing (scripts/setup.sh installs it)"
fi

for fam in flowguard_info flowguard_rule_packets_total flowguard_rule_bytes_total \
	flowguard_name_addresses flowguard_name_ttl_remaining_seconds flowguard_name_failures \
	flowguard_name_last_success_timestamp_seconds flowguard_name_stale \
	flowguard_applies_total flowguard_apply_failures_total \
	flowguard_apply_duration_seconds flowguard_heals_total flowguard_reloads_total \
	flowguard_blocked_packets_total flowguard_blocked_flows flowguard_blocked_evicted_total \
	flowguard_blocked_lost_total flowguard_blocked_listening flowguard_config_info \
	flowguard_table_in_sync; do
	grep -q "^# TYPE $fam " "$M" || fail "family $fam missing"
done
ok "every family present"
grep -q '^flowguard_info{mode="enforce",roles="agent",region="de-1",' "$M" &&
	ok "info: mode, roles, region" || fail "info: $(grep '^flowguard_info' "$M")"
# The configuration's identity: what `flowguard check` prints for the same files, and what
# coreutils compute (sha256 of each file's sha256 line); the table as audit sees it.
conf_sha() { "$FG" check -c "$CONF" --catalog "$CATALOG" | sed -n 's/^config sha256 \([0-9a-f]\{64\}\) .*/\1/p'; }
h=$(conf_sha)
[ "$h" = "$(sha256sum "$CONF" | cut -c1-64 | sha256sum | cut -c1-64)" ] &&
	ok "check: config sha256 = coreutils' ($h)" || fail "check: sha256 '$h'"
[ "$(val "flowguard_config_info{hash=\"$h\"}")" = 1 ] && ok "config_info: the checked hash" ||
	fail "config_info: $(grep '^flowguard_config_info' "$M")"
[ "$(val flowguard_table_in_sync)" = 1 ] && ok "table_in_sync 1" ||
	fail "in_sync: $(grep '^flowguard_table_in_sync' "$M")"
wait_for 5 '[ "$(val "flowguard_name_addresses{name=\"web.test\"}")" = 1 ]' &&
	ok "web.test holds 1 address" || fail "name_addresses: $(grep web.test "$M")"
[ "$(val 'flowguard_applies_total{kind="full"}')" -ge 1 ] && ok "a full apply counted" ||
	fail "applies: $(grep applies_total "$M")"

rule='flowguard_rule_packets_total{chain="egress",rule="allow test-web (local configuration)"'
series=$(grep -F "$rule" "$M" | head -1 | sed 's/ [^ ]*$//')
[ -n "$series" ] && ok "rule series: $series" || { fail "no series for the test-web rule"; finish; }
p0=$(val "$series")
for _ in 1 2 3; do can_connect 10.99.0.2 8080 || fail "10.99.0.2:8080 blocked"; done
wait_for 5 '[ "$(val "$series")" -gt "$p0" ]' &&
	ok "rule packets moved: $p0 -> $(val "$series")" || fail "rule packets stay at $p0"

# A DNS change: the set update is committed, counted and timed.
s0=$(val 'flowguard_applies_total{kind="sets"}')
dns_set web.test 'web.test. 2 IN A 10.99.0.3'
wait_for 10 '[ "$(val "flowguard_applies_total{kind=\"sets\"}")" -gt "$s0" ]' &&
	ok "set updates counted: $s0 -> $(val 'flowguard_applies_total{kind="sets"}')" ||
	fail "sets applies stay at $s0"
[ "$(val 'flowguard_apply_duration_seconds_count{kind="sets"}')" = \
	"$(val 'flowguard_applies_total{kind="sets"}')" ] && ok "summary count = applies" ||
	fail "summary: $(grep apply_duration "$M")"

printf '# changed\n' >>"$CONF"
h2=$(conf_sha)
kill -HUP "$AGENT"
wait_for 5 '[ "$(val "flowguard_reloads_total{result=\"ok\"}")" = 1 ]' &&
	ok "reload counted" || fail "reloads: $(grep reloads_total "$M")"
[ "$h2" != "$h" ] && wait_for 5 '[ "$(val "flowguard_config_info{hash=\"$h2\"}")" = 1 ]' &&
	[ "$(grep -c '^flowguard_config_info' "$M")" = 1 ] && [ "$(val flowguard_table_in_sync)" = 1 ] &&
	ok "reload: config_info follows the new files, one series, in sync" ||
	fail "reload: $h -> $h2: $(grep '^flowguard_config_info\|^flowguard_table_in' "$M")"
inc "$FG" status --json --run-dir "$T/run" >"$T/status.json"
"$PY" - "$T/status.json" "$h2" >"$T/sj.log" 2>&1 <<-'EOP' && ok "status --json: $(cat "$T/sj.log")" ||
import json, sys
a = json.load(open(sys.argv[1]))["agent"]
m = a["metrics"]
assert m["applies"]["full"]["count"] >= 2, m
assert m["applies"]["sets"]["count"] >= 1, m
assert m["reloads"] == {"ok": 1, "refused": 0}, m
assert a["config_sha256"] == sys.argv[2], (a["config_sha256"], sys.argv[2])
n = [x for x in a["names"] if x["fqdn"] == "web.test"][0]
assert "ttl_remaining_s" in n and "failures" in n and n["stale"] is False, n
print("metrics", m["applies"]["full"]["count"], "full,", m["applies"]["sets"]["count"], "sets")
EOP
	fail "status --json: $(cat "$T/sj.log")"
"$PY" "$CHECK" "$M" >"$T/check.log" 2>&1 || fail "promcheck after changes: $(cat "$T/check.log")"
# The checker on the agent's own output, one sample repeated: it must object.
{ cat "$M"; grep '^flowguard_heals_total ' "$M"; } >"$T/dup.prom"
"$PY" "$CHECK" "$T/dup.prom" >"$T/dup.log" 2>&1 && fail "duplicate series accepted" ||
	ok "checker rejects the real file with a repeated sample: $(head -1 "$T/dup.log")"

# Turned off by a reload: the file goes (stale numbers would mislead).
write_config enforce 3s
kill -HUP "$AGENT"
wait_for 5 '[ ! -e "$M" ]' && ok "metrics off after reload: file removed" || fail "$M stays"
agent_stop || fail "agent exit $rc"

# Never set: nothing is written.
rm -rf "$T/textfile"
mkdir "$T/textfile"
agent_start || finish
# With metrics set, the file would have been written at start and every interval since: wait
# for a refresh of web.test (TTL 2 s) to be in status.json, and say there is none.
wait_for 10 '[ "$(status_eval "name(\"web.test\")[\"last_good_ms\"]")" -gt 0 ] 2>/dev/null' ||
	fail "no answer for web.test"
# shellcheck disable=SC2034 # read by wait_for's eval
g=$(status_eval 'name("web.test")["last_good_ms"]')
wait_for 15 '[ "$(status_eval "name(\"web.test\")[\"last_good_ms\"]")" -gt "$g" ] 2>/dev/null' ||
	fail "no refresh of web.test"
[ -z "$(ls "$T/textfile")" ] && [ "$(status_eval 'repr(s["metrics"]["textfile"])')" = "''" ] &&
	ok "metrics unset: no file, and status.json names none" ||
	fail "files: $(ls "$T/textfile"), status: $(status_eval 's["metrics"]')"
finish
