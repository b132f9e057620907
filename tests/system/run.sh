#!/bin/bash
# The acceptance system test (issue 6): the built .deb in a booted Debian 12.
#
#   tests/system/run.sh [DEB_DIR | flowguard_*.deb]      (default build/deb; make check-system)
#
# 1. lintian on the build: no errors, no warnings (overrides in debian/*.lintian-overrides).
# 2. A minimal bookworm (systemd, nftables, unbound and the .deb's Depends) from debootstrap,
#    cached as a tarball in $FLOWGUARD_TEST_CACHE (default /var/cache/flowguard-test), keyed
#    by the package list, so later runs skip the download (tests/lib/rootfs.sh, shared with
#    tests/fleet/run.sh).
# 3. Boots it with systemd-nspawn --boot --private-network (its own network namespace: the
#    host's firewall is never touched) --register=no --keep-unit, and drives it with
#    nsenter into the container's init. unbound in the container serves svc.test.
# 4. dpkg -i (installed, not enabled, not started), systemd-analyze verify and security
#    (exposure <= 2.0), a fixture host (agent, de-1, explicit DNS/NTP, an allow entry by
#    name, a conf.d drop-in), enable --now, the table's flows, capabilities and sandbox,
#    nftables.service's flush, reload, restart / kill -9 / package upgrade with the table
#    present throughout, a reboot (after nftables.service, first table from the saved
#    answers), stop (table stays; then nftables.service flushes it), flowguard disable
#    (table goes), apt purge.
# 5. Least privilege (issue 9): the agent runs as the package's system user flowguard with
#    CAP_NET_ADMIN only (CapEff/CapPrm/CapBnd/CapAmb from /proc/PID/status); a fake vendor
#    agent (tests/detect/agent-de1, root-only 0700 directories) is detected by the unit's
#    privileged step only, and roles/region reach the table through its facts file; reload
#    re-detects; a facts file others could write is refused on SIGHUP (table kept); the
#    status file is root-only.
# Prints "system: N passed, N failed"; exits 1 on any failure.
set -u
. "$(dirname "$0")/../../scripts/root.sh"
as_root "$@"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
ARG=${1:-$SRC/build/deb}
# Largest allowed "Overall exposure level" of systemd-analyze security, times ten.
MAX_EXPOSURE=20

. "$SRC/tests/lib/check.sh"
finish() {
	if [ "$fail" -gt 0 ] && [ -n "${LEADER:-}" ]; then
		echo "--- journal of flowguard.service (last 40 lines):"
		c journalctl -u flowguard.service --no-pager -n 40 2>&1 | sed 's/^/    /'
	fi
	echo "system: $pass passed, $fail failed"
	[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
	exit $?
}

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, systemd-nspawn)"
for t in debootstrap systemd-nspawn nsenter lintian dpkg-deb; do
	command -v "$t" >/dev/null || die "missing $t (scripts/setup.sh installs it)"
done

if [ -d "$ARG" ]; then
	DEB=$(ls "$ARG"/flowguard_*.deb 2>/dev/null | head -1)
	CHANGES=$(ls "$ARG"/flowguard_*.changes 2>/dev/null | head -1)
else
	DEB=$ARG
	CHANGES=
fi
[ -n "$DEB" ] && [ -f "$DEB" ] || die "no flowguard_*.deb in $ARG (make deb)"
echo "system: testing $DEB"

# ---- 1. lintian ---------------------------------------------------------------------------
lint_out=$(lintian --pedantic --fail-on error,warning ${CHANGES:-$DEB} 2>&1)
lint_rc=$?
lint_out=$(grep -v '^N: running with root privileges' <<<"$lint_out")
if [ "$lint_rc" -eq 0 ] && ! grep -q '^[EW]:' <<<"$lint_out"; then
	ok "lintian: no errors, no warnings"
else
	bad "lintian (rc $lint_rc):"
	echo "$lint_out" | sed 's/^/    /'
fi

# ---- 2. the root file system (shared with the fleet test) -------------------------------------
. "$SRC/tests/lib/rootfs.sh"
rootfs_tarball "$DEB" || die "debootstrap"
TARBALL=$ROOTFS_TARBALL

