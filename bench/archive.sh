#!/usr/bin/env bash
# Archiving a folder: recyclefs (mv into .recyclebin, then `recyclefs wait`)
# against rsync -a + rm -rf, cp -a + rm -rf and a checksummed cp, all on the
# same filesystem.
#
# A master tree of FILES files of random bytes (SIZE_MB in all) in DIRS
# folders is made once; before every timed run it is copied (cp -a, not
# timed) into the epoch as set-N, so every method starts from identical,
# freshly created data, and the caches are dropped (DROP_CACHES=1). Rounds
# run every method once, in a rotating order, so that the load others put
# on the machine spreads over all of them. Timed:
#   recyclefs   mv EPOCH/set-N MOUNT/.recyclebin/ && recyclefs wait BIN/set-N
#               (snapshot, copy, SHA-256 of source and copy, fsync of every
#               file, delete, manifest)
#   rsync       rsync -a SRC PEER/ && rm -rf SRC
#   cp          cp -a SRC PEER/ && rm -rf SRC
#   cpsha       cp -a SRC PEER/, sha256sum of the source checked against the
#               copy (sha256sum -c), rm -rf SRC: the same checks as recyclefs
#               without its fsyncs, index and manifest
# PEER is a directory beside the storage's .recyclebin, on the same
# filesystem. rsync and cp return with their data still dirty in the page
# cache, while recyclefs has fsync'ed every file: the "+sync" column adds the
# `sync` that makes each method's result durable.
#
# The mount runs with -f in the background (and -v, whose debug log tells
# how each file was copied: reflink, copy_file_range or read/write). A
# forking mount opens the index before fork(): SQLite's POSIX locks do not
# survive it, and the first other process that closes the index deletes the
# WAL under the daemon, after which `recyclefs wait` no longer sees new
# entries (see docs/performance.md). -f avoids that and costs nothing.
#
# INSTRUMENT=1 adds one untimed run of INSTRUMENT_DIRS folders under
# `strace -f -c` (syscall counts of the daemon: copy_file_range, fsync, ...).
#
# Environment (defaults in brackets):
#   FILES [10000] DIRS [100] SIZE_MB [1024] RUNS [3]
#   METHODS ["recyclefs rsync cp cpsha"] DROP_CACHES [1]
#   PARALLEL_FILES: set recyclefs's jobs.parallel_files (default: its own, 4)
#   PHASES [1]: time the job's states by polling user.recyclefs.state
#   INSTRUMENT [1] INSTRUMENT_DIRS [10]
#   and RECYCLEFS_BIN, BENCH_TMP, RESULTS_DIR, KEEP (see bench/lib.sh)
# Quick run: FILES=1000 SIZE_MB=100 RUNS=1 bench/archive.sh
set -eu

. "$(dirname "$0")/lib.sh"

FILES=${FILES:-10000}
DIRS=${DIRS:-100}
SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-3}
METHODS=${METHODS:-recyclefs rsync cp cpsha}
DROP_CACHES=${DROP_CACHES:-1}
PHASES=${PHASES:-1}
INSTRUMENT=${INSTRUMENT:-1}
INSTRUMENT_DIRS=${INSTRUMENT_DIRS:-10}
BENCH_NAME=archive

[ "$DIRS" -le "$FILES" ] || DIRS=$FILES
PER_DIR=$((FILES / DIRS))
FILES=$((PER_DIR * DIRS))
FILE_BYTES=$((SIZE_MB * 1048576 / FILES))
TOTAL_MIB=$(awk -v f="$FILES" -v b="$FILE_BYTES" 'BEGIN { printf "%.1f", f * b / 1048576 }')

bench_need python3 rsync sha256sum getfattr fusermount3 findmnt
bench_init archive
W=$BENCH_WORK
IDX=$W/index.db
DATA=$W/store/t/raw
PEER=$W/store/.peer-bin
MNT=$W/mnt
LOG=$W/recyclefs.log
BIN_STORE=$W/store/.recyclebin
BIN_REL=$BENCH_TABLE/$BENCH_LIFECYCLE/$BENCH_EPOCH
[ "$DROP_CACHES" = 0 ] || [ -n "$BENCH_DROP" ] ||
	bench_die "cannot drop caches; run as root or with DROP_CACHES=0"

bench_machine "$W" | tee "$W/machine.txt" >&2

