#!/bin/sh
# A static set of single addresses is a hash set; one prefix makes it an interval set; 1,024
# addresses or more give the hash set a size (twice the count, a power of two). Apply moves a
# live table between these kinds in one transaction, and audit finds no drift.
. tests/netns/lib.sh

TMPD=$(mktemp -d)
mkdir "$TMPD/conf.d"
cat >"$TMPD/flowguard.yaml" <<-EOC
	mode: enforce
	roles: [relay]
	region: jp-1
	ingress: enforce
	dns-servers: [10.30.0.2]
	ntp-servers: [10.30.0.3]
	relays: [relay-parent.corp.example]
	relay-clients: [10.30.0.0/16]
EOC
FG="./flowguard --catalog $FG_CATALOG -c $TMPD/flowguard.yaml"

# Applies an allow entry with the addresses $1 and checks the set's flags line is $2, its
# element count $3 and its size line $4 (none when empty).
step() {
	l=$1
	[ ${#1} -gt 60 ] && l="$3 addresses: $(printf %s "$1" | cut -c1-22)..."
	printf 'allow:\n  - name: bulk\n    ports: [443]\n    to: [%s]\n' "$1" >"$TMPD/conf.d/a.yaml"
	$FG apply >/dev/null 2>"$TMPD/err" || { fail "[$l]: apply: $(cat "$TMPD/err")"; return; }
	flags=$(nft list set inet flowguard allow_bulk_v4 | sed -n 's/^[[:space:]]*flags //p')
	[ "$flags" = "$2" ] && ok "[$l]: flags '${flags}'" || fail "[$l]: flags '$flags', not '$2'"
	n=$(nft list set inet flowguard allow_bulk_v4 | tr ',{}' '\n\n\n' | grep -c '10\.')
	[ "$n" = "$3" ] && ok "[$l]: $n elements" || fail "[$l]: $n elements, not $3"
	size=$(nft list set inet flowguard allow_bulk_v4 | sed -n 's/^[[:space:]]*size //p')
	[ "$size" = "${4:-}" ] && ok "[$l]: size '$size'" || fail "[$l]: size '$size', not '${4:-}'"
	$FG audit >/dev/null 2>&1 && ok "[$l]: audit clean" || fail "[$l]: audit finds drift"
}

# n addresses from 10.x.y.1 on, x = $2 (a list no other call with another x shares).
hosts() {
	awk -v n="$1" -v x="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s10.%d.%d.%d", i ? ", " : "", x, i / 250, i % 250 + 1 }'
}

step "10.1.1.1, 10.1.1.2" "" 2
step "10.1.1.1, 10.1.1.2, 10.2.0.0/16" "interval" 3
step "10.1.1.1, 10.1.1.3" "" 2
# A /32 written as a prefix is one address: still a hash set.
step "10.1.1.1/32, 10.1.1.4" "" 2
# Large sets: the size appears at 1,024. Then all 1,500 addresses replaced by 1,500 others in
# place: the kernel counts the added ones before the removed ones leave, which only fits
# because the size has room for both. Then a prefix (interval, no size) and back to two.
step "$(hosts 1023 50)" "" 1023
step "$(hosts 1024 50)" "" 1024 2048
step "$(hosts 1500 50)" "" 1500 4096
# plan prints the size: nft -f of it makes the same set.
$FG plan --no-resolve >"$TMPD/plan.nft" 2>"$TMPD/err" || fail "plan: $(cat "$TMPD/err")"
a=$(nft list set inet flowguard allow_bulk_v4)
b=$(unshare -n sh -c "nft -f '$TMPD/plan.nft' && nft list set inet flowguard allow_bulk_v4")
[ -n "$a" ] && [ "$a" = "$b" ] && ok "1500 addresses: nft -f of plan lists the same set" ||
	fail "1500 addresses: nft -f of plan lists another set"
step "$(hosts 1500 60)" "" 1500 4096
# Drift: the set made anew without its size (from the listing, by hand) is a changed set in
# audit's words; apply puts the size back.
nft list table inet flowguard | grep -v '^[[:space:]]*size \|^[[:space:]]*flags *$' >"$TMPD/edited.nft"
nft delete table inet flowguard && nft -f "$TMPD/edited.nft" || fail "drift: cannot make the set anew"
out=$($FG audit 2>&1)
case $out in
*"set allow_bulk_v4 changed: plan: type ipv4_addr, flags , comment '"*"', size 4096; kernel: "*)
	ok "drift: audit names the size" ;;
*) fail "drift: audit: $out" ;;
esac
step "$(hosts 1500 60)" "" 1500 4096
step "$(hosts 1500 60), 10.70.0.0/16" "interval" 1501
step "$(hosts 1500 60)" "" 1500 4096
step "10.1.1.1, 10.1.1.2" "" 2
rm -rf "$TMPD"
finish