WORK=$(mktemp -d /var/tmp/flowguard-system.XXXXXX)
ROOT=$WORK/root
mkdir -p "$ROOT"
tar -C "$ROOT" -xf "$TARBALL" || die "unpack $TARBALL"
cp "$DEB" "$ROOT/root/flowguard.deb"

# The fixture host: unbound on 127.0.0.1:53 serving test. (every other name: NXDOMAIN at
# once, the container has no network); the stock unbound.service is masked in favour of it.
mkdir -p "$ROOT/etc/fgtest"
cat >"$ROOT/etc/fgtest/unbound.conf" <<'EOF'
server:
    interface: 127.0.0.1
    port: 53
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "/etc/fgtest"
    pidfile: ""
    use-syslog: no
    logfile: ""
    access-control: 127.0.0.0/8 allow
    module-config: "iterator"
    local-zone: "." static
    local-zone: "test." static
    local-data: "svc.test. 60 IN A 192.0.2.10"
    local-data: "svc.test. 60 IN AAAA 2001:db8::10"
remote-control:
    control-enable: yes
    control-interface: /run/fgtest-unbound.ctl
    control-use-cert: no
EOF
cat >"$ROOT/etc/systemd/system/fgtest-dns.service" <<'EOF'
[Unit]
Description=flowguard system test: local DNS (unbound)
Before=flowguard.service
[Service]
ExecStart=/usr/sbin/unbound -d -c /etc/fgtest/unbound.conf
[Install]
WantedBy=multi-user.target
EOF
ln -sf /dev/null "$ROOT/etc/systemd/system/unbound.service"
mkdir -p "$ROOT/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/fgtest-dns.service \
	"$ROOT/etc/systemd/system/multi-user.target.wants/fgtest-dns.service"
rm -f "$ROOT/etc/resolv.conf"
echo "nameserver 127.0.0.1" >"$ROOT/etc/resolv.conf"

# A fake vendor agent (the detection fixture's tools and files), readable by root only as
# on a real host: only the unit's privileged detection step can see it.
FIX=$SRC/tests/detect/agent-de1/root
mkdir -p "$ROOT/opt/ds_agent" "$ROOT/var/opt/ds_agent/dsa_core"
cp "$FIX/opt/ds_agent/dsa_control" "$FIX/opt/ds_agent/dsa_query" "$FIX/opt/ds_agent/version.txt" \
	"$ROOT/opt/ds_agent/"
chown -R 0:0 "$ROOT/opt/ds_agent" "$ROOT/var/opt/ds_agent"
chmod 0700 "$ROOT/opt/ds_agent" "$ROOT/var/opt/ds_agent"

# ---- 3. boot ----------------------------------------------------------------------------------
NSPAWN=
LEADER=
POLLER=
cleanup() {
	[ -n "$POLLER" ] && touch "$ROOT/root/fgpoll.stop" && wait "$POLLER" 2>/dev/null
	if [ -n "$LEADER" ] && kill -0 "$LEADER" 2>/dev/null; then
		nsenter -t "$LEADER" -a systemctl poweroff >/dev/null 2>&1
		for _ in $(seq 100); do kill -0 "$NSPAWN" 2>/dev/null || break; sleep 0.2; done
		kill -0 "$NSPAWN" 2>/dev/null && kill "$NSPAWN" 2>/dev/null
		kill -0 "$LEADER" 2>/dev/null && kill -9 "$LEADER" 2>/dev/null
	fi
	[ -n "$NSPAWN" ] && wait "$NSPAWN" 2>/dev/null
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# c: run a command in the container (all its namespaces).
c() { nsenter -t "$LEADER" -a "$@"; }
# boot NAME: boots the container and waits until systemd is up.
boot() {
	local state=
	systemd-nspawn -q -D "$ROOT" --boot --private-network --register=no --keep-unit \
		</dev/null >>"$WORK/nspawn.log" 2>&1 &
	NSPAWN=$!
	LEADER=$(container_leader "$NSPAWN") || { cat "$WORK/nspawn.log"; die "$1: container did not boot"; }
	state=$(container_state "$LEADER")
	case $state in
	running | degraded) ok "$1 ($state)" ;;
	*) die "$1: container state '$state'" ;;
	esac
}
# poweroff: shuts the container down and waits for nspawn.
poweroff() {
	c systemctl poweroff >/dev/null 2>&1
	for _ in $(seq 150); do kill -0 "$NSPAWN" 2>/dev/null || break; sleep 0.2; done
	wait "$NSPAWN" 2>/dev/null
	LEADER=
	NSPAWN=
}
boot "container booted"

