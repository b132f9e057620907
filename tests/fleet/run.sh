#!/bin/bash
# The fleet test (issue 16): deploy/ against three booted Debian 12 containers.
#
#   tests/fleet/run.sh [DEB_DIR | flowguard_*.deb]      (default build/deb; make check-fleet)
#
# 1. ansible-lint (offline) on deploy/ansible; promtool check/test rules on
#    deploy/prometheus (promtool taken from Debian's prometheus .deb, cached).
# 2. The signed apt repository: a throwaway key (made here, never kept), build-repo.sh,
#    InRelease verified with the published key.
# 3. Three containers, each an overlay on one unpacked copy of the shared cached rootfs
#    (tests/lib/rootfs.sh), apt sources
#    removed (they see only the repository, bound read-only at /srv/repo). Each has a network
#    namespace made here, joined to a controller namespace by a bridge (10.77.0.0/24): the
#    machine's own network namespace and firewall are never touched. Ansible reaches them
#    with community.docker.nsenter, pipelined (tests/fleet/plugins/connection); the
#    lockout case uses ssh from the controller namespace, through the container's own
#    firewall.
# 4. site.yml converges all three (audit first: every new host ends in audit); a second
#    run changes nothing; the table deleted by hand on fg2 makes `site.yml --check` report
#    fg2 and no other host, and site.yml repairs it; fg3 sends traffic that enforce would
#    block; one configuration change rolls through rollout.yml in waves fg1, fg2, fg3, each
#    seen converging in the hosts' metrics textfiles (new hash, table in sync) before the
#    next wave starts; fg1 and fg2 switch to enforce, fg3 stays in audit.
# 5. Lockout guard: fg3 forced to enforce with ingress enforce and no ssh allow entry, over
#    ssh: the controller cannot get in again, the play fails, and fg3 puts its previous
#    configuration back by itself; ssh works again.
# Prints "fleet: N passed, N failed"; exits 1 on any failure. The containers, namespaces and
# work directory are removed on every exit (KEEP_WORK=1 keeps the directory).
set -u
. "$(dirname "$0")/../../scripts/root.sh"
as_root "$@"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
ARG=${1:-$SRC/build/deb}
CACHE=${FLOWGUARD_TEST_CACHE:-/var/cache/flowguard-test}
ANS=$SRC/deploy/ansible
HOSTS="1 2 3"
T0=$(date +%s)

. "$SRC/tests/lib/check.sh"
finish() {
	echo "fleet: $(($(date +%s) - T0)) s in all"
	echo "fleet: $pass passed, $fail failed"
	[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
	exit $?
}

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, systemd-nspawn, ip netns)"
for t in ansible-playbook ansible-lint reprepro gpg gpgv debootstrap systemd-nspawn nsenter ip \
	ssh ssh-keygen dpkg-deb apt-get /usr/bin/python3; do
	command -v "$t" >/dev/null || die "missing $t (scripts/setup.sh installs it)"
done
if [ -d "$ARG" ]; then DEB=$(ls "$ARG"/flowguard_*.deb 2>/dev/null | head -1); else DEB=$ARG; fi
[ -n "$DEB" ] && [ -f "$DEB" ] || die "no flowguard_*.deb in $ARG (make deb)"

