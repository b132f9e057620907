#!/bin/sh
# The e2e suite with every core busy with unrelated work: one busy loop per core (E2E_LOAD
# sets how many) runs at normal priority for the whole suite, started and stopped here by
# its pid. The tests wait for events, not for time, so they must pass as they do on an idle
# machine, only slower. Usage: under-load.sh [tests/e2e/t_x.sh]
set -u
cd "$(dirname "$0")/../.." || exit 1
n=${E2E_LOAD:-$(nproc)}
pids=
i=0
while [ "$i" -lt "$n" ]; do
	sh -c 'while :; do :; done' &
	pids="$pids $!"
	i=$((i + 1))
done
# shellcheck disable=SC2086
trap 'kill $pids 2>/dev/null' EXIT
trap 'exit 1' INT TERM HUP
echo "e2e under load: $n busy loops (pids$pids) on $(nproc) cores"
./tests/e2e/run.sh "$@"