# ---- 4. the package and the unit ---------------------------------------------------------------
check "dpkg -i" eval 'c dpkg -i /root/flowguard.deb >"$WORK/install.log" 2>&1'
check "install says what to do next, in one line" \
	eval 'grep -c "^flowguard: installed, not enabled. Next: .*systemctl enable --now flowguard" "$WORK/install.log" | grep -qx 1'
check "README under /usr/share/doc/flowguard" \
	eval 'c zgrep -q "## Troubleshooting a blocked connection" /usr/share/doc/flowguard/README.md.gz'
check "installed, not enabled" test "$(c systemctl is-enabled flowguard.service)" = disabled
check "installed, not started" test "$(c systemctl is-active flowguard.service)" = inactive
has_table() { c nft list table inet flowguard >/dev/null 2>&1; }
# state_is STATE: systemctl is-active says STATE (a function, so wait_for re-runs it).
state_is() { [ "$(c systemctl is-active flowguard.service)" = "$1" ]; }
# No pgrep: a missing tool must not pass for "no process".
agent_running() {
	c sh -c 'for p in /proc/[0-9]*; do [ "$(cat "$p/comm" 2>/dev/null)" = flowguard ] && exit 0; done; exit 1'
}
check "no table after install" eval '! has_table'
check "package created the system user flowguard (no login)" \
	eval 'c getent passwd flowguard | grep -q ":/usr/sbin/nologin$"'
FG_UID=$(c id -u flowguard)
FG_GID=$(c id -g flowguard)

verify_out=$(c systemd-analyze verify /lib/systemd/system/flowguard.service 2>&1)
check "systemd-analyze verify: clean" test -z "$verify_out" -a $? -eq 0
[ -z "$verify_out" ] || echo "$verify_out" | sed 's/^/    /'
sec_out=$(c systemd-analyze security flowguard.service 2>&1)
exposure=$(sed -n 's/.*Overall exposure level for flowguard.service: \([0-9.]*\).*/\1/p' <<<"$sec_out")
echo "    systemd-analyze security: ${exposure:-?} (threshold $((MAX_EXPOSURE / 10)).$((MAX_EXPOSURE % 10)))"
if [ -n "$exposure" ] && [ "$(echo "$exposure" | tr -d .)" -le "$MAX_EXPOSURE" ]; then
	ok "systemd-analyze security: exposure $exposure"
else
	bad "systemd-analyze security: exposure '${exposure}'"
	grep '✗' <<<"$sec_out" | sed 's/^/    /'
fi

c sh -c 'cat > /etc/flowguard/flowguard.yaml' <<'EOF'
# flowguard system test: roles and region from detection (the fake vendor agent in de-1),
# explicit resolvers and time servers.
mode: enforce
roles: auto
region: auto
dns-servers: [127.0.0.1]
ntp-servers: [192.0.2.123]
resolver:
  servers: [127.0.0.1]
allow:
  - name: svc
    to: [svc.test]
    ports: [8443]
EOF
c sh -c 'cat > /etc/flowguard/conf.d/10-backup.yaml' <<'EOF'
allow:
  - name: backup
    to: [198.51.100.7]
    ports: [873]
EOF
# As root, "flowguard check" detects the fake vendor agent itself.
check "flowguard check" eval 'c flowguard check | grep -q "roles agent, region de-1"'
check "user flowguard cannot see the vendor agent (detects no region)" \
	eval 'c runuser -u flowguard -- flowguard detect --json 2>/dev/null | grep -q "\"region\": null"'
check "systemctl enable --now" eval 'c systemctl enable --now flowguard.service 2>/dev/null'
check "active" test "$(c systemctl is-active flowguard.service)" = active
check "enabled" test "$(c systemctl is-enabled flowguard.service)" = enabled

