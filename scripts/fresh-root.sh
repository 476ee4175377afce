#!/bin/sh
# Prove the README's commands on a fresh Debian machine: build a minimal
# root with debootstrap, put a clean clone of the current commit in it,
# and run there what a new user runs.
#
# usage: scripts/fresh-root.sh [RELEASE] [STEP...]
#   RELEASE  bookworm (default) or trixie
#   STEP     demo   make demo; check the mount (a table, an epoch, a file's
#                   bytes); make demo again; a stale mount (daemon killed)
#                   recovered by make demo; make demo-stop
#            test   make test (the whole suite, Ceph RGW included)
#            build  make (only the build)
#            deps   install what the suites and bench steps need (the
#                   build's packages, Criterion, hyperfine, bindfs, ...)
#            suites the integration suites RFS_ROOT_SUITES (default: mount
#                   posix special metadata passthrough) of a test build
#                   (meson -Dtest_hooks=true), one at a time; the log is
#                   BUILD-ROOT-LOGS/suites-RELEASE.log
#            bench  bench/browse.sh on a release build, with the bench
#                   variables of RFS_ROOT_BENCH_ENV ("BIG_MB=256 RUNS=3",
#                   say); its summary is copied to BUILD-ROOT-LOGS
#            run    the command line RFS_ROOT_CMD in the clone, in the root
#            shell  an interactive shell in the root, for a look
#   (default: demo test)
#
# Environment:
#   RFS_ROOT_DIR   where the root is built (default /var/tmp/recyclefs-root-
#                  RELEASE); it is deleted first and again at the end,
#                  unless RFS_ROOT_KEEP=1
#   RFS_MIRROR     the Debian mirror; default: the first one this machine's
#                  apt sources name
#   RFS_ROOT_REUSE=1  use the root a run with RFS_ROOT_KEEP=1 left (its
#                  installed packages and builds): no debootstrap; the
#                  current commit is fetched into its clone and checked
#                  out. The root is kept at the end.
#
# Nothing from this machine is in the root but the Debian packages it
# installs, a bundle of the current commit and, when this machine can
# install Python packages from a local wheel directory only, that directory
# (see scripts/wheelhouse.py). The root runs as root with /dev/fuse,
# /proc, /sys, /dev/pts and a tmpfs on /tmp. Each phase prints its time.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
release=${1:-bookworm}
[ $# -gt 0 ] && shift
steps=${*:-demo test}
root=${RFS_ROOT_DIR:-/var/tmp/recyclefs-root-$release}
logdir=${RFS_ROOT_LOGS:-$top/build-root-logs}
reuse=0
if [ "${RFS_ROOT_REUSE:-0}" = 1 ] && [ -d "$root/root/recyclefs/.git" ]; then
	reuse=1
	RFS_ROOT_KEEP=1
fi

case $release in
bookworm | trixie) ;;
*)
	echo "fresh-root: unknown release '$release' (bookworm or trixie)" >&2
	exit 2
	;;
esac
[ "$(id -u)" -eq 0 ] || {
	echo "fresh-root: must run as root (debootstrap, chroot, mounts)" >&2
	exit 1
}

t_start=$(date +%s)
t_phase=$t_start
phase() {
	now=$(date +%s)
	printf '\n== fresh-root %s: %s (previous phase %d s, total %d s)\n' \
		"$release" "$*" $((now - t_phase)) $((now - t_start))
	t_phase=$now
}

# The first deb line of this machine's apt sources, in either format.
mirror_of_host() {
	suffix=$1
	{
		cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
			awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }'
		cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
			2>/dev/null |
			awk '$1 == "deb" { for (i = 2; i <= NF; i++)
				if ($i ~ /^[a-z]+:\/\//) { print $i; break } }'
	} | grep -E "/debian$suffix/?\$" | head -n 1
}

# Everything mounted below the root, deepest first.
mounts_below() {
	awk -v r="$1" '$2 == r || index($2, r "/") == 1 { print $2 }' \
		/proc/mounts | sort -r
}