bench_log "creating the master tree: $FILES files of $FILE_BYTES B in $DIRS folders"
t0=$(date +%s)
mkdir -p "$W/master" "$DATA"
bench_make_tree "$W/master/set" "$DIRS" "$PER_DIR" "$FILE_BYTES" "$FILE_BYTES"
sync
bench_log "master ready in $(($(date +%s) - t0)) s"

bench_catalog "$IDX" "$W/store" t/raw
if [ -n "${PARALLEL_FILES:-}" ]; then
	"$RECYCLEFS_BIN" --index "$IDX" config set jobs.parallel_files \
		"$PARALLEL_FILES" >/dev/null
fi
bench_mount_recyclefs_fg "$RECYCLEFS_BIN" "$IDX" "$MNT" "$LOG"
RFS_PID=$BENCH_FG_PID
EPOCH_DIR=$(bench_epoch_dir "$MNT")
[ -d "$EPOCH_DIR" ] || bench_die "no epoch directory at $EPOCH_DIR"

# rfs_wait BINPATH: until the entry is archived (recyclefs wait, or polling
# its state where the binary has no wait command).
if "$RECYCLEFS_BIN" wait --help >/dev/null 2>&1; then
	rfs_wait() {
		"$RECYCLEFS_BIN" --index "$IDX" wait "$MNT/.recyclebin/$1" >/dev/null
	}
else
	rfs_wait() {
		while :; do
			s=$(getfattr --only-values -n user.recyclefs.state \
				"$MNT/.recyclebin/$1" 2>/dev/null) || s=
			case $s in
			archived) return 0 ;;
			failed) bench_die "archive of $1 failed" ;;
			esac
			sleep 0.05
		done
	}
fi

# Record when each job state is first seen: "TIME STATE" lines.
poll_phases() {
	last=
	while :; do
		s=$(getfattr --only-values -n user.recyclefs.state "$1" 2>/dev/null) ||
			s=
		if [ -n "$s" ] && [ "$s" != "$last" ]; then
			echo "$EPOCHREALTIME $s"
			last=$s
		fi
		case $s in archived | failed) return 0 ;; esac
		sleep 0.1
	done
}

prepare() { # NAME: a fresh copy of the master as DATA/NAME, caches dropped
	rm -rf "${DATA:?}/$1" "$PEER"
	cp -a "$W/master/set" "$DATA/$1"
	mkdir -p "$PEER"
	sync
	[ "$DROP_CACHES" = 0 ] || bench_drop_caches
}

count_files() {
	find "$1" -type f | wc -l
}

: >"$W/runs.tsv"
: >"$W/phases.tsv"
record() { # METHOD RUN TOTAL SYNC MV
	printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$W/runs.tsv"
}
since() { # T0 T1: seconds between two $EPOCHREALTIME values
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b - a }'
}

run_recyclefs() {
	name=set-$1
	prepare "$name"
	t0=$EPOCHREALTIME
	mv "$EPOCH_DIR/$name" "$MNT/.recyclebin/"
	t1=$EPOCHREALTIME
	ppid_=
	if [ "$PHASES" = 1 ]; then
		poll_phases "$MNT/.recyclebin/$BIN_REL/$name" >"$W/phases.$1" &
		ppid_=$!
	fi
	rfs_wait "$BIN_REL/$name"
	t2=$EPOCHREALTIME
	sync
	t3=$EPOCHREALTIME
	if [ -n "$ppid_" ]; then
		sleep 0.3
		kill "$ppid_" 2>/dev/null || true
		wait "$ppid_" 2>/dev/null || true
		awk -v t0="$t0" -v r="$1" '{ printf "%s\t%s\t%.4f\n", r, $2, $1 - t0 }' \
			"$W/phases.$1" >>"$W/phases.tsv"
	fi
	[ ! -e "$DATA/$name" ] || bench_die "recyclefs left the source $DATA/$name"
	got=$(count_files "$BIN_STORE/$BIN_REL/$name")
	[ "$got" = "$FILES" ] || bench_die "recyclefs bin holds $got files, not $FILES"
	record recyclefs "$1" "$(since "$t0" "$t2")" "$(since "$t0" "$t3")" \
		"$(since "$t0" "$t1")"
	"$RECYCLEFS_BIN" --index "$IDX" purge ".recyclebin/$BIN_REL/$name" >/dev/null
}