WORK=$(mktemp -d /var/tmp/flowguard-fleet.XXXXXX)
NSP=fgf$$
CTL=$NSP-c
declare -A NSPAWN LEADER
WATCHER=
MOUNTED=
cleanup() {
	local i
	[ -n "$WATCHER" ] && kill "$WATCHER" 2>/dev/null && wait "$WATCHER" 2>/dev/null
	for i in $HOSTS; do
		[ -n "${LEADER[$i]:-}" ] && nsenter -t "${LEADER[$i]}" -a systemctl poweroff >/dev/null 2>&1
	done
	for i in $HOSTS; do
		[ -n "${NSPAWN[$i]:-}" ] || continue
		for _ in $(seq 100); do kill -0 "${NSPAWN[$i]}" 2>/dev/null || break; sleep 0.2; done
		kill -0 "${NSPAWN[$i]}" 2>/dev/null && kill "${NSPAWN[$i]}" 2>/dev/null
		[ -n "${LEADER[$i]:-}" ] && kill -0 "${LEADER[$i]}" 2>/dev/null && kill -9 "${LEADER[$i]}"
		wait "${NSPAWN[$i]}" 2>/dev/null
	done
	for i in $HOSTS; do ip netns del "$NSP-$i" 2>/dev/null; done
	ip netns del "$CTL" 2>/dev/null
	for i in $MOUNTED; do umount "$i"; done
	[ -n "${KEEP_WORK:-}" ] && echo "fleet: work directory kept: $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# c N CMD...: runs CMD in container N (all its namespaces).
c() {
	local i=$1
	shift
	nsenter -t "${LEADER[$i]}" -a "$@"
}

# ---- 1. lint and alert rules --------------------------------------------------------------------
if (cd "$ANS" && ansible-lint --offline -q site.yml rollout.yml roles/flowguard >"$WORK/lint.log" 2>&1); then
	ok "ansible-lint --offline: clean"
else
	bad "ansible-lint:"
	sed 's/^/    /' "$WORK/lint.log" | head -40
fi

PROMTOOL=$CACHE/promtool/x/usr/bin/promtool
if [ ! -x "$PROMTOOL" ]; then
	mkdir -p "$CACHE/promtool"
	(cd "$CACHE/promtool" && rm -rf x ./*.deb && apt-get download -q prometheus >"$WORK/promtool.log" 2>&1 &&
		dpkg-deb -x prometheus_*.deb x && rm -f prometheus_*.deb) || cat "$WORK/promtool.log"
fi
if [ -x "$PROMTOOL" ]; then
	check "promtool check rules" eval '"$PROMTOOL" check rules "$SRC/deploy/prometheus/flowguard.rules.yml" >"$WORK/prom.log" 2>&1'
	check "promtool test rules" eval '"$PROMTOOL" test rules "$SRC/deploy/prometheus/flowguard.rules.test.yml" >>"$WORK/prom.log" 2>&1'
	[ "$fail" -eq 0 ] || sed 's/^/    /' "$WORK/prom.log" | grep -v '^ *$' | head -40
else
	bad "promtool: could not extract it from Debian's prometheus package"
fi

# ---- 2. the signed repository --------------------------------------------------------------------
export GNUPGHOME=$WORK/gnupg
mkdir -m 0700 "$GNUPGHOME"
gpg --batch --passphrase '' --quick-gen-key 'flowguard test repository <test@flowguard.invalid>' \
	ed25519 sign never >"$WORK/gpg.log" 2>&1 || die "gpg key: $(cat "$WORK/gpg.log")"
FPR=$(gpg --batch --with-colons --list-secret-keys | awk -F: '/^fpr/{print $10; exit}')
REPO=$WORK/repo
check "build-repo.sh (reprepro, signed)" eval '"$SRC/deploy/apt/build-repo.sh" "$REPO" "$FPR" "$DEB" >"$WORK/repo.log" 2>&1' ||
	cat "$WORK/repo.log"
gpg --dearmor <"$REPO/public/flowguard-archive.asc" >"$WORK/archive.gpg"
check "InRelease verifies with the published key" gpgv --keyring "$WORK/archive.gpg" \
	"$REPO/public/dists/bookworm/InRelease" 2>/dev/null
check "the package is in the pool" test -n "$(find "$REPO/public/pool" -name 'flowguard_*.deb')"
# Only the public half goes to the hosts: the secret key stays in $GNUPGHOME (removed).
check "no secret key material in the published tree" \
	eval '! grep -rlq "PRIVATE KEY" "$REPO/public"'

# ---- 3. containers ------------------------------------------------------------------------------
echo "fleet: lint, rules and repository after $(($(date +%s) - T0)) s"
. "$SRC/tests/lib/rootfs.sh"
rootfs_tarball "$DEB" || die "rootfs (debootstrap)"
# One unpacked copy, the lower layer of each container's overlay: nothing is copied per host.
BASE=$WORK/base
mkdir "$BASE" && tar -C "$BASE" -xf "$ROOTFS_TARBALL" || die "unpack $ROOTFS_TARBALL"
# Hermetic: no Debian sources (only the flowguard repository, which the role adds); no
# timers or services that would compete for the two cores.
rm -f "$BASE/etc/apt/sources.list" "$BASE"/etc/apt/sources.list.d/*
for u in apt-daily.timer apt-daily-upgrade.timer man-db.timer fstrim.timer e2scrub_all.timer \
	dpkg-db-backup.timer unbound.service console-getty.service dev-hugepages.mount \
	sys-fs-fuse-connections.mount; do
	ln -sf /dev/null "$BASE/etc/systemd/system/$u"
done
rm -f "$BASE/etc/resolv.conf"
echo "nameserver 127.0.0.1" >"$BASE/etc/resolv.conf"
: >"$BASE/etc/machine-id"
ssh-keygen -q -t ed25519 -N '' -C flowguard-fleet-test -f "$WORK/id" || die "ssh-keygen"
install -d -m 0700 "$BASE/root/.ssh"
install -m 0600 "$WORK/id.pub" "$BASE/root/.ssh/authorized_keys"
for i in $HOSTS; do
	mkdir "$WORK/up$i" "$WORK/ow$i" "$WORK/fg$i"
	mount -t overlay "fleet-fg$i" -o "lowerdir=$BASE,upperdir=$WORK/up$i,workdir=$WORK/ow$i" \
		"$WORK/fg$i" || die "overlay for fg$i"
	MOUNTED="$MOUNTED $WORK/fg$i"
	echo "fg$i" >"$WORK/fg$i/etc/hostname"
done

# The controller namespace with a bridge; one namespace per container, joined by a veth.
ip netns add "$CTL" || die "ip netns add"
ip -n "$CTL" link set lo up
ip -n "$CTL" link add br0 type bridge
ip -n "$CTL" addr add 10.77.0.1/24 dev br0
ip -n "$CTL" link set br0 up
for i in $HOSTS; do
	ip netns add "$NSP-$i" || die "ip netns add"
	ip -n "$CTL" link add "v$i" type veth peer name host0 netns "$NSP-$i"
	ip -n "$CTL" link set "v$i" master br0 up
	ip -n "$NSP-$i" link set lo up
	ip -n "$NSP-$i" addr add "10.77.0.1$i/24" dev host0
	ip -n "$NSP-$i" link set host0 up
	ip -n "$NSP-$i" route add default via 10.77.0.1
done

for i in $HOSTS; do
	# CAP_NET_ADMIN: nspawn keeps it only with --private-network, which a namespace given by
	# path is not taken for.
	systemd-nspawn -q -D "$WORK/fg$i" -M "fg$i" --boot --register=no --keep-unit \
		--network-namespace-path="/run/netns/$NSP-$i" --capability=CAP_NET_ADMIN \
		--bind-ro="$REPO/public:/srv/repo" \
		</dev/null >>"$WORK/nspawn$i.log" 2>&1 &
	NSPAWN[$i]=$!
done
for i in $HOSTS; do
	LEADER[$i]=$(container_leader "${NSPAWN[$i]}") || { cat "$WORK/nspawn$i.log"; die "fg$i did not boot"; }
done
for i in $HOSTS; do
	state=$(container_state "${LEADER[$i]}")
	case $state in
	running | degraded) ok "fg$i booted ($state)" ;;
	*) die "fg$i: state '$state'" ;;
	esac
done
echo "fleet: containers up after $(($(date +%s) - T0)) s"

# ---- 4. the inventory and the runs --------------------------------------------------------------
INV=$WORK/inv
mkdir -p "$INV/group_vars" "$INV/host_vars"
{
	echo "[flowguard]"
	for i in $HOSTS; do
		echo "fg$i ansible_connection=nsenter_piped ansible_nsenter_pid=${LEADER[$i]}"
	done
} >"$INV/hosts.ini"
# all_vars EXTRA_ALLOW: group_vars/all.yml, the fleet-wide layer.
all_vars() {
	cat >"$INV/group_vars/all.yml" <<-EOF
	---
	flowguard_repo_uri: file:///srv/repo
	flowguard_repo_key: $REPO/public/flowguard-archive.asc
	flowguard:
	  roles: [agent]
	  region: de-1
	  ingress: enforce
	  dns-servers: [127.0.0.1]
	  ntp-servers: [192.0.2.123]
	  resolver:
	    servers: [127.0.0.1]
	  metrics:
	    textfile: /var/lib/prometheus/node-exporter/flowguard.prom
	    interval: 1s
	  allow:
	    - name: updates
	      to: [203.0.113.80]
	      ports: [443]
	$1
	EOF
}
all_vars ""
cat >"$INV/group_vars/flowguard.yml" <<'EOF'
---
flowguard_group:
  allow:
    - name: ssh-controller
      from: [10.77.0.1]
      ports: [22]
EOF
cat >"$INV/host_vars/fg2.yml" <<'EOF'
---
flowguard_host:
  allow:
    - name: backup
      to: [198.51.100.7]
      ports: [873]
EOF

# play NAME ARGS...: ansible-playbook with the JSON callback into $WORK/NAME.json; $PLAY_RC.
play() {
	local name=$1 t
	shift
	t=$(date +%s)
	ANSIBLE_CONFIG=$ANS/ansible.cfg ANSIBLE_STDOUT_CALLBACK=ansible.posix.json \
		ANSIBLE_HOST_KEY_CHECKING=false ANSIBLE_CONNECTION_PLUGINS=$SRC/tests/fleet/plugins/connection \
		ansible-playbook -i "$INV/hosts.ini" "$@" \
		>"$WORK/$name.json" 2>"$WORK/$name.err"
	PLAY_RC=$?
	echo "    $name: rc $PLAY_RC, $(($(date +%s) - t)) s"
	/usr/bin/python3 "$SRC/tests/fleet/plays.py" "$WORK/$name.json" stats 2>/dev/null |
		sed 's/^/      /'
	# FLEET_PROFILE=N: the N slowest tasks of each run.
	[ -z "${FLEET_PROFILE:-}" ] ||
		/usr/bin/python3 "$SRC/tests/fleet/plays.py" "$WORK/$name.json" profile "$FLEET_PROFILE" |
		sed 's/^/      /'
}
played_ok() { # played_ok NAME: rc 0, else the failures are shown
	[ "$PLAY_RC" -eq 0 ] && return 0
	/usr/bin/python3 "$SRC/tests/fleet/plays.py" "$WORK/$1.json" failed 2>/dev/null | sed 's/^/    /'
	tail -5 "$WORK/$1.err" | sed 's/^/    /'
	return 1
}
changed_hosts() { /usr/bin/python3 "$SRC/tests/fleet/plays.py" "$WORK/$1.json" changed; }
task_of() { /usr/bin/python3 "$SRC/tests/fleet/plays.py" "$WORK/$1.json" task "$2" "$3" "$4"; }

PROM=var/lib/prometheus/node-exporter/flowguard.prom
prom() { cat "$WORK/fg$1/$PROM" 2>/dev/null; }
# What the host's files hash to, as `flowguard check` prints it.
check_sha() { c "$1" flowguard check 2>/dev/null | sed -n 's/^config sha256 \([0-9a-f]*\) .*/\1/p'; }
# metric N REGEX: the host's metrics textfile has a line matching REGEX.
metric() { prom "$1" | grep -Eq "$2"; }
# converged N MODE: the agent runs the host's files, in MODE, with the table in sync.
converged() {
	local h
	h=$(check_sha "$1")
	[ -n "$h" ] && metric "$1" "^flowguard_config_info\{hash=\"$h\"\} 1$" &&
		metric "$1" '^flowguard_table_in_sync 1$' && metric "$1" "^flowguard_info\{mode=\"$2\""
}
table() { c "$1" nft list table inet flowguard 2>/dev/null; }

play converge "$ANS/site.yml"
played_ok converge || die "site.yml converges all three (cold)"
ok "site.yml converges all three (cold)"
for i in $HOSTS; do
	check "fg$i: new host in audit, metrics show its files' hash and the table in sync" \
		wait_for 10 converged "$i" audit
done
check "installed from the signed repository (deb822, Signed-By)" eval \
	'c 1 apt-cache policy flowguard | grep -q "file:/srv/repo bookworm/main" &&
	c 1 grep -q "^Signed-By: /etc/apt/keyrings/flowguard.asc" /etc/apt/sources.list.d/flowguard.sources'
check "layers: fg2 has its host entry (backup), fg1 not; all have the group's ssh entry" eval \
	'table 2 | grep -q 198.51.100.7 && ! table 1 | grep -q 198.51.100.7 && table 1 | grep -q "allow ssh-controller"'
check "audit first: ingress held in audit while the layers say enforce" \
	eval 'c 1 grep -qx "ingress: audit" /etc/flowguard/conf.d/50-ansible-rollout.yaml &&
	table 1 | grep -q "chain ingress"'

play again "$ANS/site.yml"
check "second run: zero changes" eval 'played_ok again && [ -z "$(changed_hosts again)" ]'

# Drift: fg2's table deleted by hand (its agent stopped first: a running agent owns it), and
# its repository key's mode changed (a file the role finds as it wants it is left alone:
# this one is not).
c 2 systemctl stop flowguard.service
c 2 nft delete table inet flowguard
c 2 chmod 0600 /etc/apt/keyrings/flowguard.asc
check "fg2: table deleted by hand" eval '! table 2 >/dev/null'
play drift "$ANS/site.yml" --check --diff
check "site.yml --check reports fg2 and only fg2 (changed: '$(changed_hosts drift)')" \
	eval 'played_ok drift && [ "$(changed_hosts drift)" = fg2 ]'
check "check mode: flowguard audit found the drift on fg2 (rc 1), none on fg1" \
	eval '[ "$(task_of drift "Audit the live table" fg2 rc)" = 1 ] &&
	[ "$(task_of drift "Audit the live table" fg1 rc)" = 0 ]'
check "check mode touched nothing (fg2 still without table)" eval '! table 2 >/dev/null'
play repair "$ANS/site.yml"
check "site.yml repairs fg2 only" eval 'played_ok repair && [ "$(changed_hosts repair)" = fg2 ]'
check "fg2: table back, audit clean, metrics in sync, the key's mode 644 again" \
	eval 'c 2 flowguard audit >/dev/null && wait_for 10 converged 2 audit &&
	[ "$(c 2 stat -c %a /etc/apt/keyrings/flowguard.asc)" = 644 ]'

# A configuration flowguard refuses: the host fails with flowguard's located error, and
# nothing on it changes.
before=$(check_sha 1)
play bad "$ANS/site.yml" --limit fg1 -e '{"flowguard_host": {"ingress": "sideways"}}'
check "an invalid layer: the play fails with flowguard's file:line:col error" eval '[ "$PLAY_RC" -ne 0 ] &&
	/usr/bin/python3 "$SRC/tests/fleet/plays.py" "$WORK/bad.json" failed |
	grep "conf.d/50-ansible-host.yaml:[0-9]*:[0-9]*: error:" >/dev/null'
check "an invalid layer: nothing written on fg1" eval '! c 1 test -e /etc/flowguard/conf.d/50-ansible-host.yaml &&
	[ "$(check_sha 1)" = "$before" ] && converged 1 audit'
# No configuration at all: the role only reads the agent's status into a fact.
play facts "$ANS/site.yml" --limit fg1 -e '{"flowguard": {}, "flowguard_group": {}}'
check "empty configuration: no change, the fact flowguard_status gathered" eval 'played_ok facts &&
	[ -z "$(changed_hosts facts)" ] &&
	task_of facts "Set flowguard_status" fg1 ansible_facts | grep -q "running.: True"'

# fg3 sends what enforce would block (to a documentation address, out through its veth).
c 3 /usr/bin/python3 -c 'import socket; s = socket.socket(); s.settimeout(0.5); s.connect_ex(("192.0.2.99", 9))'
check "fg3: would-block traffic counted" wait_for 10 \
	metric 3 '^flowguard_blocked_packets_total\{chain="egress",verdict="audit"\} [1-9]'

# One change rolled out: a new allow entry for the whole fleet, and enforce where audit
# saw nothing. A watcher records each host's (hash, mode, in_sync) as its metrics change.
for i in $HOSTS; do eval "OLD$i=$(check_sha "$i")"; done
# It forks nothing per sample (builtins only; the read timeout is the pause), so sampling
# every 0.2 s costs next to no CPU.
(
	declare -A last
	exec {idle}<> <(:)
	re_mode='(^|'$'\n'')flowguard_info\{mode="([a-z]*)"'
	re_hash='(^|'$'\n'')flowguard_config_info\{hash="([0-9a-f]*)"\} 1('$'\n''|$)'
	re_sync='(^|'$'\n'')flowguard_table_in_sync ([01])('$'\n''|$)'
	while :; do
		for i in $HOSTS; do
			text=
			read -r -d '' text <"$WORK/fg$i/$PROM" 2>/dev/null
			s=
			[[ $text =~ $re_mode ]] && s+="${BASH_REMATCH[2]} "
			[[ $text =~ $re_hash ]] && s+="${BASH_REMATCH[2]} "
			[[ $text =~ $re_sync ]] && s+="${BASH_REMATCH[2]} "
			if [ -n "$s" ] && [ "$s" != "${last[$i]:-}" ]; then
				echo "$EPOCHREALTIME $i $s"
				last[$i]=$s
			fi
		done
		read -r -t 0.2 -u "$idle"
	done >"$WORK/timeline"
) &
WATCHER=$!
all_vars "    - name: monitoring
      to: [203.0.113.90]
      ports: [9100]"
mainpid() { c "$1" systemctl show -p MainPID --value flowguard.service; }
PID1=$(mainpid 1)
play rollout "$ANS/rollout.yml" -e flowguard_enforce_after=0
check "rollout.yml with the change: all waves pass" played_ok rollout
check "fg1, fg2: enforce, running the new files, in sync" \
	eval 'wait_for 10 converged 1 enforce && wait_for 10 converged 2 enforce'
check "fg3: new files, kept in audit (would-block flows)" eval 'wait_for 10 converged 3 audit &&
	grep -q "stays in audit: would-block flows" "$WORK/rollout.json"'
check "fg1: reloaded, never restarted (same agent pid $PID1)" test "$(mainpid 1)" = "$PID1"
check "fg1: ingress enforced now (lockout guard passed and disarmed)" eval \
	'table 1 | grep -q "type filter hook input priority filter; policy drop;" &&
	! c 1 systemctl is-active -q flowguard-ansible-guard.timer'
# The watcher has seen every host's final state (it samples every 0.2 s) before it stops.
for i in $HOSTS; do eval "NEW$i=$(check_sha "$i")"; done
seen_final() { grep -Eq "^[0-9.]+ $1 $2 $3 1 ?$" "$WORK/timeline"; }
check "the watcher saw each host's final state" wait_for 10 eval \
	'seen_final 1 enforce "$NEW1" && seen_final 2 enforce "$NEW2" && seen_final 3 audit "$NEW3"'
kill "$WATCHER" && wait "$WATCHER" 2>/dev/null
WATCHER=
# Each wave converged in the metrics before the next one started: the time host N first
# shows another hash than before the run is after the time host N-1 shows its final state.
waves=$(/usr/bin/python3 - "$WORK/timeline" "$OLD1" "$OLD2" "$OLD3" "$NEW1" "$NEW2" "$NEW3" <<'EOF'
import sys
lines = [l.split() for l in open(sys.argv[1])]
old = dict(zip("123", sys.argv[2:5]))
new = dict(zip("123", sys.argv[5:8]))
final_mode = {"1": "enforce", "2": "enforce", "3": "audit"}
first, done = {}, {}
for t, host, mode, h, sync in (l for l in lines if len(l) == 5):
    t = float(t)
    if h != old[host] and host not in first:
        first[host] = t
    if h == new[host] and mode == final_mode[host] and sync == "1" and host not in done:
        done[host] = t
print(" ".join("fg%s:%.1f-%.1f" % (h, first.get(h, -1), done.get(h, -1)) for h in "123"))
ok = all(h in first and h in done for h in "123") and \
    done["1"] < first["2"] and done["2"] < first["3"]
sys.exit(0 if ok else 1)
EOF
)
check "waves fg1 -> fg2 -> fg3, each converged in the metrics before the next ($waves)" test $? -eq 0
[ "$fail" -eq 0 ] || sed 's/^/    timeline: /' "$WORK/timeline"

# ---- 5. the lockout guard, over ssh through fg3's own firewall ----------------------------
SSH_OPTS="-i $WORK/id -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=3"
can_ssh() { ip netns exec "$CTL" ssh $SSH_OPTS root@10.77.0.13 true 2>/dev/null; }
check "ssh from the controller namespace to fg3" can_ssh
# The guard's timer must outlast the reload and its settling, or under load it restores the
# previous drop-ins before the reconnect is tried (it did with 12 s at load 5).
cat >"$WORK/lockout.yml" <<EOF
---
ansible_connection: ssh
ansible_host: 10.77.0.13
ansible_user: root
ansible_ssh_private_key_file: $WORK/id
ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
flowguard_group: {}
flowguard_force_enforce: true
flowguard_guard_timeout: 30
EOF
ANSIBLE_CONTROL_PATH_DIR=$WORK/cp
export ANSIBLE_CONTROL_PATH_DIR
t=$(date +%s)
ip netns exec "$CTL" env ANSIBLE_CONFIG="$ANS/ansible.cfg" ANSIBLE_STDOUT_CALLBACK=ansible.posix.json \
	ANSIBLE_CONNECTION_PLUGINS="$SRC/tests/fleet/plugins/connection" \
	ansible-playbook -i "$INV/hosts.ini" "$ANS/rollout.yml" --limit fg3 -e "@$WORK/lockout.yml" \
	>"$WORK/lockout.json" 2>"$WORK/lockout.err"
PLAY_RC=$?
echo "    lockout: rc $PLAY_RC, $(($(date +%s) - t)) s"
was=$fail
check "lockout: the play fails at the reconnect (rc $PLAY_RC)" eval '[ "$PLAY_RC" -ne 0 ] &&
	/usr/bin/python3 "$SRC/tests/fleet/plays.py" "$WORK/lockout.json" failed | grep "^fg3: .*The controller must get in afresh" >/dev/null'
[ "$fail" -eq "$was" ] ||
	/usr/bin/python3 "$SRC/tests/fleet/plays.py" "$WORK/lockout.json" failed | sed 's/^/    failed task: /'
check "lockout: fg3 restored its previous drop-ins by itself (audit again)" wait_for 40 \
	eval 'c 3 grep -qx "mode: audit" /etc/flowguard/conf.d/50-ansible-rollout.yaml && converged 3 audit'
check "lockout: the guard logged it" eval 'c 3 journalctl --no-pager -t flowguard-ansible | grep -q "previous drop-ins restored"'
check "lockout: ssh works again" wait_for 10 can_ssh
check "a layer no longer rendered (the group's) has its drop-in removed" \
	eval '! c 3 test -e /etc/flowguard/conf.d/50-ansible-group.yaml &&
	c 3 test -e /etc/flowguard/conf.d/50-ansible-all.yaml'
check "no guard timer left on any host" eval '! c 1 systemctl is-active -q flowguard-ansible-guard.timer &&
	! c 2 systemctl is-active -q flowguard-ansible-guard.timer && ! c 3 systemctl is-active -q flowguard-ansible-guard.timer'

finish
