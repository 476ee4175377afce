# Helpers shared by the benchmarks in bench/ (sourced, not run).
#
# A script sets `set -eu`, sources this file, calls bench_init, and then
# uses bench_mount_recyclefs / bench_track_mount, bench_hyperfine and the
# bench_row / bench_ratio helpers. Everything it creates lives under
# $BENCH_WORK (a fresh directory under $BENCH_TMP, default /tmp); the EXIT
# trap unmounts what was mounted, stops what was started and removes
# $BENCH_WORK (KEEP=1 keeps it). Results (hyperfine JSON, the summary)
# are written to $RESULTS_DIR, which outlives the run.
#
# Environment read here:
#   RECYCLEFS_BIN  the recyclefs binary (default: build-bench/tools/recyclefs,
#                  else build/tools/recyclefs)
#   BENCH_TMP      where the work directory is made (default /tmp); it must be
#                  on the filesystem you want to measure
#   RESULTS_DIR    where results go (default $BENCH_TMP/recyclefs-bench-results)
#   KEEP=1         keep the work directory (data, index, logs) after the run

bench_top=$(cd "$(dirname "$0")/.." && pwd)

bench_log() {
	printf '%s [bench] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

bench_die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

# The recyclefs binary: $RECYCLEFS_BIN, else the release build, else the
# default build.
bench_find_bin() {
	if [ -n "${RECYCLEFS_BIN:-}" ]; then
		:
	elif [ -x "$bench_top/build-bench/tools/recyclefs" ]; then
		RECYCLEFS_BIN=$bench_top/build-bench/tools/recyclefs
	else
		RECYCLEFS_BIN=$bench_top/build/tools/recyclefs
	fi
	[ -x "$RECYCLEFS_BIN" ] || bench_die "no recyclefs binary at \
'$RECYCLEFS_BIN'; build one (meson setup build-bench -Dbuildtype=release \
-Dtests=false && ninja -C build-bench) or set RECYCLEFS_BIN"
	RECYCLEFS_BIN=$(cd "$(dirname "$RECYCLEFS_BIN")" && pwd)/$(basename "$RECYCLEFS_BIN")
	export RECYCLEFS_BIN
}

# bench_need CMD...: fail early, naming what is missing.
bench_need() {
	missing=
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
	done
	[ -z "$missing" ] || bench_die "missing:$missing (scripts/deps.sh bench \
installs hyperfine, bindfs, rsync and attr; python3 is needed too)"
}

# --- cleanup ---------------------------------------------------------------

bench_mounts=()	# mountpoints, unmounted in reverse order on exit
bench_pids=()	# background processes we started (foreground mounts, strace)

bench_is_mounted() {
	# /proc/mounts escapes spaces as \040; our paths have none.
	grep -qs " $1 fuse" /proc/mounts
}

bench_umount() {
	m=$1
	bench_is_mounted "$m" || return 0
	fusermount3 -u "$m" 2>/dev/null ||
		{ sleep 1; fusermount3 -u "$m" 2>/dev/null; } ||
		fusermount3 -uz "$m" 2>/dev/null || true
}

bench_cleanup() {
	st=$?
	trap - EXIT INT TERM
	set +e
	i=${#bench_mounts[@]}
	while [ "$i" -gt 0 ]; do
		i=$((i - 1))
		bench_umount "${bench_mounts[$i]}"
	done
	for p in "${bench_pids[@]}"; do
		# a foreground mount ends with its unmount; give it a moment
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.2
		done
		kill "$p" 2>/dev/null
	done
	if [ -n "${BENCH_WORK:-}" ] && [ -d "$BENCH_WORK" ]; then
		if [ "${KEEP:-0}" = 1 ]; then
			bench_log "kept $BENCH_WORK"
		else
			rm -rf "$BENCH_WORK"
		fi
	fi
	exit "$st"
}

bench_track_mount() {
	bench_mounts+=("$1")
}

bench_track_pid() {
	bench_pids+=("$1")
}

# Make the work and results directories and set the traps.
bench_init() {
	name=$1
	bench_find_bin
	BENCH_TMP=${BENCH_TMP:-/tmp}
	RESULTS_DIR=${RESULTS_DIR:-$BENCH_TMP/recyclefs-bench-results}
	mkdir -p "$RESULTS_DIR"
	RESULTS_DIR=$(cd "$RESULTS_DIR" && pwd)
	BENCH_WORK=$(mktemp -d "$BENCH_TMP/recyclefs-bench-$name.XXXXXX")
	BENCH_STAMP=$(date +%Y%m%d-%H%M%S)
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	bench_drop_setup
	bench_log "work directory $BENCH_WORK, results in $RESULTS_DIR"
}

# --- caches ----------------------------------------------------------------

# BENCH_DROP: the shell command that empties the page, dentry and inode
# caches, or empty when we may not (not root, no password-less sudo).
bench_drop_setup() {
	if [ "$(id -u)" -eq 0 ] && [ -w /proc/sys/vm/drop_caches ]; then
		BENCH_DROP='sync; echo 3 > /proc/sys/vm/drop_caches'
	elif sudo -n true 2>/dev/null; then
		BENCH_DROP='sync; echo 3 | sudo -n tee /proc/sys/vm/drop_caches >/dev/null'
	else
		BENCH_DROP=
		bench_log "cannot drop caches (not root, no sudo -n): cold runs are skipped"
	fi
}

bench_drop_caches() {
	[ -z "$BENCH_DROP" ] || sh -c "$BENCH_DROP"
}

# --- a catalog over local data ---------------------------------------------

BENCH_TABLE=bench.t
BENCH_LIFECYCLE=raw
BENCH_FROM=2020-01-01
BENCH_EPOCH=$BENCH_FROM..now

# bench_catalog INDEX STORAGE_ROOT EPOCH_SUBPATH: a fresh index with one
# storage (file://STORAGE_ROOT), one table, one lifecycle and one open
# epoch on STORAGE_ROOT/EPOCH_SUBPATH.
bench_catalog() {
	idx=$1 root=$2 sub=$3
	rm -f "$idx"
	{
		"$RECYCLEFS_BIN" --index "$idx" init
		"$RECYCLEFS_BIN" --index "$idx" storage add s "file://$root"
		"$RECYCLEFS_BIN" --index "$idx" table add "$BENCH_TABLE"
		"$RECYCLEFS_BIN" --index "$idx" lifecycle add "$BENCH_TABLE" \
			"$BENCH_LIFECYCLE"
		"$RECYCLEFS_BIN" --index "$idx" epoch add "$BENCH_TABLE" \
			"$BENCH_LIFECYCLE" --from "$BENCH_FROM" --storage s \
			--path "$sub"
	} >/dev/null
}

# The epoch directory in a recyclefs mount.
bench_epoch_dir() {
	echo "$1/$BENCH_TABLE/$BENCH_LIFECYCLE/$BENCH_EPOCH"
}

# bench_mount_recyclefs BIN INDEX MOUNTPOINT LOG [FUSE_OPTS]: mount in the
# background as a user would (the daemon forks), and track it.
bench_mount_recyclefs() {
	bin=$1 idx=$2 mnt=$3 log=$4 opts=${5:-}
	mkdir -p "$mnt"
	if [ -n "$opts" ]; then
		"$bin" --index "$idx" mount "$mnt" --log "$log" -o "$opts"
	else
		"$bin" --index "$idx" mount "$mnt" --log "$log"
	fi
	bench_track_mount "$mnt"
	bench_is_mounted "$mnt" || bench_die "recyclefs did not mount on $mnt"
}

# bench_mount_recyclefs_fg BIN INDEX MOUNTPOINT LOG [ARGS...]: mount with
# -f (no fork) in the background, debug log (-v) to LOG; sets BENCH_FG_PID.
bench_mount_recyclefs_fg() {
	bin=$1 idx=$2 mnt=$3 log=$4
	shift 4
	mkdir -p "$mnt"
	"$bin" --index "$idx" -v mount "$mnt" -f "$@" >>"$log" 2>&1 &
	BENCH_FG_PID=$!
	bench_track_pid "$BENCH_FG_PID"
	bench_track_mount "$mnt"
	for _ in $(seq 1 100); do
		bench_is_mounted "$mnt" && return 0
		kill -0 "$BENCH_FG_PID" 2>/dev/null ||
			bench_die "recyclefs mount on $mnt failed (see $log)"
		sleep 0.1
	done
	bench_die "recyclefs did not mount on $mnt in 10 s (see $log)"
}

# --- data ------------------------------------------------------------------

# bench_make_tree DIR FOLDERS FILES_PER_FOLDER MIN_BYTES MAX_BYTES: random
# contents, sizes spread evenly over [MIN, MAX].
bench_make_tree() {
	python3 - "$@" <<'PY'
import os, sys
root, folders, per, lo, hi = sys.argv[1], *map(int, sys.argv[2:6])
os.makedirs(root, exist_ok=True)
pool = os.urandom(max(hi, 1) * 64 + (1 << 20))
n = 0
for d in range(folders):
    p = os.path.join(root, "dt=%05d" % d)
    os.mkdir(p)
    for f in range(per):
        size = lo + (n * 7919) % (hi - lo + 1) if hi > lo else lo
        off = (n * 104729) % (len(pool) - size)
        with open(os.path.join(p, "part-%05d.parquet" % f), "wb") as fh:
            fh.write(pool[off:off + size] if size <= 65536
                     else os.urandom(size))
        n += 1
PY
}

# bench_make_file PATH MIB: one file of random bytes.
bench_make_file() {
	head -c "$(($2 * 1048576))" /dev/urandom >"$1"
}

# --- hyperfine and results -------------------------------------------------

# bench_hyperfine SCENARIO ARGS...: run hyperfine with the given options and
# commands, export $RESULTS_DIR/<stamp>-<name>-SCENARIO.json, and append
# "SCENARIO<TAB>NAME<TAB>mean<TAB>stddev<TAB>min<TAB>max<TAB>runs" rows to
# $BENCH_WORK/results.tsv.
bench_hyperfine() {
	scen=$1
	shift
	json=$RESULTS_DIR/$BENCH_STAMP-$BENCH_NAME-$scen.json
	la0=$(cut -d' ' -f1 /proc/loadavg)
	hyperfine --style "${HYPERFINE_STYLE:-basic}" --export-json "$json" \
		"$@" >&2
	la1=$(cut -d' ' -f1 /proc/loadavg)
	echo "$scen	$la0	$la1" >>"$BENCH_WORK/load.tsv"
	python3 - "$json" "$scen" >>"$BENCH_WORK/results.tsv" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for r in doc["results"]:
    print("\t".join([sys.argv[2], r["command"], "%.6f" % r["mean"],
                     "%.6f" % (r["stddev"] or 0.0), "%.6f" % r["min"],
                     "%.6f" % r["max"], str(len(r["times"]))]))
PY
}

# bench_get SCENARIO NAME FIELD: a value from results.tsv (mean, sd, min,
# max, runs), or empty.
bench_get() {
	awk -F'\t' -v s="$1" -v n="$2" -v f="$3" '
		BEGIN { c = 7; if (f == "mean") c = 3; if (f == "sd") c = 4
			if (f == "min") c = 5; if (f == "max") c = 6 }
		$1 == s && $2 == n { print $c; exit }' "$BENCH_WORK/results.tsv"
}

# bench_ratio A B: A/B with two decimals, or "-" when either is missing.
bench_ratio() {
	awk -v a="${1:-}" -v b="${2:-}" 'BEGIN {
		if (a == "" || b == "" || b + 0 == 0) print "-";
		else printf "%.2f", a / b }'
}

# bench_secs SECONDS: "0.123 s" or "-".
bench_secs() {
	awk -v a="${1:-}" 'BEGIN {
		if (a == "") print "-";
		else if (a < 1) printf "%.0f ms", a * 1000;
		else printf "%.2f s", a }'
}