run_peer() { # METHOD RUN
	name=set-$2
	src=$DATA/$name
	prepare "$name"
	t0=$EPOCHREALTIME
	case $1 in
	rsync) rsync -a "$src" "$PEER/" && rm -rf "$src" ;;
	cp) cp -a "$src" "$PEER/" && rm -rf "$src" ;;
	cpsha)
		cp -a "$src" "$PEER/" &&
			(cd "$src" && find . -type f -print0 | xargs -0 sha256sum) |
			(cd "$PEER/$name" && sha256sum --quiet -c -) &&
			rm -rf "$src" ;;
	esac
	t1=$EPOCHREALTIME
	sync
	t2=$EPOCHREALTIME
	got=$(count_files "$PEER/$name")
	[ "$got" = "$FILES" ] || bench_die "$1 copied $got files, not $FILES"
	[ ! -e "$src" ] || bench_die "$1 left the source"
	record "$1" "$2" "$(since "$t0" "$t1")" "$(since "$t0" "$t2")" ""
	rm -rf "$PEER"
}

read -r -a methods <<<"$METHODS"
nm=${#methods[@]}
for r in $(seq 1 "$RUNS"); do
	for i in $(seq 0 $((nm - 1))); do
		m=${methods[$(((i + r - 1) % nm))]}
		bench_log "round $r/$RUNS: $m"
		case $m in
		recyclefs) run_recyclefs "$r" ;;
		rsync | cp | cpsha) run_peer "$m" "$r" ;;
		*) bench_die "unknown method '$m'" ;;
		esac
		tail -n 1 "$W/runs.tsv" | awk -F'\t' '{ printf "  %s: %.2f s (%.2f s with sync)\n", $1, $3, $4 }' >&2
	done
done

# One untimed run under strace: what the daemon's threads call.
strace_txt=
if [ "$INSTRUMENT" = 1 ] && [[ " $METHODS " == *" recyclefs "* ]]; then
	if command -v strace >/dev/null 2>&1; then
		name=set-strace
		rm -rf "${DATA:?}/$name"
		mkdir -p "$DATA/$name"
		for d in $(cd "$W/master/set" && ls | head -n "$INSTRUMENT_DIRS"); do
			cp -a "$W/master/set/$d" "$DATA/$name/"
		done
		ifiles=$(count_files "$DATA/$name")
		sync
		bench_log "instrumented run: $ifiles files under strace -f -c"
		strace -f -c -o "$W/strace.txt" -p "$RFS_PID" 2>/dev/null &
		spid=$!
		bench_track_pid "$spid"
		sleep 1
		mv "$EPOCH_DIR/$name" "$MNT/.recyclebin/"
		rfs_wait "$BIN_REL/$name"
		kill -INT "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
		strace_txt=$W/strace.txt
		cp "$strace_txt" "$RESULTS_DIR/$BENCH_STAMP-archive-strace.txt"
	else
		bench_log "strace not installed: no instrumented run"
	fi
fi

# --- the report ------------------------------------------------------------

stat_of() { # METHOD COLUMN(3 total, 4 +sync, 5 mv) -> "mean sd min max n"
	awk -F'\t' -v m="$1" -v c="$2" '
		$1 == m && $c != "" { n++; s += $c; q += $c * $c
			if (n == 1 || $c < lo) lo = $c; if (n == 1 || $c > hi) hi = $c }
		END { if (!n) exit; mu = s / n; v = q / n - mu * mu
			printf "%.4f %.4f %.4f %.4f %d\n", mu, (v > 0 ? sqrt(v * n / (n > 1 ? n - 1 : 1)) : 0), lo, hi, n }' \
		"$W/runs.tsv"
}

