#!/usr/bin/env bash
# Archiving a folder: recyclefs (mv into .recyclebin, then `recyclefs wait`)
# against rsync -a + rm -rf, cp -a + rm -rf and a checksummed cp, all on the
# same filesystem.
#
# A master tree of FILES files of random bytes (SIZE_MB in all) in DIRS
# folders is made once; before every timed run it is copied (cp -a, not
# timed) into place as set-N, so every method starts from identical,
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
# `sync` that makes each method's result durable. "cpu" is the CPU time the
# method used (user + system: the daemon's for recyclefs), which the load
# of other processes on the machine disturbs less than the elapsed time.
#
# Each recyclefs (the build under test, and RECYCLEFS_BIN_ALT if given) has
# its own index, storage root and mount, all on the same filesystem. The
# mount runs with -f in the background (and -v, whose debug log tells how
# each file was copied: reflink, copy_file_range or read/write). A forking
# mount opens the index before fork(): SQLite's POSIX locks do not survive
# it, and the first other process that closes the index deletes the WAL
# under the daemon, after which `recyclefs wait` no longer sees new entries
# (see docs/performance.md). -f avoids that and costs nothing.
#
# INSTRUMENT=1 adds one untimed run of INSTRUMENT_DIRS folders under
# `strace -f -c` (syscall counts of the daemon: copy_file_range, fsync, ...).
#
# Environment (defaults in brackets):
#   FILES [10000] DIRS [100] SIZE_MB [1024] RUNS [3]
#   METHODS ["recyclefs rsync cp cpsha"] DROP_CACHES [1]
#   PARALLEL_FILES: recyclefs's jobs.parallel_files (default: its own, 4)
#   RECYCLEFS_BIN_ALT: "LABEL=PATH" (or PATH, labelled alt), another
#            recyclefs build, run as one more method
#   PHASES [1]: time the job's states by polling user.recyclefs.state
#   INSTRUMENT [1] INSTRUMENT_DIRS [10]
#   and RECYCLEFS_BIN, BENCH_TMP (the filesystem measured), RESULTS_DIR,
#   KEEP (see bench/lib.sh)
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
PEER_DATA=$W/peer/t/raw
PEER=$W/peer/.peer-bin
BIN_REL=$BENCH_TABLE/$BENCH_LIFECYCLE/$BENCH_EPOCH
[ "$DROP_CACHES" = 0 ] || [ -n "$BENCH_DROP" ] ||
	bench_die "cannot drop caches; run as root or with DROP_CACHES=0"

ALT_LABEL=
if [ -n "${RECYCLEFS_BIN_ALT:-}" ]; then
	ALT_LABEL=alt
	ALT_BIN=$RECYCLEFS_BIN_ALT
	case $ALT_BIN in *=*) ALT_LABEL=${ALT_BIN%%=*} ALT_BIN=${ALT_BIN#*=} ;; esac
	[ -x "$ALT_BIN" ] || bench_die "RECYCLEFS_BIN_ALT: '$ALT_BIN' is not executable"
	METHODS="$METHODS $ALT_LABEL"
fi

bench_machine "$W" | tee "$W/machine.txt" >&2

bench_log "creating the master tree: $FILES files of $FILE_BYTES B in $DIRS folders"
t0=$(date +%s)
mkdir -p "$W/master" "$PEER_DATA"
bench_make_tree "$W/master/set" "$DIRS" "$PER_DIR" "$FILE_BYTES" "$FILE_BYTES"
sync
bench_log "master ready in $(($(date +%s) - t0)) s"

# One recyclefs: LABEL's binary, index, storage, mount, log and daemon pid.
declare -A R_BIN R_IDX R_MNT R_LOG R_PID R_DATA
setup_rfs() { # LABEL BIN
	d=$W/$1
	R_BIN[$1]=$2 R_IDX[$1]=$d/index.db R_MNT[$1]=$d/mnt R_LOG[$1]=$d/recyclefs.log
	R_DATA[$1]=$d/store/t/raw
	mkdir -p "${R_DATA[$1]}"
	bench_catalog "${R_IDX[$1]}" "$d/store" t/raw
	if [ -n "${PARALLEL_FILES:-}" ]; then
		"$2" --index "${R_IDX[$1]}" config set jobs.parallel_files \
			"$PARALLEL_FILES" >/dev/null
	fi
	bench_mount_recyclefs_fg "$2" "${R_IDX[$1]}" "${R_MNT[$1]}" "${R_LOG[$1]}"
	R_PID[$1]=$BENCH_FG_PID
	[ -d "$(bench_epoch_dir "${R_MNT[$1]}")" ] ||
		bench_die "no epoch directory in ${R_MNT[$1]}"
}
is_rfs() {
	[ "$1" = recyclefs ] || { [ -n "$ALT_LABEL" ] && [ "$1" = "$ALT_LABEL" ]; }
}
for m in $METHODS; do
	[ "$m" = recyclefs ] && setup_rfs recyclefs "$RECYCLEFS_BIN"
	[ -n "$ALT_LABEL" ] && [ "$m" = "$ALT_LABEL" ] && setup_rfs "$m" "$ALT_BIN"
done

# rfs_wait LABEL BINPATH: until the entry is archived (recyclefs wait, or
# polling its state where the binary has no wait command).
rfs_wait() {
	if "${R_BIN[$1]}" wait --help >/dev/null 2>&1; then
		"${R_BIN[$1]}" --index "${R_IDX[$1]}" wait \
			"${R_MNT[$1]}/.recyclebin/$2" >/dev/null
		return
	fi
	while :; do
		s=$(getfattr --only-values -n user.recyclefs.state \
			"${R_MNT[$1]}/.recyclebin/$2" 2>/dev/null) || s=
		case $s in
		archived) return 0 ;;
		failed) bench_die "archive of $2 failed" ;;
		esac
		sleep 0.05
	done
}

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

