#!/bin/sh
# flowguard check/plan on the fixtures, as an admin runs them (from the repository root):
#   - every bad fixture: `flowguard check` exits 2 and stderr holds each of its '# expect:'
#     lines (tests/fixtures/bad/NAME.yaml, or bad/NAME/flowguard.yaml with a conf.d/);
#   - every good fixture: `flowguard check` exits 0, and stderr holds each of its
#     '# expect-warning:' lines;
#   - every golden (good/NAME.nft): `flowguard plan` prints exactly those bytes, and
#     `nft -c -f` accepts them inside a fresh network namespace (never the host's ruleset);
#   - generated inputs: an oversized file; a group-writable file on the strict default path.
# Ends with "cli: N passed, N failed"; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.." || exit 1
export LC_ALL=C

FG=./flowguard
CATALOG=policies/catalog/swp.yaml
BAD=tests/fixtures/bad
GOOD=tests/fixtures/good
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
note() { echo "FAIL: $*" >&2; }

# dir/NAME.yaml and dir/NAME/flowguard.yaml, in name order.
fixtures() {
	for f in "$1"/*.yaml "$1"/*/flowguard.yaml; do
		[ -f "$f" ] && echo "$f"
	done
}

# The full stderr lines a bad fixture announces in its leading comment block.
expect_lines() {
	sed -n -e '/^#/!q' \
		-e 's|^# expect-line: ||p' \
		-e "s|^# expect: error: |$1: error: |p" \
		-e "s|^# expect: |$1:|p" "$1"
}

# The full stderr lines a good fixture's '# expect-warning:' lines announce.
warning_lines() {
	sed -n -e '/^#/!q' \
		-e "s|^# expect-warning: warning: |$1: warning: |p" \
		-e "s|^# expect-warning: |$1:|p" "$1"
}

# nft -c in a namespace of our own: root gets a network namespace, others a user one too.
nft_check() {
	if [ "$(id -u)" -eq 0 ]; then
		unshare -n nft -c -f "$1"
	else
		unshare -Urn nft -c -f "$1"
	fi
}

if [ ! -x "$FG" ]; then
	echo "cli: $FG is missing; run make first" >&2
	echo "cli: 0 passed, 1 failed"
	exit 1
fi

# ---- bad fixtures: exit 2, every expected line on stderr ---------------------------------
for f in $(fixtures "$BAD"); do
	expect_lines "$f" >"$tmp/want"
	if [ ! -s "$tmp/want" ]; then
		bad "$f: no '# expect:' lines"
		continue
	fi
	# A fixture may name the command that must refuse it ("# command: plan"); detection
	# reads an empty tree, so the machine running the tests cannot change the outcome.
	cmd=$(sed -n 's/^# command: //p' "$f")
	cmd=${cmd:-check}
	mkdir -p "$tmp/emptyroot"
	$FG "$cmd" -c "$f" --catalog "$CATALOG" --root "$tmp/emptyroot" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	good=1
	if [ "$rc" -ne 2 ]; then
		note "$f: flowguard $cmd exited $rc, not 2"
		good=0
	fi
	while IFS= read -r line; do
		if ! grep -Fxq -- "$line" "$tmp/err"; then
			note "$f: stderr lacks: $line"
			good=0
		fi
	done <"$tmp/want"
	if [ "$good" -eq 1 ]; then
		ok
	else
		sed 's/^/    stderr: /' "$tmp/err" >&2
		fail=$((fail + 1))
	fi
done

# ---- good fixtures: exit 0; goldens: same bytes, and nft accepts them ---------------------
have_nft=1
command -v nft >/dev/null 2>&1 && command -v unshare >/dev/null 2>&1 || have_nft=0
for f in $(fixtures "$GOOD"); do
	if $FG check -c "$f" --catalog "$CATALOG" >"$tmp/out" 2>"$tmp/err"; then
		ok
	else
		bad "$f: flowguard check exited $?, not 0"
		sed 's/^/    stderr: /' "$tmp/err" >&2
	fi
	warning_lines "$f" >"$tmp/want"
	while IFS= read -r line; do
		if grep -Fxq -- "$line" "$tmp/err"; then
			ok
		else
			bad "$f: flowguard check did not warn: $line"
			sed 's/^/    stderr: /' "$tmp/err" >&2
		fi
	done <"$tmp/want"

	golden=${f%.yaml}.nft
	[ -f "$golden" ] || continue
	if ! $FG plan --no-resolve -c "$f" --catalog "$CATALOG" >"$tmp/plan.nft" 2>"$tmp/err"; then
		bad "$f: flowguard plan failed"
		sed 's/^/    stderr: /' "$tmp/err" >&2
		continue
	fi
	if cmp -s "$tmp/plan.nft" "$golden"; then
		ok
	else
		bad "$f: flowguard plan differs from $golden"
		diff -u "$golden" "$tmp/plan.nft" | head -20 >&2
	fi
	if [ "$have_nft" -eq 0 ]; then
		bad "$golden: nft or unshare not installed (run scripts/setup.sh)"
	elif nft_check "$tmp/plan.nft" 2>"$tmp/err"; then
		ok
	else
		bad "$golden: nft -c -f rejects the plan"
		sed 's/^/    nft: /' "$tmp/err" >&2
	fi