table() { c nft list table inet flowguard 2>/dev/null; }
table_has() { table | grep -qF -- "$1"; }
check "table: egress chain, policy drop" table_has 'type filter hook output priority filter; policy drop;'
check "table: agent -> SWP (de-1) flow" table_has 'comment "agent-swp (row 10)'
check "table: de-1 published subnets" table_has '3.69.198.64/27'
check "table: DNS and NTP servers" eval 'table_has "elements = { 127.0.0.1 }" && table_has "elements = { 192.0.2.123 }"'
check "table: allow svc (tcp 8443)" table_has 'ip daddr @allow_svc_names_v4 tcp dport 8443 counter'
check "table: svc.test resolved by the local DNS" wait_for 10 table_has '192.0.2.10'
check "table: svc.test AAAA" wait_for 5 table_has '2001:db8::10'
check "table: conf.d drop-in (backup 198.51.100.7:873)" table_has '198.51.100.7'
check "table: owned by the agent" table_has 'flags owner'
check "flowguard status" eval 'c flowguard status >/dev/null'

# Least privilege, as the kernel sees it.
mainpid() { c systemctl show -p MainPID --value flowguard.service; }
PID=$(mainpid)
capeff=$(c awk '/^CapEff/{print $2}' "/proc/$PID/status")
capbnd=$(c awk '/^CapBnd/{print $2}' "/proc/$PID/status")
capprm=$(c awk '/^CapPrm/{print $2}' "/proc/$PID/status")
capamb=$(c awk '/^CapAmb/{print $2}' "/proc/$PID/status")
check "capabilities: CAP_NET_ADMIN only (CapEff $capeff, CapBnd $capbnd)" \
	test "$capeff" = 0000000000001000 -a "$capbnd" = 0000000000001000
check "capabilities: CapPrm $capprm, CapAmb $capamb: CAP_NET_ADMIN only" \
	test "$capprm" = 0000000000001000 -a "$capamb" = 0000000000001000
check "runs as user flowguard (uid $FG_UID, gid $FG_GID)" \
	eval "c awk '/^Uid:/{print \$2, \$3, \$4, \$5} /^Gid:/{print \$2, \$3, \$4, \$5}' /proc/$PID/status |
	tr '\n' ' ' | grep -qx '$FG_UID $FG_UID $FG_UID $FG_UID $FG_GID $FG_GID $FG_GID $FG_GID '"
check "/run/flowguard: 0700, the agent's" test "$(c stat -c '%a %U' /run/flowguard)" = "700 flowguard"
check "status file: root-only (0600, in a 0700 directory)" \
	test "$(c stat -c '%a %U' /run/flowguard/status.json)" = "600 flowguard"
check "status file: another user cannot read it" \
	eval '! c runuser -u nobody -- cat /run/flowguard/status.json >/dev/null 2>&1'
check "flowguard status as root: roles and region from the facts file" \
	eval 'c flowguard status | grep -q "roles agent, region de-1"'
check "facts file: root's, 0644" test "$(c stat -c '%a %U' /run/flowguard/detected.json)" = "644 root"
check "facts file: the vendor agent's region" c grep -q '"region": "de-1"' /run/flowguard/detected.json
check "/var/lib/flowguard: 0700, the agent's" \
	test "$(c stat -c '%a %U' /var/lib/flowguard)" = "700 flowguard"
check "NoNewPrivileges" test "$(c awk '/^NoNewPrivs/{print $2}' "/proc/$PID/status")" = 1
check "seccomp filter" test "$(c awk '/^Seccomp:/{print $2}' "/proc/$PID/status")" = 2
check "sandbox: /etc/flowguard read-only" eval "! c nsenter -t $PID -m sh -c 'touch /etc/flowguard/x' 2>/dev/null"
check "sandbox: /usr read-only" eval "! c nsenter -t $PID -m sh -c 'touch /usr/x' 2>/dev/null"
check "sandbox: state directory writable" c nsenter -t "$PID" -m sh -c 'touch /var/lib/flowguard/.w && rm /var/lib/flowguard/.w'

# nftables.service: its "flush ruleset" leaves an owned table alone (the kernel skips it),
# and the agent did not have to restore anything.
check "nft flush ruleset: table survives" eval 'c nft flush ruleset; has_table'
check "systemctl restart nftables: table survives" \
	eval 'c systemctl enable --now nftables.service 2>/dev/null && c systemctl restart nftables.service && has_table'
