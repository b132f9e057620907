# Shared helpers for the netns tests; sourced by each t_*.sh, which runs inside its own
# "unshare -n" (run.sh starts it that way): every nft command here only sees that namespace.
set -u
FGNL=${FGNL:?run through tests/netns/run.sh}
# Refuse to run in the machine's own network namespace: these tests flush rulesets.
# run.sh records the namespace it was started in; each test must be in another one.
HOST_NETNS=${HOST_NETNS:?run through tests/netns/run.sh}
if [ "$(readlink /proc/self/ns/net)" = "$HOST_NETNS" ]; then
	echo "refusing to run in the host's network namespace (use tests/netns/run.sh)" >&2
	exit 1
fi
FG_CATALOG=${FG_CATALOG:-policies/catalog/swp.yaml}
export FG_CATALOG
fails=0

fail() {
	echo "  FAIL: $*" >&2
	fails=$((fails + 1))
}

ok() {
	echo "  ok: $*"
}

# Text of the table, normalised: no table-level flags line (nft 1.0.6 prints "flags " for
# persist and cannot read it back), no "# progname" owner note, no expiry, no blank lines.
listing() {
	nft list table inet flowguard 2>&1 |
		sed -e '/^\tflags *\(owner\)* *$/d' -e 's/ # progname [^ ]*//' \
		    -e 's/ expires [0-9dhms]*//g' -e '/^[[:space:]]*$/d'
}

genid() {
	"$FGNL" genid
}

# Polls "$@" every 0.05 s until it succeeds, 400 times: at least 20 s, and longer when a
# busy machine makes each try slow.
wait_until() {
	_i=0
	while [ $_i -lt 400 ]; do
		"$@" && return 0
		sleep 0.05
		_i=$((_i + 1))
	done
	return 1
}

table_is() {
	if nft list table inet flowguard >/dev/null 2>&1; then
		[ "$1" = present ]
	else
		[ "$1" = absent ]
	fi
}

# Waits until "nft list table" succeeds or fails as asked.
wait_table() {
	wait_until table_is "$1"
}

# "$FGNL" status says $1 (a fixed string).
status_says() {
	"$FGNL" status | grep -qF "$1"
}

finish() {
	[ "$fails" -eq 0 ]
	exit $?
}