done

# ---- oversized input (generated: > 1 MiB) ------------------------------------------------
big=$tmp/oversized.yaml
size=$((1024 * 1024 + 1))
{
	printf 'roles: [agent]\n'
	head -c $((size - 16)) /dev/zero | tr '\0' '#'
	printf '\n'
} >"$big"
# `flowguard check` of FILE exits 2 and prints the line WANT on stderr.
expect_refused() { # what file want
	$FG check -c "$2" --catalog "$CATALOG" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 2 ] && grep -Fxq -- "$3" "$tmp/err"; then
		ok
	else
		bad "$1: exit $rc, want 2 and: $3"
		sed 's/^/    stderr: /' "$tmp/err" >&2
	fi
}
expect_refused oversized "$big" "$big: error: file is $size bytes, larger than the limit of 1048576"

# ---- an allow entry's limit: 65,536 addresses compile, one more is refused where it is ------
# One flow list in one file (under YAML_MAX_BYTES); 10.0.0.0 upwards, one address each.
allow_list() { # count
	awk -v n="$1" 'BEGIN {
		printf "mode: enforce\nroles: [agent]\nregion: de-1\ndns-servers: [192.0.2.53]\n"
		printf "ntp-servers: [192.0.2.123]\nallow:\n  - name: many\n    ports: [443]\n    to: ["
		for (i = 0; i < n; i++)
			printf "%s10.%d.%d.%d", i ? "," : "", int(i / 65536), int(i / 256) % 256, i % 256
		printf "]\n"
	}'
}
allow_list 65536 >"$tmp/allow-max.yaml"
if out=$($FG check -c "$tmp/allow-max.yaml" --catalog "$CATALOG" 2>&1) &&
	$FG plan --no-resolve -c "$tmp/allow-max.yaml" --catalog "$CATALOG" 2>&1 |
	grep -o '10\.[0-9]*\.[0-9]*\.[0-9]*' | sort -u | wc -l | grep -qx 65536; then
	ok
else
	bad "allow entry of 65536 addresses: $out"
fi
allow_list 65537 >"$tmp/allow-over.yaml"
expect_refused "allow entry over the limit" "$tmp/allow-over.yaml" \
	"$tmp/allow-over.yaml:9:9: error: allow.to: 65537 entries, more than the limit of 65536"

# ---- the catalog compiled into the binary answers only for its exact bytes ----------------
# A copy with one port changed must plan that port: it is parsed, not taken from the image.
sed 's/ports: \[4122\]/ports: [4199]/' "$CATALOG" >"$tmp/catalog.yaml"
$FG plan --no-resolve -c "$GOOD/relay-jp1.yaml" --catalog "$tmp/catalog.yaml" >"$tmp/plan.nft" 2>"$tmp/err"
if grep -q 'dport 4199' "$tmp/plan.nft" && ! grep -q 'dport 4122' "$tmp/plan.nft" &&
	$FG plan --no-resolve -c "$GOOD/relay-jp1.yaml" --catalog "$CATALOG" | grep -q 'dport 4122'; then
	ok
else
	bad "a changed catalog copy was not planned as written: $(cat "$tmp/err")"
fi