check "nftables.service's own table is there too" eval 'c nft list tables | grep -q "table inet filter"'
check "no restore was needed (owner flag held)" \
	eval "! c journalctl -u flowguard.service --no-pager | grep -q 'restoring it'"

# Reload: a new drop-in shows up, same process.
c sh -c 'cat > /etc/flowguard/conf.d/20-more.yaml' <<'EOF'
allow:
  - name: more
    to: [203.0.113.9]
    ports: [2222]
EOF
check "systemctl reload" c systemctl reload flowguard.service
check "reload: new allow entry applied" wait_for 5 table_has '203.0.113.9'
check "reload: same process, still active" \
	test "$(mainpid)" = "$PID" -a "$(c systemctl is-active flowguard.service)" = active

# A reload with an invalid configuration fails (validated with the agent's facts first), the
# table stays, and STATUS= says so until a good reload lands; the journal names the files
# and what each good reload changed.
table >"$WORK/table.before"
c sh -c 'echo "mode: bogus" > /etc/flowguard/conf.d/98-bad.yaml'
check "invalid config: systemctl reload fails" eval '! c systemctl reload flowguard.service 2>/dev/null'
check "invalid config: the error located in the journal" eval "c journalctl -u flowguard.service \
	--no-pager | grep -q '/etc/flowguard/conf.d/98-bad.yaml:1:7: error: unknown mode'"
check "invalid config: STATUS= says the reload was refused" \
	eval 'c systemctl show -p StatusText --value flowguard.service | grep -q "last reload REFUSED"'
check "invalid config: same process, still active, table unchanged" \
	eval 'test "$(mainpid)" = "$PID" && state_is active && table >"$WORK/table.after" &&
	diff <(grep -v "expires\|counter packets" "$WORK/table.before") <(grep -v "expires\|counter packets" "$WORK/table.after") >/dev/null'
c rm -f /etc/flowguard/conf.d/98-bad.yaml
check "fixed config: systemctl reload succeeds" c systemctl reload flowguard.service
check "fixed config: STATUS= no longer says refused" \
	eval '! c systemctl show -p StatusText --value flowguard.service | grep -q REFUSED'
check "journal: the files each reload read" eval "c journalctl -u flowguard.service --no-pager |
	grep -q 'Reload read catalog /usr/share/flowguard/catalog/swp.yaml; configuration /etc/flowguard/flowguard.yaml, /etc/flowguard/conf.d/10-backup.yaml, /etc/flowguard/conf.d/20-more.yaml; facts /run/flowguard/detected.json'"
check "journal: what a reload added" eval "c journalctl -u flowguard.service --no-pager |
	grep -q 'reload: rule added in chain egress: allow entry more (local configuration): ip daddr @allow_more_v4 tcp dport 2222 counter accept'"

# Reload detects again as root: the vendor agent now reports a jp-1 manager.
c sed -i 's/\.de-1\./.jp-1./' /opt/ds_agent/dsa_query
check "reload re-detects: systemctl reload" c systemctl reload flowguard.service
check "reload re-detects: facts file says jp-1" c grep -q '"region": "jp-1"' /run/flowguard/detected.json
check "reload re-detects: jp-1 subnets in the table, de-1's gone" \
	wait_for 5 eval "table_has 35.75.131.96/27 && ! table_has 3.69.198.64/27"
check "reload re-detects: same process" test "$(mainpid)" = "$PID"
c sed -i 's/\.jp-1\./.de-1./' /opt/ds_agent/dsa_query
check "reload re-detects: back to de-1" \
	eval 'c systemctl reload flowguard.service && wait_for 5 table_has 3.69.198.64/27'

# A facts file that others could write is refused on SIGHUP: logged, and the running
# table stays as it was; the next "systemctl reload" writes a good one again.
# (Its content says jp-1: were it read, the table would change.)
table >"$WORK/table.before"
c sed -i 's/"region": "de-1"/"region": "jp-1"/' /run/flowguard/detected.json
c chmod 0666 /run/flowguard/detected.json
c kill -HUP "$PID"
check "insecure facts file: refused, logged" wait_for 5 eval "c journalctl -u flowguard.service \
	--no-pager | grep -qF '/run/flowguard/detected.json: error: refusing a file writable by others (mode 0666); chmod go-w'"
