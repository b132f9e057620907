#!/bin/sh
# Names chosen by others (any process with CAP_NET_ADMIN names its tables and chains; the
# agent's user can write the status file): a table named with DEL and a 0xff byte and a
# chain named with U+2028 and a terminal escape never stop the agent. detect --save writes
# a facts file that check --facts loads (it used to be refused, and with it every start of
# the unit), the JSON is valid UTF-8 JSON, and the terminal reports show the names
# escaped. status --json stays valid JSON for a tampered status file.
. tests/netns/lib.sh
T=$TMPDIR_NS
CFG=$T/auto.yaml
# dns-servers: auto makes check and plan read the facts file.
printf 'roles: [agent]\nregion: de-1\ndns-servers: auto\nntp-servers: [192.0.2.123]\n' >"$CFG"

"$FGNL" foreign "$(printf 'ev\177il\377')" "$(printf 'c\342\200\250x\033[2J')" >/dev/null ||
	fail "fgnl foreign: could not create the table"
nft list tables | grep -q 'ev' && ok "a table named with DEL and 0xff exists" ||
	fail "no foreign table: $(nft list tables)"

# valid_json FILE: parses as JSON (Python refuses invalid UTF-8 and raw control bytes).
valid_json() {
	python3 -c 'import json, sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$1" 2>"$T/py.err"
}
# raw_controls FILE: holds a C0 byte other than LF, DEL, or a byte that is not UTF-8.
raw_controls() {
	python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
try:
	t = b.decode("utf-8")
except UnicodeDecodeError:
	sys.exit(0)
sys.exit(0 if any((ord(c) < 32 and c != "\n") or 0x7f <= ord(c) < 0xa0 or c in "\u2028\u2029"
		  for c in t) else 1)' "$1"
}

./flowguard detect --save "$T/facts.json" >/dev/null 2>"$T/err" &&
	ok "detect --save with the foreign table" || fail "detect --save: $(cat "$T/err")"
valid_json "$T/facts.json" && ok "the facts file is valid JSON" ||
	fail "facts file is not JSON: $(cat "$T/py.err")"
grep -Fq 'table inet ev\u007fil\\xff chain c\u2028x\u001b[2J' "$T/facts.json" &&
	ok "the names are escaped in the facts file" || fail "names: $(grep where "$T/facts.json")"
./flowguard check -c "$CFG" --catalog "$FG_CATALOG" --facts "$T/facts.json" >/dev/null 2>"$T/err" &&
	ok "check --facts loads it" || fail "check --facts refused it: $(cat "$T/err")"
./flowguard plan --no-resolve -c "$CFG" --catalog "$FG_CATALOG" --facts "$T/facts.json" >"$T/plan" 2>"$T/err" &&
	ok "plan --facts" || fail "plan --facts: $(cat "$T/err")"
./flowguard detect --facts "$T/facts.json" >"$T/back.txt" 2>&1
./flowguard detect >"$T/live.txt" 2>&1
raw_controls "$T/live.txt" && fail "detect prints raw control bytes: $(od -c "$T/live.txt" | head)" ||
	ok "detect (text): no raw control or invalid bytes"
grep -Fq 'table inet ev\x7fil\xff chain c\xe2\x80\xa8x\x1b[2J:' "$T/live.txt" &&
	ok "detect (text) shows the names as \\xNN" || fail "detect text: $(grep table "$T/live.txt")"
grep -F 'table inet ev' "$T/back.txt" | cmp -s - "$(grep -F 'table inet ev' "$T/live.txt" >"$T/l" && echo "$T/l")" &&
	ok "the same from the facts file as live" || fail "facts vs live: $(grep -F 'table inet ev' "$T/back.txt")"
./flowguard status --run-dir "$T/norun" >"$T/st.txt" 2>&1
raw_controls "$T/st.txt" && fail "status prints raw control bytes" ||
	ok "status (text): no raw control or invalid bytes"
grep -Fq 'table inet ev\x7fil\xff chain c\xe2\x80\xa8x\x1b[2J:' "$T/st.txt" &&
	ok "status names the chain escaped" || fail "status: $(grep table "$T/st.txt")"

# A status file written by someone else, for a live "flowguard" process: every value type
# JSON does not have, a key that is a number, control bytes and invalid UTF-8.
mkdir -p "$T/run"
cp /bin/sleep "$T/flowguard"
"$T/flowguard" 300 &
SLEEPER=$!
# Until the exec, the child's comm is still this shell's: status would rightly say "not
# running" (it failed so under load).
wait_until grep -qx flowguard "/proc/$SLEEPER/comm" || fail "the stand-in never became 'flowguard'"
printf '{"pid": %s, "version": 1.0.x, "mode": yes, 12: [a, ~, .inf, 0x1f, 012], "roles": "a\\u0007\\u2028b", "region": "\\u001b[2J", "last_heal_comm": "nft\\n<3>forged", "heals": 1, "names": [{"fqdn": "x\\u0085y", "ttl": 5}], "blocked": {"listening": true, "flows": [{"verdict": "blocked", "explanation": "e\\u001b[31m"}]}}\n' \
	"$SLEEPER" >"$T/run/status.json"
./flowguard status --json --run-dir "$T/run" >"$T/st.json" 2>"$T/err"
valid_json "$T/st.json" && ok "status --json: valid JSON from a tampered status file" ||
	fail "status --json: $(cat "$T/py.err"; head -c 600 "$T/st.json")"
grep -q '"running": true' "$T/st.json" && ok "status --json read it as a running agent's" ||
	fail "status --json: not running: $(head -c 300 "$T/st.json") $(cat "$T/err")"
./flowguard status --run-dir "$T/run" >"$T/st2.txt" 2>&1
raw_controls "$T/st2.txt" && fail "status (text) prints the file's control bytes: $(od -c "$T/st2.txt" | head -20)" ||
	ok "status (text) of the tampered file: no raw control or invalid bytes"
grep -Fq "('nft\\x0a<3>forged')" "$T/st2.txt" &&
	ok "status (text): the process name escaped" || fail "status text: $(grep -a heal "$T/st2.txt")"
# Bytes libyaml cannot read: refused with the place, nothing on stdout (never half a JSON).
printf '{"pid": %s, "region": "\377"}\n' "$SLEEPER" >"$T/run/status.json"
./flowguard status --json --run-dir "$T/run" >"$T/st.json" 2>"$T/err"
rc=$?
[ "$rc" -ne 0 ] && [ ! -s "$T/st.json" ] &&
	grep -Fq "$T/run/status.json:1:" "$T/err" && ok "status --json: invalid UTF-8 refused, located" ||
	fail "status --json on invalid UTF-8: exit $rc, $(cat "$T/err") $(head -c 200 "$T/st.json")"
kill "$SLEEPER"
finish
