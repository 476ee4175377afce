#!/bin/sh
# Check the README's first command and its quick tour as a user meets
# them: `make demo` on this machine, again as the second command, after
# the demo's daemon was killed (a stale mount), the README's "Quick tour"
# block verbatim, and `make demo-stop`. Run from the top of a checkout;
# scripts/fresh-root.sh runs it in a fresh Debian root, and scripts/test.sh
# runs it with every test.
set -eu
cd "$(dirname "$0")/.."
MNT=$PWD/mnt
EPOCH=sales.orders/bronze/2001-01-01..2010-01-01
PART=dt=2005-03-01/part-00000.parquet

fail() {
	echo "check-demo: FAILED: $*" >&2
	[ -f demo/recyclefs.log ] && tail -n 20 demo/recyclefs.log >&2
	exit 1
}

mounted() { grep -qs " $MNT fuse" /proc/mounts; }

# What a user looks at first: a table, an epoch, a file's bytes.
check_mount() {
	mounted || fail "$1: nothing is mounted at ./mnt"
	ls mnt | grep -qx sales.orders || fail "$1: ls mnt shows no sales.orders"
	ls mnt/sales.orders/bronze | grep -qx 2001-01-01..2010-01-01 ||
		fail "$1: ls mnt/sales.orders/bronze shows no epoch 2001-01-01..2010-01-01"
	cmp "mnt/$EPOCH/$PART" "demo/nfs/orders/bronze-2001/$PART" ||
		fail "$1: mnt/$EPOCH/$PART differs from its storage's file"
	echo "check-demo: $1: table, epoch and a file's bytes are right"
}

make demo >/dev/null || fail "make demo (first) exited $?"
check_mount "make demo"
make demo >/dev/null || fail "make demo (second) exited $?"
check_mount "make demo, again"

# A stale mount: the daemon died and left "Transport endpoint is not
# connected" behind.
pid=
for p in /proc/[0-9]*; do
	case $(cat "$p/cmdline" 2>/dev/null | tr '\0' ' ') in
	*"recyclefs mount $MNT "*) pid=${p#/proc/} ;;
	esac
done
[ -n "$pid" ] || fail "no daemon serves ./mnt"
kill -9 "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
if ls mnt >/dev/null 2>&1; then
	fail "the mount still answers after its daemon was killed"
fi
make demo >/dev/null || fail "make demo over a stale mount exited $?"
check_mount "make demo over a stale mount"

# The README's quick tour, verbatim: every line of the block after
# "## Quick tour", run by sh -e.
tour=$(awk '/^## Quick tour/ { s = 1; next }
	s && /^```/ { if (f) exit; f = 1; next }
	f { print }' README.md)
[ -n "$tour" ] || fail "README.md has no Quick tour block"
echo "check-demo: running the README's quick tour:"
printf '%s\n' "$tour" | sed 's/^/  | /'
sh -e -x -c "$tour" >demo-tour.log 2>&1 || {
	cat demo-tour.log >&2
	fail "the README's quick tour stopped (log above)"
}
rm -f demo-tour.log
mounted && fail "the quick tour ends with make demo-stop, but ./mnt is mounted"
echo "check-demo: the quick tour ran to its end"

make demo >/dev/null || fail "make demo after the tour exited $?"
make demo-stop >/dev/null || fail "make demo-stop exited $?"
mounted && fail "make demo-stop left ./mnt mounted"
echo "check-demo: ok"
