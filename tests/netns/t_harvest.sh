#!/bin/sh
# The harvest chain in the kernel (issue 13):
# 1. harvest.hold: where the kernel has nft_queue, `nft list` after apply equals `nft -f`
#    of the plan. This kernel has only nft_compat + xt_NFQUEUE: `nft -f` cannot load the
#    plan's `queue` statement, apply builds the same rule through the compat target
#    (as iptables-nft does), and the listings differ in exactly those rules, which nft
#    shows as `queue num N bypass` (and a warning that the table is iptables-nft's).
#    audit reads the compat rule back as the plan's: no drift.
# 2. A kernel with no way to queue (FLOWGUARD_FORCE_NO_QUEUE=1): apply refuses a hold
#    plan with a reason, and leaves the table as it was.
# 3. Adopting an orphan table that lacks the harvest chain (the daemon after an upgrade):
#    the kernel refuses a new base chain in the transaction that updates the table's
#    flags, so the table is rebuilt in one transaction instead.
. tests/netns/lib.sh
FG="./flowguard --catalog $FG_CATALOG"
TMPD=$(mktemp -d)
trap 'rm -rf "$TMPD"' EXIT

# listing (lib.sh) without nft's stderr: libxtables complains about the inet family there.
listing_out() {
	nft list table inet flowguard 2>/dev/null |
		sed -e '/^\tflags *\(owner\)* *$/d' -e 's/ # progname [^ ]*//' \
		    -e 's/ expires [0-9dhms]*//g' -e '/^[[:space:]]*$/d'
}

cat >"$TMPD/hold.yaml" <<EOF
mode: enforce
roles: [agent]
region: de-1
dns-servers: [192.0.2.53, 2001:db8::53]
ntp-servers: [192.0.2.123]
resolver:
  servers: [127.0.0.1:5399]
harvest:
  hold: true
  queue: 7
allow:
  - name: cdn
    to: [www.example.test, "*.cdn.example.test"]
    ports: [443]
EOF
sed -e '/^harvest:/,/^  queue:/d' "$TMPD/hold.yaml" >"$TMPD/copy.yaml"
sed -e 's/, "\*.cdn.example.test"//' "$TMPD/copy.yaml" >"$TMPD/nowild.yaml"
printf 'harvest:\n  enabled: false\n' | cat "$TMPD/nowild.yaml" - >"$TMPD/off.yaml"

# 1. hold: apply vs nft -f of the plan.
$FG plan -c "$TMPD/hold.yaml" >"$TMPD/hold.nft" 2>"$TMPD/err" || fail "plan: $(cat "$TMPD/err")"
n=$(grep -c 'queue flags bypass to 7' "$TMPD/hold.nft")
[ "$n" = 4 ] && ok "plan: $n rules hold answers (queue flags bypass to 7)" || fail "plan: $n queue rules"
nft flush ruleset
$FG apply -c "$TMPD/hold.yaml" >"$TMPD/out" 2>&1 || fail "apply hold: $(cat "$TMPD/out")"
a=$(listing_out)
if unshare -n nft -f "$TMPD/hold.nft" 2>"$TMPD/err"; then
	b=$(unshare -n sh -c ". tests/netns/lib.sh; nft -f '$TMPD/hold.nft' && listing")
	[ "$a" = "$b" ] && ok "hold: this kernel has nft_queue: nft list identical" ||
		fail "hold: nft list differs with nft_queue"
else
	grep -q 'queue flags bypass to 7' "$TMPD/err" ||
		fail "hold: nft -f failed for another reason: $(head -3 "$TMPD/err")"
	ok "hold: nft -f cannot load 'queue' here (no nft_queue): $(grep -m1 Error "$TMPD/err")"
	sed 's/ queue flags bypass to 7//' "$TMPD/hold.nft" >"$TMPD/noq.nft"
	b=$(unshare -n sh -c ". tests/netns/lib.sh; nft -f '$TMPD/noq.nft' && listing")
	nft list table inet flowguard 2>&1 | grep -q '^# Warning: table inet flowguard is managed by iptables-nft' &&
		ok "hold: nft warns that the table holds an iptables-nft (compat) expression" ||
		fail "hold: no compat warning in nft list"
	printf '%s\n' "$b" >"$TMPD/b"
	diff_lines=$(printf '%s\n' "$a" | grep -v '^# Warning' | diff - "$TMPD/b" | grep -c '^[<>]')
	c=$(printf '%s\n' "$a" | grep -v '^# Warning' | sed 's/ queue num 7 bypass//')
	[ "$c" = "$b" ] && [ "$diff_lines" = 8 ] &&
		ok "hold: nft list differs in exactly the 4 queue rules, shown as 'queue num 7 bypass' (compat target NFQUEUE rev 3), the rest identical" ||
		{ fail "hold: listings differ beyond the queue rules"; printf '%s\n' "$c" | diff - "$TMPD/b" | head -20 >&2; }
fi
$FG audit -c "$TMPD/hold.yaml" >"$TMPD/out" 2>&1 && ok "hold: audit reads the compat rules back: no drift" ||
	fail "hold: audit: $(head -20 "$TMPD/out")"

# 2. No way to queue: apply refuses, the table stays.
nft flush ruleset
$FG apply -c "$TMPD/copy.yaml" >/dev/null 2>&1 || fail "apply copy"
before=$(listing)
if FLOWGUARD_FORCE_NO_QUEUE=1 $FG apply -c "$TMPD/hold.yaml" >"$TMPD/out" 2>&1; then
	fail "no queue: apply of a hold plan succeeded: $(cat "$TMPD/out")"
else
	grep -q 'neither nft_queue nor nft_compat' "$TMPD/out" && [ "$(listing)" = "$before" ] &&
		ok "no queue: apply refuses ($(cat "$TMPD/out")), table unchanged" ||
		fail "no queue: $(cat "$TMPD/out")"
fi

# 3. An orphan without the harvest chain, adopted by an owner that wants it.
nft flush ruleset
"$FGNL" apply "$TMPD/off.yaml" >/dev/null || fail "apply without harvest"
nft list table inet flowguard | grep -q 'chain dns_answers' && fail "harvest off: chain present"
out=$("$FGNL" hold "$TMPD/nowild.yaml" 0 2>&1)
case "$out" in
"holding portid"*)
	nft list table inet flowguard | grep -q 'chain dns_answers' &&
		ok "adopting an orphan that lacks the harvest chain: rebuilt with it" ||
		fail "adopted, but no chain dns_answers" ;;
*) fail "adopting an orphan that lacks the harvest chain: $out" ;;
esac
finish