# ---- the strict default config path (--root, no -c): group-writable is refused -------------
if [ "$(id -u)" -eq 0 ]; then
	conf=$tmp/root/etc/flowguard/flowguard.yaml
	mkdir -p "$tmp/root/etc/flowguard"
	sed -n '/^[^#]/,$p' "$GOOD/agent-de1.yaml" >"$conf"
	chmod 0664 "$conf"
	$FG check --root "$tmp/root" --catalog "$CATALOG" >/dev/null 2>"$tmp/err"
	rc=$?
	want="$conf: error: refusing a file writable by its group (mode 0664); chmod go-w"
	if [ "$rc" -eq 2 ] && grep -Fxq -- "$want" "$tmp/err"; then
		ok
	else
		bad "strict path: exit $rc, want 2 and: $want"
		sed 's/^/    stderr: /' "$tmp/err" >&2
	fi
	chmod 0644 "$conf"
	if $FG check --root "$tmp/root" --catalog "$CATALOG" >/dev/null 2>"$tmp/err"; then
		ok
	else
		bad "strict path: a root-owned 0644 config is refused"
		sed 's/^/    stderr: /' "$tmp/err" >&2
	fi
	# The default catalog path (no --catalog) is held to the same rule as the config.
	catdef=$($FG --help 2>&1 | sed -n 's/.*vendor catalog (default \(.*\))$/\1/p')
	cat=$tmp/root$catdef
	mkdir -p "$(dirname "$cat")"
	cp "$CATALOG" "$cat"
	cat_refused() { # owner mode expected-message
		chown "$1" "$cat" && chmod "$2" "$cat"
		$FG check --root "$tmp/root" >/dev/null 2>"$tmp/err"
		rc=$?
		want="$cat: error: $3"
		if [ "$rc" -eq 2 ] && grep -Fxq -- "$want" "$tmp/err"; then
			ok
		else
			bad "strict catalog path: exit $rc, want 2 and: $want"
			sed 's/^/    stderr: /' "$tmp/err" >&2
		fi
	}
	cat_refused 0 0646 "refusing a file writable by others (mode 0646); chmod go-w"
	cat_refused 0 0664 "refusing a file writable by its group (mode 0664); chmod go-w"
	cat_refused 1 0644 "refusing a file owned by uid 1, not root"
	chown 0 "$cat" && chmod 0644 "$cat"
	if $FG check --root "$tmp/root" >/dev/null 2>"$tmp/err"; then
		ok
	else
		bad "strict catalog path: a root-owned 0644 catalog is refused"
		sed 's/^/    stderr: /' "$tmp/err" >&2
	fi
fi