# The refusal reaches the status file once the agent is done with the SIGHUP; anything it
# would do to the table comes before.
check "insecure facts file: status shows the refusal" wait_for 5 eval 'c flowguard status | grep -q REFUSED'
table >"$WORK/table.after"
check "insecure facts file: table unchanged, agent still active" \
	eval 'grep -v "expires\|counter packets" "$WORK/table.before" >"$WORK/tb" &&
	grep -v "expires\|counter packets" "$WORK/table.after" >"$WORK/ta" && cmp -s "$WORK/tb" "$WORK/ta" &&
	state_is active && test "$(mainpid)" = "$PID"'
check "insecure facts file: systemctl reload writes a good one" \
	eval 'c systemctl reload flowguard.service && test "$(c stat -c %a /run/flowguard/detected.json)" = 644 &&
	c grep -q "\"region\": \"de-1\"" /run/flowguard/detected.json && table_has 3.69.198.64/27'

# The table is present throughout: a poller in the container lists it in a loop while the
# agent is restarted; it must never miss it.
poll_start() {
	# /root, not /tmp: the container's /tmp is a tmpfs the host does not see.
	rm -f "$ROOT/root/fgpoll.stop" "$ROOT/root/fgpoll.log"
	c sh -c 'while [ ! -e /root/fgpoll.stop ]; do
		if nft list table inet flowguard >/dev/null 2>&1; then echo ok; else echo MISSING; fi
	done >/root/fgpoll.log' &
	POLLER=$!
	wait_for 5 test -s "$ROOT/root/fgpoll.log"
}
poll_stop() { # poll_stop NAME: the table never went missing
	touch "$ROOT/root/fgpoll.stop"
	wait "$POLLER"
	POLLER=
	local n m
	n=$(grep -c . "$ROOT/root/fgpoll.log" 2>/dev/null)
	m=$(grep -c MISSING "$ROOT/root/fgpoll.log" 2>/dev/null)
	if [ "${n:-0}" -gt 5 ] && [ "${m:-1}" -eq 0 ]; then ok "$1: table present in all $n polls"
	else bad "$1: table missing in $m of $n polls"; fi
}
active_new_pid() { # the agent is active again under a new pid
	local p
	p=$(mainpid)
	[ "$(c systemctl is-active flowguard.service)" = active ] && [ "$p" != 0 ] && [ "$p" != "$PID" ]
}

poll_start
check "systemctl restart" c systemctl restart flowguard.service
check "restart: active under a new pid" active_new_pid
check "journal: the restarted agent adopted the table" eval "c journalctl -u flowguard.service \
	--no-pager | grep -q 'start: adopting table inet flowguard, left in place by an earlier agent'"
# The poller looks a few more times with the new agent in charge.
polls=$(grep -c . "$ROOT/root/fgpoll.log")
wait_for 5 eval '[ "$(grep -c . "$ROOT/root/fgpoll.log")" -ge $((polls + 5)) ]'
poll_stop "restart"
PID=$(mainpid)

poll_start
c sh -c "kill -9 $PID"
check "kill -9: Restart=on-failure brings it back" wait_for 20 active_new_pid
poll_stop "kill -9"
PID=$(mainpid)

poll_start
echo "    pid before the upgrade: $PID"
check "upgrade (dpkg -i over itself)" eval 'c dpkg -i /root/flowguard.deb >"$WORK/upgrade.log" 2>&1'
check "upgrade: agent restarted onto the new binary" wait_for 10 active_new_pid
check "upgrade: the admin's enable is kept" \
	test "$(c systemctl is-enabled flowguard.service)" = enabled
poll_stop "upgrade"
check "upgrade: conffile kept" c grep -q 'name: svc' /etc/flowguard/flowguard.yaml

# A reboot: nftables.service (enabled above) runs first and flushes the ruleset, then the
# agent programs the table with the last good answers, before DNS answers again.
PID=$(mainpid)
poweroff
boot "reboot"
check "boot: agent active" wait_for 10 state_is active
mono() { c systemctl show -p "$2" --value "$1"; }
check "unit: After=nftables.service, Before=network-pre.target" eval "c systemctl show -p After flowguard.service |
	grep -qw nftables.service && c systemctl show -p Before flowguard.service | grep -qw network-pre.target"