# CPU seconds (user + system) a process has used, all threads.
cpu_of() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.4f", ($12 + $13) / hz }' \
		"/proc/$1/stat"
}

prepare() { # DATA NAME: a fresh copy of the master as DATA/NAME, caches dropped
	rm -rf "${1:?}/$2" "$PEER"
	cp -a "$W/master/set" "$1/$2"
	mkdir -p "$PEER"
	sync
	[ "$DROP_CACHES" = 0 ] || bench_drop_caches
}

count_files() {
	find "$1" -type f | wc -l
}

: >"$W/runs.tsv"
: >"$W/phases.tsv"
record() { # METHOD RUN TOTAL +SYNC MV CPU
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$W/runs.tsv"
}
since() { # T0 T1: seconds between two $EPOCHREALTIME values
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b - a }'
}

run_recyclefs() { # LABEL RUN
	l=$1 name=set-$2
	mnt=${R_MNT[$l]}
	prepare "${R_DATA[$l]}" "$name"
	c0=$(cpu_of "${R_PID[$l]}")
	t0=$EPOCHREALTIME
	mv "$(bench_epoch_dir "$mnt")/$name" "$mnt/.recyclebin/"
	t1=$EPOCHREALTIME
	ppid_=
	if [ "$PHASES" = 1 ]; then
		poll_phases "$mnt/.recyclebin/$BIN_REL/$name" >"$W/phases.$l.$2" &
		ppid_=$!
	fi
	rfs_wait "$l" "$BIN_REL/$name"
	t2=$EPOCHREALTIME
	c1=$(cpu_of "${R_PID[$l]}")
	sync
	t3=$EPOCHREALTIME
	if [ -n "$ppid_" ]; then
		sleep 0.3
		kill "$ppid_" 2>/dev/null || true
		wait "$ppid_" 2>/dev/null || true
		awk -v t0="$t0" -v m="$l" '{ printf "%s\t%s\t%.4f\n", m, $2, $1 - t0 }' \
			"$W/phases.$l.$2" >>"$W/phases.tsv"
	fi
	[ ! -e "${R_DATA[$l]}/$name" ] || bench_die "$l left the source"
	got=$(count_files "$W/$l/store/.recyclebin/$BIN_REL/$name")
	[ "$got" = "$FILES" ] || bench_die "$l bin holds $got files, not $FILES"
	record "$l" "$2" "$(since "$t0" "$t2")" "$(since "$t0" "$t3")" \
		"$(since "$t0" "$t1")" "$(since "$c0" "$c1")"
	"${R_BIN[$l]}" --index "${R_IDX[$l]}" purge ".recyclebin/$BIN_REL/$name" >/dev/null
}