# ---- facts files (detect --save, --facts): what the unprivileged daemon plans from ----------
# Root only: a facts file must be owned by root, so one written by another user is refused.
if [ "$(id -u)" -eq 0 ]; then
	# Every detection fixture: the saved file reads back to the same report, and planning
	# from it gives the same plan (or the same errors, without detection's warnings, which
	# the saving step printed) as detecting the tree live.
	for dir in tests/detect/*/; do
		dir=${dir%/}
		[ -d "$dir/root" ] || continue
		name=$(basename "$dir")
		cfg=tests/detect/auto.yaml
		[ -f "$dir/flowguard.yaml" ] && cfg=$dir/flowguard.yaml
		facts=$tmp/facts-$name.json
		if ! $FG detect --root "$dir/root" --save "$facts" 2>/dev/null; then
			bad "facts $name: detect --save failed"
			continue
		fi
		if [ "$(stat -c '%u %a' "$facts")" = "0 644" ] &&
			[ -z "$(find "$tmp" -name "facts-$name.json.*")" ]; then
			ok
		else
			bad "facts $name: saved as $(stat -c '%u %a' "$facts"), or a temporary file left"
		fi
		$FG detect --facts "$facts" --json >"$tmp/facts.out" 2>"$tmp/err"
		if cmp -s "$tmp/facts.out" "$dir/expected.json" && [ ! -s "$tmp/err" ]; then
			ok
		else
			bad "facts $name: detect --facts --json differs from $dir/expected.json"
			diff -u "$dir/expected.json" "$tmp/facts.out" | head -20 >&2
			sed 's/^/    stderr: /' "$tmp/err" >&2
		fi
		$FG plan --no-resolve -c "$cfg" --catalog "$CATALOG" --root "$dir/root" >"$tmp/live.nft" 2>"$tmp/live.err"
		live_rc=$?
		$FG plan --no-resolve -c "$cfg" --catalog "$CATALOG" --facts "$facts" >"$tmp/facts.nft" 2>"$tmp/facts.err"
		facts_rc=$?
		grep -v ': warning: ' "$tmp/live.err" >"$tmp/live.errors"
		if [ "$live_rc" -eq "$facts_rc" ] && cmp -s "$tmp/live.nft" "$tmp/facts.nft" &&
			cmp -s "$tmp/live.errors" "$tmp/facts.err"; then
			ok
		else
			bad "facts $name: plan --facts (exit $facts_rc) differs from plan --root (exit $live_rc)"
			diff -u "$tmp/live.nft" "$tmp/facts.nft" | head -20 >&2
			diff -u "$tmp/live.errors" "$tmp/facts.err" | head -20 >&2
		fi
	done

	good=$tmp/facts-agent-de1.json
	# facts_refused NAME FILE EXPECTED-LINE...: plan --facts FILE exits 2 and prints each line.
	facts_refused() {
		local name=$1 file=$2 line good_case=1
		shift 2
		$FG plan --no-resolve -c tests/detect/auto.yaml --catalog "$CATALOG" --facts "$file" \
			>"$tmp/out" 2>"$tmp/err"
		rc=$?
		[ "$rc" -eq 2 ] || good_case=0
		[ -s "$tmp/out" ] && good_case=0
		for line in "$@"; do
			grep -Fxq -- "$line" "$tmp/err" || good_case=0
		done
		if [ "$good_case" -eq 1 ]; then
			ok
		else
			bad "facts refused ($name): exit $rc, want 2 with: $*"
			sed 's/^/    stderr: /' "$tmp/err" >&2
		fi
	}
	f=$tmp/f-missing.json
	facts_refused missing "$f" "$f: error: cannot open: No such file or directory"
	f=$tmp/f-empty.json
	: >"$f"
	facts_refused empty "$f" "$f: error: empty facts file"
	f=$tmp/f-truncated.json
	head -c 200 "$good" >"$f"
	facts_refused truncated "$f" \
		"$f:8:1: error: YAML syntax error: did not find expected node content while parsing a flow node (line 8)"
	f=$tmp/f-key.json
	sed 's/"roles"/"rolez"/' "$good" >"$f"
	facts_refused "unknown key" "$f" \
		"$f:2:3: error: unknown key 'rolez' in the facts file; did you mean 'roles'?" \
		"$f:1:1: error: the facts file: missing 'roles'"
	f=$tmp/f-type.json
	sed 's/"region": "de-1"/"region": 7/' "$good" >"$f"
	facts_refused "region not a string" "$f" "$f:3:13: error: region must be a string, not 7"
	f=$tmp/f-addr.json
	sed 's/"dns-servers": \["10.20.0.2"/"dns-servers": ["10.20.0.300"/' "$good" >"$f"
	facts_refused "bad address" "$f" \
		"$f:8:21: error: dns-servers '10.20.0.300': not an IP address, prefix or DNS name"
	f=$tmp/f-role.json
	sed 's/"roles": \["agent"\]/"roles": ["agnet"]/' "$good" >"$f"
	facts_refused "unknown role" "$f" "$f:2:13: error: unknown role 'agnet'; did you mean 'agent'?"
	f=$tmp/f-comm.json
	sed 's/"communication": "[a-z-]*"/"communication": "sometimes"/' "$good" >"$f"
	facts_refused "unknown communication" "$f" \
		"$f:5:20: error: unknown communication 'sometimes'"
	f=$tmp/f-group.json
	cp "$good" "$f" && chmod 0664 "$f"
	facts_refused "group-writable" "$f" \
		"$f: error: refusing a file writable by its group (mode 0664); chmod go-w"
	f=$tmp/f-world.json
	cp "$good" "$f" && chmod 0646 "$f"
	facts_refused "world-writable" "$f" \
		"$f: error: refusing a file writable by others (mode 0646); chmod go-w"
	f=$tmp/f-owner.json
	cp "$good" "$f" && chown 1 "$f"
	facts_refused "not root's" "$f" "$f: error: refusing a file owned by uid 1, not root"
	f=$tmp/f-stale.json
	cp "$good" "$f" && touch -d '2000-01-01 00:00:00 UTC' "$f"
	facts_refused stale "$f" "$f: error: stale: written 2000-01-01 00:00:00 UTC, before this boot; detect again with 'flowguard detect --save $f' (systemctl reload flowguard does)"
	f=$tmp/f-dir.json
	mkdir -p "$f"
	facts_refused "a directory" "$f" "$f: error: not a regular file"

	# The daemon refuses to start on a bad facts file (no silent fallback to what it could
	# detect unprivileged); in a network namespace of its own, so no table is touched.
	f=$tmp/f-group.json
	unshare -n $FG run -c tests/detect/auto.yaml --catalog "$CATALOG" --facts "$f" \
		--state-dir "$tmp" --run-dir "$tmp" >/dev/null 2>"$tmp/err"
	rc=$?
	want="$f: error: refusing a file writable by its group (mode 0664); chmod go-w"
	if [ "$rc" -eq 2 ] && grep -Fq -- "$want" "$tmp/err" && [ ! -e "$tmp/status.json" ]; then
		ok
	else
		bad "run --facts (group-writable): exit $rc, want 2 and: $want"
		sed 's/^/    stderr: /' "$tmp/err" >&2
	fi
	# detect --save where it cannot write: exit 1, nothing left behind.
	$FG detect --root tests/detect/agent-de1/root --save "$tmp/nodir/x.json" 2>"$tmp/err"
	rc=$?
	want="flowguard: cannot write $tmp/nodir/x.json: No such file or directory"
	if [ "$rc" -eq 1 ] && grep -Fxq -- "$want" "$tmp/err"; then
		ok
	else
		bad "detect --save to a missing directory: exit $rc, want 1 and: $want"
		sed 's/^/    stderr: /' "$tmp/err" >&2
	fi
fi

# ---- auto that finds nothing: check warns, the plan says why the flows are left out ----------
mkdir -p "$tmp/bare"
printf 'mode: enforce\nroles: [agent]\nregion: de-1\n' >"$tmp/auto.yaml"
if $FG check -c "$tmp/auto.yaml" --catalog "$CATALOG" --root "$tmp/bare" >"$tmp/out" 2>"$tmp/err" &&
	grep -q "^$tmp/auto.yaml: warning: dns-servers: auto, and detection found none: no rule allows them (agent-dns (row 7)" "$tmp/err" &&
	grep -q "^$tmp/auto.yaml: warning: ntp-servers: auto, and detection found none: no rule allows them (agent-ntp (row 8)" "$tmp/err"; then
	ok
else
	bad "check: no warning for auto DNS/NTP servers found nowhere: $(cat "$tmp/err")"
fi
if $FG plan --no-resolve -c "$tmp/auto.yaml" --catalog "$CATALOG" --root "$tmp/bare" >"$tmp/out" 2>/dev/null &&
	grep -qx '# not applied: agent-dns (row 7): Agents -> DNS server: dns-servers: auto found none' "$tmp/out" &&
	grep -qx '# not applied: agent-ntp (row 8): Agents -> NTP server: ntp-servers: auto found none' "$tmp/out" &&
	! grep -q 'none configured\|no dns-servers configured' "$tmp/out"; then
	ok
else
	bad "plan: the reason is not 'auto found none': $(grep 'not applied' "$tmp/out")"
fi

# ---- suggest: status files -> a drop-in that check accepts; errors exact -----------------
# tests/fixtures/status/NAME.json with NAME.yaml: suggest prints exactly that (the generated
# time aside); as conf.d/ of a base config, `check` accepts it and `plan` has a rule for
# every entry. With NAME.err: exit 1 and exactly those stderr lines.
ST=tests/fixtures/status
sg=$tmp/suggest
mkdir -p "$sg/conf.d" "$tmp/emptyroot"
cat >"$sg/flowguard.yaml" <<'EOC'
mode: audit
roles: [agent]
region: de-1
ingress: audit
dns-servers: [192.0.2.53]
ntp-servers: [192.0.2.123]
allow:
  - name: test-web
    to: [web.test]
    ports: [8080]
EOC
# suggest reads the configuration to leave out what it allows: always this one here.
SUGGEST="$FG suggest -c $sg/flowguard.yaml --catalog $CATALOG"
suggest_norm() {
	sed 's/^# Generated [0-9TZ:-]* from/# Generated <time> from/' "$1"
}
for golden in "$ST"/*.yaml; do
	f=${golden%.yaml}.json
	if ! $SUGGEST --status "$f" >"$tmp/out" 2>"$tmp/err"; then
		bad "suggest $f: exit $?"
		sed 's/^/    stderr: /' "$tmp/err" >&2
		continue
	fi
	if suggest_norm "$tmp/out" | cmp -s - "$golden" && [ ! -s "$tmp/err" ]; then
		ok
	else
		bad "suggest $f differs from $golden (or wrote to stderr)"
		suggest_norm "$tmp/out" | diff -u "$golden" - | head -20 >&2
		cat "$tmp/err" >&2
	fi
	cp "$tmp/out" "$sg/conf.d/50-suggested.yaml"
	if $FG check -c "$sg/flowguard.yaml" --catalog "$CATALOG" --root "$tmp/emptyroot" \
		>/dev/null 2>"$tmp/err"; then
		ok
	else
		bad "suggest $f: flowguard check refuses the drop-in"
		sed 's/^/    stderr: /' "$tmp/err" >&2
	fi
	$FG plan --no-resolve -c "$sg/flowguard.yaml" --catalog "$CATALOG" --root "$tmp/emptyroot" \
		>"$tmp/plan" 2>/dev/null
	missing=
	for e in $(sed -n 's/^  - name: //p' "$tmp/out"); do
		grep -q "accept comment \"allow $e (local configuration)\"" "$tmp/plan" ||
			missing="$missing $e"
	done
	[ -z "$missing" ] && ok || bad "suggest $f: no rule in the plan for:$missing"
	rm -f "$sg/conf.d/50-suggested.yaml"
done
for want in "$ST"/*.err; do
	f=${want%.err}.json
	$SUGGEST --status "$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 1 ] && cmp -s "$tmp/err" "$want" && [ ! -s "$tmp/out" ]; then
		ok
	else
		bad "suggest $f: exit $rc (want 1), stderr not exactly $want, or stdout not empty"
		diff -u "$want" "$tmp/err" >&2
	fi
done

# suggest_case NAME WANT-RC WANT-STDERR-LINE ARGS...: one run, its exit and exact stderr.
suggest_case() {
	_name=$1 _rc=$2 _want=$3
	shift 3
	$SUGGEST "$@" >"$tmp/out" 2>"$tmp/err"
	_got=$?
	if [ "$_got" -eq "$_rc" ] && [ "$(cat "$tmp/err")" = "$_want" ]; then
		ok
	else
		bad "suggest $_name: exit $_got (want $_rc); stderr:"
		sed 's/^/    /' "$tmp/err" >&2
		echo "    want: $_want" >&2
	fi
}
suggest_case "nothing seen" 0 \
	"flowguard: nothing blocked or would-be-blocked in $ST/empty.json: no allow entries to suggest" \
	--status "$ST/empty.json" -o "$tmp/none.yaml"
[ ! -s "$tmp/out" ] && [ ! -e "$tmp/none.yaml" ] && ok ||
	bad "suggest: nothing seen, yet something was written"
suggest_case "missing file" 1 "$tmp/nosuch.json: error: cannot open: No such file or directory" \
	--status "$tmp/nosuch.json"
mkdir "$tmp/adir"
suggest_case "unreadable file" 1 "$tmp/adir: error: cannot read: Is a directory" --status "$tmp/adir"
suggest_case "--force without -o" 2 "flowguard: --force needs -o FILE" --status "$ST/audit.json" --force
suggest_case "no command argument" 2 "$($FG --help 2>&1)" suggest --status "$ST/audit.json"
mkdir -p "$tmp/run"
cp "$ST/audit.json" "$tmp/run/status.json"
suggest_case "--run-dir" 0 "" --run-dir "$tmp/run"
grep -q "from $tmp/run/status.json (agent mode: audit)" "$tmp/out" && ok ||
	bad "suggest --run-dir: not read from $tmp/run/status.json"
{
	printf '{"blocked": {"flows": [], "pad": "'
	head -c $((16 * 1024 * 1024)) /dev/zero | tr '\0' 'x'
	printf '"}}\n'
} >"$tmp/big.json"
suggest_case "oversized" 1 \
	"$tmp/big.json: error: file is $(wc -c <"$tmp/big.json") bytes, larger than the limit of 16777216" \
	--status "$tmp/big.json"

# -o: atomic, 0644 whatever the umask, never over an existing file without --force.
mkdir "$tmp/out.d"
(umask 077 && $SUGGEST --status "$ST/audit.json" -o "$tmp/out.d/50-s.yaml") 2>"$tmp/err"
if [ "$(stat -c %a "$tmp/out.d/50-s.yaml" 2>/dev/null)" = 644 ] &&
	suggest_norm "$tmp/out.d/50-s.yaml" | cmp -s - "$ST/audit.yaml"; then
	ok
else
	bad "suggest -o: not written as $ST/audit.yaml with mode 0644"
	cat "$tmp/err" >&2
fi
suggest_case "-o over an existing file" 1 "$tmp/out.d/50-s.yaml: error: exists; use --force to replace it" \
	--status "$ST/names.json" -o "$tmp/out.d/50-s.yaml"
grep -q "to-10-99-0-5-tcp" "$tmp/out.d/50-s.yaml" && ok || bad "suggest -o: refused, yet the file changed"
suggest_case "-o --force" 0 "" --status "$ST/names.json" -o "$tmp/out.d/50-s.yaml" --force
suggest_norm "$tmp/out.d/50-s.yaml" | cmp -s - "$ST/names.yaml" && ok ||
	bad "suggest -o --force: file not replaced"
[ "$(ls -A "$tmp/out.d")" = "50-s.yaml" ] && ok ||
	bad "suggest -o: left files behind: $(ls -A "$tmp/out.d")"

# Text from the file or the command line never leaves its comment: a path and a mode with
# line breaks give the same entries, and check still accepts the result.
nl='
'
sed 's/"mode": "audit"/"mode": "audit\\nallow: evil"/' "$ST/audit.json" >"$tmp/a${nl}b.json"
if $SUGGEST --status "$tmp/a${nl}b.json" >"$sg/conf.d/50-suggested.yaml" 2>"$tmp/err" &&
	$FG check -c "$sg/flowguard.yaml" --catalog "$CATALOG" --root "$tmp/emptyroot" >/dev/null 2>>"$tmp/err" &&
	[ "$(grep -c '^  - name: ' "$sg/conf.d/50-suggested.yaml")" = 4 ]; then
	ok
else
	bad "suggest: a line break in the path or the mode escaped its comment"
	cat "$tmp/err" >&2
fi
rm -f "$sg/conf.d/50-suggested.yaml"

# More entries than the configuration takes: said, not silently cut.
{
	printf '{"blocked": {"flows": [\n'
	i=0
	while [ $i -lt 300 ]; do
		[ $i -gt 0 ] && printf ',\n'
		printf '{"chain": "egress", "verdict": "blocked", "protocol": "tcp", "source": "10.0.0.1", '
		printf '"destination": "10.1.%d.%d", "port": 443, "packets": 1, "bytes": 60, ' $((i / 200)) $((i % 200 + 1))
		printf '"first_seen": "", "last_seen": "", "name": "", "name_current": false, "explanation": ""}'
		i=$((i + 1))
	done
	printf ']}}\n'
} >"$tmp/many.json"
suggest_case "over 256 entries" 0 \
	"flowguard: warning: 301 entries with the configuration's; it takes at most 256 allow entries in all: merge addresses into prefixes" \
	--status "$tmp/many.json"
[ "$(grep -c '^  - name: to-10-1-' "$tmp/out")" -eq 300 ] && ok ||
	bad "suggest: not 300 entries for 300 destinations"

# What the configuration allows now is left out (the agent's entries outlive a reload),
# and its entry names are not reused: a second run adds to the first.
cat >"$sg/conf.d/40-mine.yaml" <<'EOC'
allow:
  - name: to-10-99-0-5-tcp
    to: [10.99.0.0/24]
    ports: [9090]
  - name: web-more
    to: [WEB.test]
    ports: [9090, 443]
EOC
suggest_case "covered by prefix" 0 "flowguard: left out what the configuration allows now: 2 flows" \
	--status "$ST/audit.json"
if grep -q '^  - name: to-10-99-0-5-tcp-2$' "$tmp/out" && grep -q '^    ports: \[8080\]$' "$tmp/out" &&
	! grep -q -- '-> 10.99.0.5:9090' "$tmp/out" && ! grep -q -- '-> 10.99.0.3:9090' "$tmp/out"; then
	ok
else
	bad "suggest: 10.99.0.5 tcp/9090 not left out, or the entry name reused"
	cat "$tmp/out" >&2
fi
cp "$tmp/out" "$sg/conf.d/50-suggested.yaml"
$FG check -c "$sg/flowguard.yaml" --catalog "$CATALOG" --root "$tmp/emptyroot" >/dev/null 2>"$tmp/err" && ok ||
	{ bad "suggest: check refuses the second drop-in"; cat "$tmp/err" >&2; }
suggest_case "second run" 0 "flowguard: everything seen in $ST/audit.json (5 flows) is allowed by the configuration now: no allow entries to suggest" \
	--status "$ST/audit.json" -o "$tmp/again.yaml"
[ ! -e "$tmp/again.yaml" ] && ok || bad "suggest: nothing new, yet $tmp/again.yaml was written"
rm -f "$sg/conf.d/50-suggested.yaml"
suggest_case "covered by name" 0 "flowguard: left out what the configuration allows now: 1 flow" \
	--status "$ST/names.json"
grep -q '"web.test"' "$tmp/out" && bad "suggest: web.test tcp/9090 is allowed by name, yet suggested" || ok
cat >"$sg/conf.d/40-mine.yaml" <<'EOC'
allow:
  - name: old
    to: [old.example]
    ports: [8080]
EOC
suggest_case "past name, port allowed" 0 "flowguard: tcp 10.99.0.4 port 8080 was old.example until 2026-11-28T03:39:00Z; 'old' allows old.example on it already: the client used a stale answer
flowguard: left out what the configuration allows now: 1 flow" --status "$ST/names.json"
grep -q '^    ports: \[8443\]$' "$tmp/out" && ok || bad "suggest: old.example tcp/8443 not suggested on its own"
rm -f "$sg/conf.d/40-mine.yaml"
$FG suggest -c "$tmp/nosuch.yaml" --catalog "$CATALOG" --status "$ST/audit.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 0 ] && grep -Fxq "$tmp/nosuch.yaml: error: cannot open: No such file or directory" "$tmp/err" &&
	grep -q "^flowguard: warning: cannot read the configuration $tmp/nosuch.yaml: " "$tmp/err" &&
	suggest_norm "$tmp/out" | cmp -s - "$ST/audit.yaml"; then
	ok
else
	bad "suggest without a readable configuration: exit $rc, want 0, a warning, every flow"
	cat "$tmp/err" >&2
fi

# ---- per-command options: one a command does not take is a usage error naming it --------
# In a network namespace of our own, with a time limit: a command that wrongly ran would
# touch only that namespace's (empty) ruleset.
in_netns() {
	if [ "$(id -u)" -eq 0 ]; then
		unshare -n timeout 20 "$@"
	else
		unshare -Urn timeout 20 "$@"
	fi
}
# wrong_opt COMMAND OPTION-NAME ARGS...: exit 2, the option named, the command's usage.
wrong_opt() {
	_cmd=$1 _opt=$2
	shift 2
	in_netns $FG "$@" >"$tmp/out" 2>"$tmp/err"
	_rc=$?
	if [ "$_rc" -eq 2 ] && [ "$(sed -n 1p "$tmp/err")" = "flowguard: $_cmd does not take --$_opt" ] &&
		sed -n 2p "$tmp/err" | grep -q "^Usage: flowguard $_cmd\( \|$\)" && [ ! -s "$tmp/out" ]; then
		ok
	else
		bad "$_cmd --$_opt: exit $_rc, want 2 naming the option; stderr:"
		sed 's/^/    /' "$tmp/err" >&2
	fi
}
wrong_opt plan json plan -c init/flowguard.yaml --json
wrong_opt check save check --save "$tmp/x.json"
wrong_opt apply json apply -c policies/examples/demo.yaml --catalog "$CATALOG" --json
wrong_opt audit no-resolve audit -c policies/examples/demo.yaml --catalog "$CATALOG" --no-resolve
wrong_opt disable root disable --root /
wrong_opt run json run -c policies/examples/demo.yaml --catalog "$CATALOG" --json \
	--state-dir "$tmp" --run-dir "$tmp"
wrong_opt status config status -c init/flowguard.yaml
wrong_opt detect output detect -o "$tmp/x.json"
wrong_opt detect catalog detect --catalog "$CATALOG"
wrong_opt suggest facts suggest --status "$ST/audit.json" --facts "$tmp/x.json"
wrong_opt plan json --json plan -c init/flowguard.yaml
[ ! -e "$tmp/x.json" ] && ok || bad "a refused command wrote $tmp/x.json"

# ---- exit status: the kernel's refusal is a runtime failure (1), bad input stays 2 ------
# exit_case NAME WANT-RC WANT-TEXT COMMAND...: its exit status, and WANT-TEXT on stderr.
exit_case() {
	_name=$1 _rc=$2 _want=$3
	shift 3
	"$@" >/dev/null 2>"$tmp/err"
	_got=$?
	if [ "$_got" -eq "$_rc" ] && grep -Fq -- "$_want" "$tmp/err"; then
		ok
	else
		bad "$_name: exit $_got, want $_rc and: $_want; stderr:"
		sed 's/^/    /' "$tmp/err" >&2
	fi
}
demo="-c policies/examples/demo.yaml --catalog $CATALOG"
missing="-c $tmp/nosuch.yaml --catalog $CATALOG"
dirs="--state-dir $tmp/nobody --run-dir $tmp/nobody"
mkdir -p "$tmp/nobody" && chmod 777 "$tmp/nobody"
# Unprivileged in a namespace of our own, so nf_tables says EPERM (no CAP_NET_ADMIN there).
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	eperm="Operation not permitted (needs CAP_NET_ADMIN)"
	nobody="unshare -n setpriv --reuid=65534 --regid=65534 --clear-groups timeout 20 $FG"
	exit_case "apply without CAP_NET_ADMIN" 1 "$eperm" $nobody apply $demo
	exit_case "run without CAP_NET_ADMIN" 1 "$eperm" $nobody run $demo $dirs
fi
enoent="$tmp/nosuch.yaml: error: cannot open: No such file or directory"
exit_case "apply with a missing configuration" 2 "$enoent" in_netns $FG apply $missing
exit_case "run with a missing configuration" 2 "$enoent" in_netns $FG run $missing $dirs

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
