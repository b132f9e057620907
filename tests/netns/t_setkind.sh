#!/bin/sh
# A static set of single addresses is a hash set; one prefix makes it an interval set. Apply
# moves a live table between the two kinds in one transaction, and audit finds no drift.
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

# Applies an allow entry with the addresses $1 and checks the set's flags line is $2.
step() {
	printf 'allow:\n  - name: bulk\n    ports: [443]\n    to: [%s]\n' "$1" >"$TMPD/conf.d/a.yaml"
	$FG apply >/dev/null 2>"$TMPD/err" || { fail "[$1]: apply: $(cat "$TMPD/err")"; return; }
	flags=$(nft list set inet flowguard allow_bulk_v4 | sed -n 's/^[[:space:]]*flags //p')
	[ "$flags" = "$2" ] && ok "[$1]: flags '${flags}'" || fail "[$1]: flags '$flags', not '$2'"
	n=$(nft list set inet flowguard allow_bulk_v4 | tr ',{}' '\n\n\n' | grep -c '10\.')
	[ "$n" = "$3" ] && ok "[$1]: $n elements" || fail "[$1]: $n elements, not $3"
	$FG audit >/dev/null 2>&1 && ok "[$1]: audit clean" || fail "[$1]: audit finds drift"
}

step "10.1.1.1, 10.1.1.2" "" 2
step "10.1.1.1, 10.1.1.2, 10.2.0.0/16" "interval" 3
step "10.1.1.1, 10.1.1.3" "" 2
# A /32 written as a prefix is one address: still a hash set.
step "10.1.1.1/32, 10.1.1.4" "" 2
rm -rf "$TMPD"
finish