run_peer() { # METHOD RUN
	name=set-$2
	src=$PEER_DATA/$name
	prepare "$PEER_DATA" "$name"
	TIMEFORMAT='%R %U %S'
	t0=$EPOCHREALTIME
	{ time {
		case $1 in
		rsync) rsync -a "$src" "$PEER/" && rm -rf "$src" ;;
		cp) cp -a "$src" "$PEER/" && rm -rf "$src" ;;
		cpsha)
			cp -a "$src" "$PEER/" &&
				(cd "$src" && find . -type f -print0 | xargs -0 sha256sum) |
				(cd "$PEER/$name" && sha256sum --quiet -c -) &&
				rm -rf "$src" ;;
		esac
	}; } 2>"$W/time.out"
	t1=$EPOCHREALTIME
	sync
	t2=$EPOCHREALTIME
	cpu=$(tail -n 1 "$W/time.out" | awk '{ printf "%.4f", $2 + $3 }')
	got=$(count_files "$PEER/$name")
	[ "$got" = "$FILES" ] || bench_die "$1 copied $got files, not $FILES"
	[ ! -e "$src" ] || bench_die "$1 left the source"
	record "$1" "$2" "$(since "$t0" "$t1")" "$(since "$t0" "$t2")" "" "$cpu"
	rm -rf "$PEER"
}

read -r -a methods <<<"$METHODS"
nm=${#methods[@]}
for r in $(seq 1 "$RUNS"); do
	for i in $(seq 0 $((nm - 1))); do
		m=${methods[$(((i + r - 1) % nm))]}
		bench_log "round $r/$RUNS: $m"
		case $m in
		rsync | cp | cpsha) run_peer "$m" "$r" ;;
		*)
			is_rfs "$m" || bench_die "unknown method '$m'"
			run_recyclefs "$m" "$r" ;;
		esac
		tail -n 1 "$W/runs.tsv" | awk -F'\t' '{ printf "  %s: %.2f s (%.2f s with sync), cpu %.2f s\n", $1, $3, $4, $6 }' >&2
	done
done

# One untimed run under strace: what the daemon's threads call.
strace_txt=
if [ "$INSTRUMENT" = 1 ] && [ -n "${R_PID[recyclefs]:-}" ]; then
	if command -v strace >/dev/null 2>&1; then
		name=set-strace
		data=${R_DATA[recyclefs]}
		rm -rf "${data:?}/$name"
		mkdir -p "$data/$name"
		for d in $(cd "$W/master/set" && ls | head -n "$INSTRUMENT_DIRS"); do
			cp -a "$W/master/set/$d" "$data/$name/"
		done
		ifiles=$(count_files "$data/$name")
		sync
		bench_log "instrumented run: $ifiles files under strace -f -c"
		strace -f -c -o "$W/strace.txt" -p "${R_PID[recyclefs]}" 2>/dev/null &
		spid=$!
		bench_track_pid "$spid"
		sleep 1
		mv "$(bench_epoch_dir "${R_MNT[recyclefs]}")/$name" \
			"${R_MNT[recyclefs]}/.recyclebin/"
		rfs_wait recyclefs "$BIN_REL/$name"
		kill -INT "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
		strace_txt=$W/strace.txt
		cp "$strace_txt" "$RESULTS_DIR/$BENCH_STAMP-archive-strace.txt"
	else
		bench_log "strace not installed: no instrumented run"
	fi
fi

# --- the report ------------------------------------------------------------

stat_of() { # METHOD COLUMN(3 total, 4 +sync, 5 mv, 6 cpu) -> "mean sd min max n"
	awk -F'\t' -v m="$1" -v c="$2" '
		$1 == m && $c != "" { n++; s += $c; q += $c * $c
			if (n == 1 || $c < lo) lo = $c; if (n == 1 || $c > hi) hi = $c }
		END { if (!n) exit; mu = s / n; v = q / n - mu * mu
			printf "%.4f %.4f %.4f %.4f %d\n", mu, (v > 0 ? sqrt(v * n / (n > 1 ? n - 1 : 1)) : 0), lo, hi, n }' \
		"$W/runs.tsv"
}
mean_of() {
	stat_of "$1" "$2" | cut -d' ' -f1
}