teardown() {
	[ -d "$root" ] || return 0
	# processes left in the root (servers, a mount daemon)
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] &&
			kill -9 "${p#/proc/}" 2>/dev/null
	done
	sleep 0.5
	for m in $(mounts_below "$root"); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
}

cleanup() {
	status=$?
	teardown
	if [ "${RFS_ROOT_KEEP:-0}" != 1 ] && [ -z "$(mounts_below "$root")" ]; then
		rm -rf "$root"
	fi
	phase "done (status $status)"
	# the test run's closing line stays the last line
	[ -f "$logdir/make-test-$release.log" ] &&
		grep -E '^[0-9]+ passed, [0-9]+ failed' \
			"$logdir/make-test-$release.log" | tail -n 1
	exit $status
}

mirror=${RFS_MIRROR:-$(mirror_of_host "")}
security=$(mirror_of_host "-security")
[ -n "$mirror" ] || {
	echo "fresh-root: no Debian mirror in /etc/apt; set RFS_MIRROR" >&2
	exit 1
}

phase "preparing the host"
if ! command -v debootstrap >/dev/null 2>&1; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends debootstrap >/dev/null
fi
teardown
if [ -n "$(mounts_below "$root")" ]; then
	echo "fresh-root: something is still mounted below $root" >&2
	exit 1
fi
[ "$reuse" = 1 ] || rm -rf "$root"
mkdir -p "$root" "$logdir"
rm -f "$logdir/make-test-$release.log"
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$reuse" = 1 ]; then
	phase "reusing the root at $root"
else
	phase "debootstrap --variant=minbase $release"
	if ! debootstrap --variant=minbase "$release" "$root" "$mirror" \
		>"$logdir/debootstrap-$release.log" 2>&1; then
		tail -n 20 "$logdir/debootstrap-$release.log" >&2
		echo "fresh-root: debootstrap failed (log: $logdir/debootstrap-$release.log)" >&2
		exit 1
	fi
fi

# apt in the root: the same mirror, with updates and security; the apt
# settings this machine needs for its mirror (validity of old snapshots).
{
	echo "deb $mirror $release main"
	echo "deb $mirror $release-updates main"
	[ -n "$security" ] && echo "deb $security $release-security main"
} >"$root/etc/apt/sources.list"
apt-config dump 2>/dev/null | grep -E '^Acquire::Check-(Valid-Until|Date) ' \
	>"$root/etc/apt/apt.conf.d/99fresh-root" || true
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

# A clean clone of the commit, as the user's 'git clone' makes it.
commit=$(git -C "$top" rev-parse HEAD)
git -C "$top" bundle create "$root/root/recyclefs.bundle" HEAD \
	>/dev/null 2>&1