check "boot: started after nftables.service" \
	test "$(mono flowguard.service ExecMainStartTimestampMonotonic)" -gt \
	"$(mono nftables.service ActiveEnterTimestampMonotonic)"
check "boot: active before network-pre.target" \
	test "$(mono flowguard.service ActiveEnterTimestampMonotonic)" -le \
	"$(mono network-pre.target ActiveEnterTimestampMonotonic)"
check "boot: first table had the saved answers" eval "c journalctl -b -u flowguard.service --no-pager |
	grep 'table inet flowguard programmed' | head -1 | grep -Eq '\([0-9]+ sets, [1-9][0-9]* addresses from DNS'"
check "boot: table has svc.test and the drop-ins" eval "table_has 192.0.2.10 && table_has 203.0.113.9"

# An invalid configuration: the restart fails (the agent exits 2), systemd does not retry
# it (RestartPreventExitStatus=2, as the README says), the table stays as it was (fail
# closed), and flowguard status says it is kept but no longer maintained.
c sh -c 'echo "mode: bogus" > /etc/flowguard/conf.d/99-bad.yaml'
check "bad config: restart fails" eval '! c systemctl restart flowguard.service 2>/dev/null'
check "bad config: table stays" has_table
check "bad config: unit failed" wait_for 20 state_is failed
sleep 3 # RestartSec=2s: a retry would have started by now
check "bad config: not retried (NRestarts 0, the agent exited 2)" \
	eval 'test "$(c systemctl show -p NRestarts --value flowguard.service)" = 0 &&
	test "$(c systemctl show -p ExecMainStatus --value flowguard.service)" = 2 && state_is failed'
check "bad config: no agent runs, table still there" eval '! agent_running && has_table'
check "bad config: status says the table is kept but no longer maintained" \
	eval 'c flowguard status 2>/dev/null | grep -q "^table inet flowguard: KEPT (fail closed) but NO LONGER MAINTAINED"'
c rm -f /etc/flowguard/conf.d/99-bad.yaml
c systemctl reset-failed flowguard.service
check "fixed config: starts again" eval 'c systemctl start flowguard.service && has_table'

# Stop leaves the table (fail closed); flowguard disable removes it.
check "systemctl stop" c systemctl stop flowguard.service
check "stop: inactive" test "$(c systemctl is-active flowguard.service)" = inactive
check "stop: table stays (fail closed)" has_table
check "stop: last good answers saved" c test -s /var/lib/flowguard/names
check "stop: the table has no owner now, nftables.service's flush removes it" \
	eval 'c systemctl restart nftables.service && ! has_table'
check "start: table back" eval 'c systemctl start flowguard.service && has_table'
check "stop again" c systemctl stop flowguard.service
check "flowguard disable removes the table" eval 'c flowguard disable >"$WORK/disable.out" 2>&1 && ! has_table'
check "disable says the enabled unit will put the table back" \
	grep -q "flowguard.service is still enabled: it starts the agent again" "$WORK/disable.out"
check "journal: disable, and who ran it" eval "c journalctl -u flowguard.service --no-pager |
	grep -q 'flowguard disable: removed table inet flowguard (by uid 0'"
check "start again: table back" eval 'c systemctl start flowguard.service && has_table'
check "journal: after disable, the start programs a new table" eval "c journalctl -u flowguard.service -b \
	--no-pager | grep -q 'start: no table inet flowguard yet: programming it'"

# Purge: agent stopped, table removed, configuration and state gone.
check "apt purge" eval 'c env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q flowguard >"$WORK/purge.log" 2>&1'
check "purge: agent gone" eval '! agent_running'
check "purge: table removed" eval '! has_table'
check "purge: /etc/flowguard and /var/lib/flowguard gone" \
	eval '! c test -e /etc/flowguard && ! c test -e /var/lib/flowguard'
check "purge: unit gone" eval '! c test -e /lib/systemd/system/flowguard.service'
check "purge: the system user stays (Debian practice; debian/flowguard.postrm)" \
	eval 'c getent passwd flowguard >/dev/null'
check "journal: package removal and purge" eval "c journalctl -t flowguard --no-pager |
	grep -q 'package removal: stopping the agent and removing table inet flowguard' &&
	c journalctl -t flowguard --no-pager | grep -q 'package purge: removed /etc/flowguard'"

finish