report() {
	cat "$W/machine.txt"
	echo "data       : $FILES files x $FILE_BYTES B = $TOTAL_MIB MiB in $DIRS folders (random bytes), one filesystem"
	echo "runs       : $RUNS per method, interleaved; caches dropped before each: $([ "$DROP_CACHES" = 0 ] && echo no || echo yes)"
	echo "recyclefs  : jobs.parallel_files=${PARALLEL_FILES:-default (4)}; mount -f -v${ALT_LABEL:+; $ALT_LABEL = $ALT_BIN}"
	echo
	printf '%-10s %-9s %-9s %-9s %-9s %-7s %-9s %-9s %-9s %s\n' method mean sd min max MiB/s \
		+sync cpu "time/rfs" "verifies"
	rfs_mean=$(mean_of recyclefs 3)
	for m in $METHODS; do
		read -r mu sd lo hi n <<<"$(stat_of "$m" 3)" || continue
		case $m in
		cpsha) v="SHA-256 of source and copy (sha256sum -c)" ;;
		rsync | cp) v="nothing (no checksum, no fsync)" ;;
		*) v="SHA-256 of source and copy; fsync per file" ;;
		esac
		printf '%-10s %-9s %-9s %-9s %-9s %-7s %-9s %-9s %-9s %s\n' "$m" \
			"$(bench_secs "$mu")" "$(bench_secs "$sd")" \
			"$(bench_secs "$lo")" "$(bench_secs "$hi")" \
			"$(bench_mibs "$TOTAL_MIB" "$mu" | cut -d' ' -f1)" \
			"$(bench_secs "$(mean_of "$m" 4)")" \
			"$(bench_secs "$(mean_of "$m" 6)")" \
			"$(bench_ratio "$mu" "$rfs_mean")x" "$v"
	done
	echo
	if [ -n "$rfs_mean" ]; then
		for m in rsync cp cpsha; do
			mu=$(mean_of "$m" 3)
			[ -n "$mu" ] || continue
			r=$(bench_ratio "$mu" "$rfs_mean")
			rs=$(bench_ratio "$(mean_of "$m" 4)" "$(mean_of recyclefs 4)")
			rmin=$(bench_ratio "$(stat_of "$m" 3 | cut -d' ' -f3)" \
				"$(stat_of recyclefs 3 | cut -d' ' -f3)")
			g=
			[ "$m" = rsync ] && g=$(awk -v r="$r" 'BEGIN { ok = r != "-" && r >= 2
				print "   goal >= 2x: " (ok ? "met" : "MISSED") }')
			echo "ratio $m+rm / recyclefs: ${r}x (best runs: ${rmin}x; with sync: ${rs}x)$g"
		done
		if [ -n "$ALT_LABEL" ] && [ -n "$(mean_of "$ALT_LABEL" 3)" ]; then
			echo "ratio recyclefs / $ALT_LABEL: $(bench_ratio "$rfs_mean" "$(mean_of "$ALT_LABEL" 3)")x; rsync+rm / $ALT_LABEL: $(bench_ratio "$(mean_of rsync 3)" "$(mean_of "$ALT_LABEL" 3)")x"
		fi
		for m in $METHODS; do
			is_rfs "$m" || continue
			mu=$(mean_of "$m" 3)
			echo "$m: mv returns in $(bench_secs "$(mean_of "$m" 5)"); throughput $(bench_mibs "$TOTAL_MIB" "$mu") ($FILES files in $(bench_secs "$mu"), $(awk -v f="$FILES" -v t="$mu" 'BEGIN { printf "%.0f", f / t }') files/s)"
		done
	fi
	if [ -s "$W/phases.tsv" ]; then
		echo
		echo "job states, seconds after mv (first seen, polling every 0.1 s; mean of runs):"
		awk -F'\t' '{ k = $1 " " $2; s[k] += $3; n[k]++ }
			END { for (k in s) { split(k, p, " ")
				printf "  %-10s %-10s %6.2f s\n", p[1], p[2], s[k] / n[k] } }' \
			"$W/phases.tsv" | sort -k1,1 -k3,3n
	fi
	echo
	echo "how recyclefs copied each file (daemon debug log, all runs):"
	for m in $METHODS; do
		is_rfs "$m" || continue
		grep -o 'bytes, [a-z_/]*): done' "${R_LOG[$m]}" |
			sed 's/bytes, //; s/): done//' | sort | uniq -c |
			awk -v m="$m" '{ printf "  %-10s %-18s %d files\n", m, $2, $1 }'
		grep -q 'bytes, ' "${R_LOG[$m]}" ||
			echo "  $m: no copy lines in the log (streamed by core/sync.c?)"
	done
	if [ -n "$strace_txt" ]; then
		echo
		echo "daemon syscalls for $ifiles files ($INSTRUMENT_DIRS folders) under strace -f -c (calls, errors, per file):"
		awk -v n="$ifiles" 'NR > 2 && $1 !~ /^-/ && $NF != "total" {
				calls = $4; err = (NF == 6) ? $5 : 0
				printf "  %-18s %8d calls %7d errors %7.1f/file\n", $NF, calls, err, calls / n }' \
			"$strace_txt" | sort -k2 -n -r | head -n 14
		echo "  data-path calls (0: not used):"
		for c in copy_file_range ioctl sendfile splice read pread64 write pwrite64 fsync fdatasync syncfs; do
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
