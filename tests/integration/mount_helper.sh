#!/bin/sh
# `mount -t fuse.recyclefs` and the /etc/fstab line, through mount(8) and
# the installed helper's build copy. mount(8) looks for helpers in /sbin
# only, so the test runs in a private mount namespace whose /usr/sbin is an
# overlay with mount.fuse.recyclefs added; nothing on the machine changes.
# usage: mount_helper.sh RECYCLEFS_BIN HELPER
set -u
BIN=$1
HELPER=$2
T=$(mktemp -d "${TMPDIR:-/tmp}/rfs-mount-helper.XXXXXX")
passed=0
failed=0

ok() {
	passed=$((passed + 1))
	echo "ok: $*"
}
bad() {
	failed=$((failed + 1))
	echo "FAILED: $*"
}

# One case: $1 names it; the rest is run by sh; exit 0 is a pass.
case_() {
	name=$1
	shift
	if out=$("$@" 2>&1); then ok "$name"; else bad "$name"; echo "$out" | sed 's/^/    /'; fi
}

mkdir -p "$T/sbin" "$T/mnt" "$T/data/orders/dt=2024-01-01"
head -c 70000 /dev/urandom >"$T/data/orders/dt=2024-01-01/part-0.parquet"
cp "$HELPER" "$T/sbin/mount.fuse.recyclefs"
chmod 0755 "$T/sbin/mount.fuse.recyclefs"
I=$T/index.db
{
	"$BIN" --index "$I" init &&
		"$BIN" --index "$I" storage add d "file://$T/data" &&
		"$BIN" --index "$I" table add t.x &&
		"$BIN" --index "$I" lifecycle add t.x raw &&
		"$BIN" --index "$I" epoch add t.x raw --from 2024-01-01 \
			--storage d --path orders
} >/dev/null || {
	echo "FAILED: setting up the catalog"
	exit 1
}
echo "hello" >"$T/not-an-index"
printf '%s %s fuse.recyclefs _netdev,allow_other,nofail,x-systemd.automount,log=%s 0 0\n' \
	"$I" "$T/mnt" "$T/fstab.log" >"$T/fstab"
F="$T/mnt/t.x/raw/2024-01-01..now/dt=2024-01-01/part-0.parquet"

# Everything that needs mount(8) runs in one private namespace.
export BIN T I F
RECYCLEFS_BIN=$BIN unshare -m sh -c '
set -u
mount --make-rprivate / 2>/dev/null
mount -t overlay overlay -o "lowerdir=$T/sbin:/usr/sbin" /usr/sbin ||
	{ echo "FAILED: no overlay on /usr/sbin"; exit 1; }
r=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAILED: $1"; r=1; fi; }

# mount -t with the options users put in fstab
err=$(mount -t fuse.recyclefs "$I" "$T/mnt" -o allow_other,_netdev,nofail,x-systemd.automount 2>&1)
check "mount -t fuse.recyclefs exits 0 ($err)" "[ -z \"$err\" ]"
check "/proc/mounts shows the index mounted as fuse.recyclefs with allow_other" \
	"grep -q \"^$I $T/mnt fuse.recyclefs .*allow_other\" /proc/mounts"
check "the table is listed" "ls $T/mnt | grep -qx t.x"
check "a file reads its storage bytes" \
	"cmp \"$F\" \"$T/data/orders/dt=2024-01-01/part-0.parquet\""
umount "$T/mnt"
check "umount ends the mount" "! grep -q \" $T/mnt \" /proc/mounts"

# the /etc/fstab line (mount -T reads another fstab)
err=$(mount -T "$T/fstab" "$T/mnt" 2>&1)
check "an fstab line mounts ($err)" "grep -q \" $T/mnt fuse.recyclefs \" /proc/mounts"
check "log= from fstab goes to --log" "[ -f $T/fstab.log ]"
check "the fstab mount reads files" "[ -s \"$F\" ]"
umount "$T/mnt"

# bad input: one clear line, exit status 1, nothing mounted
for idx in "$T/missing.db" "$T/not-an-index"; do
	mount -t fuse.recyclefs "$idx" "$T/mnt" 2>"$T/err"
	st=$?
	check "$idx: exit status 1 (got $st)" "[ $st -eq 1 ]"
	check "$idx: one line on stderr: $(cat $T/err)" \
		"[ \$(wc -l <$T/err) -eq 1 ] && grep -q \"^recyclefs: .*$idx\" $T/err"
	check "$idx: nothing mounted" "! grep -q \" $T/mnt \" /proc/mounts"
done
exit $r
' >"$T/ns.out" 2>&1
st=$?
cat "$T/ns.out"
passed=$((passed + $(grep -c '^ok:' "$T/ns.out")))
failed=$((failed + $(grep -c '^FAILED:' "$T/ns.out")))
[ $st -eq 0 ] || [ "$(grep -c '^FAILED:' "$T/ns.out")" -gt 0 ] ||
	bad "the namespace's script exited $st"

# The helper's own argument handling, without mount(8): -f (fake) mounts
# nothing; options for mount(8) and systemd never reach FUSE.
case_ "helper -f mounts nothing" sh -c \
	"RECYCLEFS_BIN=/bin/false sh '$HELPER' '$I' '$T/mnt' -f -o allow_other"
case_ "helper drops mount(8) options and maps log=/threads=" sh -c \
	"out=\$(RECYCLEFS_BIN=/bin/echo sh '$HELPER' '$I' '$T/mnt' -o rw,_netdev,noauto,x-systemd.idle-timeout=60,allow_other,log=/x.log,threads=4,comment=z) &&
	 [ \"\$out\" = '--index $I mount $T/mnt -o rw,allow_other --log /x.log --threads 4' ] || { echo \"\$out\"; false; }"
case_ "helper without a mount point is a usage error" sh -c \
	"! sh '$HELPER' '$I' 2>/dev/null"

rm -rf "$T"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