# bench_mibs MIB SECONDS: throughput "1234 MiB/s" or "-".
bench_mibs() {
	awk -v m="$1" -v t="${2:-}" 'BEGIN {
		if (t == "" || t + 0 == 0) print "-"; else printf "%.0f MiB/s", m / t }'
}

# The machine, for the record.
bench_machine() {
	dir=$1
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	shani=no
	grep -qw sha_ni /proc/cpuinfo && shani=yes
	mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
	fst=$(findmnt -n -o FSTYPE -T "$dir" 2>/dev/null || stat -f -c %T "$dir")
	dev=$(findmnt -n -o SOURCE -T "$dir" 2>/dev/null || echo '?')
	rev=$(git -C "$bench_top" rev-parse --short HEAD 2>/dev/null || echo '?')
	git -C "$bench_top" diff --quiet HEAD 2>/dev/null || rev="$rev+dirty"
	cat <<EOF
machine    : $(nproc) CPUs ($cpu, SHA-NI: $shani), $mem RAM
kernel     : $(uname -r)
filesystem : $fst on $dev ($dir)
libfuse    : $(pkg-config --modversion fuse3 2>/dev/null || echo '?'); $(fusermount3 --version 2>&1 | head -1)
tools      : $(hyperfine --version 2>/dev/null); $(bindfs --version 2>/dev/null | head -1); $(rsync --version 2>/dev/null | head -1 | awk '{print $1, $3}')
recyclefs  : $RECYCLEFS_BIN (built $(date -r "$RECYCLEFS_BIN" '+%F %H:%M'); source tree now at $rev)
load       : $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at start
EOF
}