report() {
	cat "$W/machine.txt"
	echo "data       : $FILES files x $FILE_BYTES B = $TOTAL_MIB MiB in $DIRS folders (random bytes), one filesystem"
	echo "runs       : $RUNS per method, interleaved; caches dropped before each: $([ "$DROP_CACHES" = 0 ] && echo no || echo yes)"
	echo "recyclefs  : jobs.parallel_files=${PARALLEL_FILES:-default (4)}; mount -f -v"
	echo
	printf '%-10s %-9s %-9s %-9s %-9s %-11s %-9s %-12s %s\n' method mean sd min max MiB/s +sync \
		"time/rfs" "verifies"
	rfs_mean=$(stat_of recyclefs 3 | cut -d' ' -f1)
	for m in $METHODS; do
		read -r mu sd lo hi n <<<"$(stat_of "$m" 3)" || continue
		smu=$(stat_of "$m" 4 | cut -d' ' -f1)
		case $m in
		recyclefs) v="SHA-256 of source and copy; fsync per file" ;;
		cpsha) v="SHA-256 of source and copy (sha256sum -c)" ;;
		*) v="nothing (no checksum, no fsync)" ;;
		esac
		printf '%-10s %-9s %-9s %-9s %-9s %-11s %-9s %-12s %s\n' "$m" \
			"$(bench_secs "$mu")" "$(bench_secs "$sd")" \
			"$(bench_secs "$lo")" "$(bench_secs "$hi")" \
			"$(bench_mibs "$TOTAL_MIB" "$mu" | cut -d' ' -f1)" \
			"$(bench_secs "$smu")" "$(bench_ratio "$mu" "$rfs_mean")x" "$v"
	done
	echo
	if [ -n "$rfs_mean" ]; then
		for m in rsync cp cpsha; do
			mu=$(stat_of "$m" 3 | cut -d' ' -f1)
			[ -n "$mu" ] || continue
			r=$(bench_ratio "$mu" "$rfs_mean")
			smu=$(stat_of "$m" 4 | cut -d' ' -f1)
			rs=$(bench_ratio "$smu" "$(stat_of recyclefs 4 | cut -d' ' -f1)")
			g=
			[ "$m" = rsync ] && g=$(awk -v r="$r" 'BEGIN { ok = r != "-" && r >= 2
				print "   goal >= 2x: " (ok ? "met" : "MISSED") }')
			echo "ratio $m+rm / recyclefs: ${r}x (with sync: ${rs}x)$g"
		done
		mv_mean=$(stat_of recyclefs 5 | cut -d' ' -f1)
		echo "recyclefs: mv returns in $(bench_secs "$mv_mean"); throughput $(bench_mibs "$TOTAL_MIB" "$rfs_mean") ($FILES files in $(bench_secs "$rfs_mean"), $(awk -v f="$FILES" -v t="$rfs_mean" 'BEGIN { printf "%.0f", f / t }') files/s)"
	fi
	if [ -s "$W/phases.tsv" ]; then
		echo
		echo "recyclefs job states, seconds after mv (first seen, polling every 0.1 s; mean of runs):"
		awk -F'\t' '{ s[$2] += $3; n[$2]++; if (!($2 in o)) { o[$2] = ++k; name[k] = $2 } }
			END { for (i = 1; i <= k; i++) printf "  %-10s %6.2f s\n", name[i], s[name[i]] / n[name[i]] }' \
			"$W/phases.tsv"
	fi
	echo
	echo "how recyclefs copied each file (daemon debug log, all runs):"
	grep -o 'bytes, [a-z_/]*): done' "$LOG" | sed 's/bytes, //; s/): done//' |
		sort | uniq -c | awk '{ printf "  %-18s %d files\n", $2, $1 }'
	grep -q 'bytes, ' "$LOG" || echo "  (no copy lines in the log: streamed by core/sync.c, or logging changed)"
	if [ -n "$strace_txt" ]; then
		echo
		echo "daemon syscalls for $ifiles files ($INSTRUMENT_DIRS folders) under strace -f -c (calls, errors, per file):"
		awk -v n="$ifiles" 'NR > 2 && $1 !~ /^-/ && $NF != "total" {
				calls = $4; err = (NF == 6) ? $5 : 0
				printf "  %-18s %8d calls %7d errors %7.1f/file\n", $NF, calls, err, calls / n }' \
			"$strace_txt" | sort -k2 -n -r | head -n 14
		echo "  data-path calls (0 or absent: not used):"
		for c in copy_file_range ioctl sendfile splice read pread64 write pwrite64 fsync fdatasync; do
			awk -v c="$c" -v n="$ifiles" '$NF == c { e = (NF == 6) ? $5 : 0
				printf "    %-16s %7d calls %6d errors %6.1f/file\n", c, $4, e, $4 / n; f = 1 }
				END { if (!f) printf "    %-16s %7d calls\n", c, 0 }' "$strace_txt"
		done
	fi
	echo
	echo "per-run times: $RESULTS_DIR/$BENCH_STAMP-archive-runs.tsv"
}

cp "$W/runs.tsv" "$RESULTS_DIR/$BENCH_STAMP-archive-runs.tsv"
report | tee "$RESULTS_DIR/$BENCH_STAMP-archive-summary.txt"