# Python packages for the tests' moto server: a machine with no package
# index but a wheel directory gets that directory (pip's own settings).
pip_env=
if [ -n "${RFS_WHEELS:-}" ] && [ -d "$RFS_WHEELS" ]; then
	mkdir -p "$root/var/cache/recyclefs-wheels"
	cp "$RFS_WHEELS"/*.whl "$root/var/cache/recyclefs-wheels/"
	pip_env="PIP_NO_INDEX=1 PIP_FIND_LINKS=/var/cache/recyclefs-wheels"
fi

# The root is a mount point of its own, as / is on a machine: tests that
# make their mounts private (unshare -m) need that.
mount --bind "$root" "$root"
mount --make-private "$root"
mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mkdir -p "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
[ -e "$root/dev/fuse" ] || touch "$root/dev/fuse"
mount --bind /dev/fuse "$root/dev/fuse"

# Run a command in the root as a new user's root shell would. It runs in
# the background and the script waits for it: a shell runs its INT/TERM
# trap only once the foreground command ends, but it interrupts a wait, so
# Ctrl-C tears the root down at once (teardown kills what runs inside).
in_root() {
	# shellcheck disable=SC2086
	chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		CI="${CI:-}" $pip_env /bin/sh -c "$1" &
	wait $!
}

if [ "$reuse" = 1 ]; then
	phase "the current commit into the root's clone"
	in_root "cd /root/recyclefs && git fetch -q /root/recyclefs.bundle HEAD && \
		git -c advice.detachedHead=false checkout -q $commit && git log --oneline -1"
else
	phase "the README's first line: apt-get install git make; git clone"
	in_root "apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq git make >/dev/null && \
		git clone -q /root/recyclefs.bundle /root/recyclefs && \
		cd /root/recyclefs && git -c advice.detachedHead=false checkout -q $commit && git log --oneline -1"
fi

# What the suites and bench steps need beyond the build.
extra_pkgs="libcriterion-dev attr sqlite3 rsync xxd python3 procps psmisc
	curl util-linux hyperfine bindfs"

for step in $steps; do
	case $step in
	demo)
		phase "make demo (first, second, after a stale mount), make demo-stop"
		in_root "cd /root/recyclefs && scripts/check-demo.sh"
		;;
	test)
		phase "make test"
		rm -f "$logdir/make-test.rc"
		{
			st=0
			in_root "cd /root/recyclefs && make test" || st=$?
			echo $st >"$logdir/make-test.rc"
		} 2>&1 | tee "$logdir/make-test-$release.log" &
		wait $! || true
		st=$(cat "$logdir/make-test.rc" 2>/dev/null || echo 1)
		[ "$st" -eq 0 ] || exit "$st"
		;;
	build)
		phase "make"
		in_root "cd /root/recyclefs && make"
		;;
	deps)
		phase "packages of the suites and bench steps"
		in_root "cd /root/recyclefs && scripts/deps.sh build && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $(echo $extra_pkgs) >/dev/null && \
			dpkg-query -W -f='\${Package} \${Version}\n' libfuse3-dev"
		;;
	suites)
		suites=${RFS_ROOT_SUITES:-mount posix special metadata passthrough}
		phase "meson test $suites"
		rm -f "$logdir/suites.rc"
		{
			st=0
			in_root "cd /root/recyclefs && \
				{ [ -f build-suites/build.ninja ] || \
				  meson setup build-suites -Dtests=enabled \
					-Dtest_hooks=true >/dev/null; } && \
				ninja -C build-suites -j2 >/dev/null && \
				if grep -q RFS_HAVE_PASSTHROUGH build-suites/rfs_config.h; \
				then echo 'FUSE passthrough: built'; \
				else echo 'FUSE passthrough: not built'; fi && \
				meson test -C build-suites --num-processes 1 \
					--print-errorlogs $suites" || st=$?
			echo $st >"$logdir/suites.rc"
		} 2>&1 | tee "$logdir/suites-$release.log" &
		wait $! || true
		st=$(cat "$logdir/suites.rc" 2>/dev/null || echo 1)
		[ "$st" -eq 0 ] || exit "$st"
		;;
	bench)
		phase "bench/browse.sh (${RFS_ROOT_BENCH_ENV:-defaults})"
		in_root "cd /root/recyclefs && \
			{ [ -f build-bench/build.ninja ] || \
			  meson setup build-bench -Dbuildtype=release \
				-Dtests=disabled >/dev/null; } && \
			ninja -C build-bench -j2 >/dev/null && \
			env ${RFS_ROOT_BENCH_ENV:-} RESULTS_DIR=/root/bench-results \
				bench/browse.sh"
		cp "$root"/root/bench-results/*-browse-summary.txt "$logdir/" \
			2>/dev/null || true
		;;
	run)
		phase "run: ${RFS_ROOT_CMD:-true}"
		in_root "cd /root/recyclefs && ${RFS_ROOT_CMD:-true}"
		;;
	shell)
		phase "shell (exit to tear down)"
		chroot "$root" /bin/bash -l || true
		;;
	*)
		echo "fresh-root: unknown step '$step'" >&2
		exit 2
		;;
	esac
done
