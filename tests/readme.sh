#!/bin/sh
# The README's two commands, verbatim, as root on a machine without sudo (a fresh Debian 12):
#   - its first code block holds exactly two commands (comments stripped);
#   - the first one (setup, then make demo) runs with no sudo on PATH: exit 0, and the demo
#     prints the table the kernel holds;
#   - as a user with sudo, the demo re-runs itself through sudo, and setup (everything
#     installed) does not ask for root;
#   - the second one (setup, then make check) is what .ci/run runs, verbatim; it cannot run
#     here (check-cli is part of it), CI runs it.
# Prints "readme: N passed, N failed"; skips (exit 0) without root.
set -u
cd "$(dirname "$0")/.." || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

if [ "$(id -u)" -ne 0 ]; then
	echo "readme: skipped (needs root: the demo programs a network namespace)"
	exit 0
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

# The first ```sh block, one command a line, without the trailing "# ..." comments.
awk '/^```sh$/ { f = 1; next } f && /^```$/ { exit }
	f { sub(/[ \t]*#.*/, ""); if ($0 != "") print }' README.md >"$tmp/cmds"
first=$(sed -n 1p "$tmp/cmds")
second=$(sed -n 2p "$tmp/cmds")
if [ "$(wc -l <"$tmp/cmds")" -eq 2 ] && [ "${first%% *}" = ./scripts/setup.sh ]; then
	ok
else
	bad "README's first block is not two commands starting with ./scripts/setup.sh:" \
		"$(cat "$tmp/cmds")"
fi

# A PATH with every command of this one but sudo.
mkdir "$tmp/bin"
echo "$PATH" | tr ':' '\n' | while IFS= read -r d; do
	for f in "$d"/*; do
		n=${f##*/}
		[ -x "$f" ] && [ "$n" != sudo ] && [ ! -e "$tmp/bin/$n" ] && ln -s "$f" "$tmp/bin/$n"
	done
done
if PATH=$tmp/bin command -v sudo >/dev/null; then
	bad "sudo is still on the test's PATH"
fi

# The first command, as the README has it, in a make of its own (not this make's jobs).
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL PATH="$tmp/bin" sh -c "$first" >"$tmp/out" 2>&1 &&
	grep -q '^table inet flowguard {' "$tmp/out"; then
	ok
else
	bad "'$first' without sudo:"
	tail -20 "$tmp/out" >&2
fi

# A user with sudo (nobody, with a sudo that only records its arguments): the demo re-runs
# itself through sudo, setup with everything installed needs no root and does not.
if ! command -v setpriv >/dev/null || ! setpriv --reuid=65534 --regid=65534 --clear-groups \
	test -r scripts/demo.sh; then
	echo "readme: the sudo case skipped (needs setpriv and a tree user nobody can read)"
else
	mkdir "$tmp/sudo"
	printf '#!/bin/sh\necho "sudo $*" >>"%s"\n' "$tmp/sudo/log" >"$tmp/sudo/sudo"
	: >"$tmp/sudo/log"
	chmod 755 "$tmp" "$tmp/sudo" "$tmp/sudo/sudo"
	chmod 666 "$tmp/sudo/log"
	setpriv --reuid=65534 --regid=65534 --clear-groups env PATH="$tmp/sudo:$PATH" \
		sh -c './scripts/setup.sh && ./scripts/demo.sh' >"$tmp/user.out" 2>&1
	if [ "$(cat "$tmp/sudo/log")" = "sudo -E $PWD/scripts/demo.sh" ]; then
		ok
	else
		bad "as a user with sudo, want exactly 'sudo -E $PWD/scripts/demo.sh', got:" \
			"$(cat "$tmp/sudo/log" "$tmp/user.out")"
	fi
fi

if grep -qxF "$second" .ci/run; then
	ok
else
	bad ".ci/run does not run the README's second command '$second'"
fi
echo "readme: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
