#!/usr/bin/env bash
# Browsing and reading through recyclefs, against the native filesystem and
# bindfs (a passthrough FUSE peer) over the same directory.
#
# One local epoch holds FOLDERS x FILES_PER_FOLDER small files (2-8 KiB) and
# one BIG_MB file. It is read three ways: natively, through a recyclefs mount
# of a fresh index (one storage, table, lifecycle and epoch), and through
# bindfs. hyperfine measures, in one run per scenario:
#   stat-warm  find DIR -printf '%s %T@\n'  (every entry's size and mtime)
#   stat-cold  the same after 'sync; echo 3 > /proc/sys/vm/drop_caches'
#   read-warm  cat BIG > /dev/null, from the page cache
#   read-cold  the same after dropping the caches
#   untar      tar xf of UNTAR_FILES small files (2-8 KiB) into a new folder
#              of the epoch (create-heavy: mkdir, create, write, utimens)
# "Cold" drops the page cache, dentries and inodes of every filesystem,
# FUSE mounts included (the kernel FORGETs their inodes), before each run:
# the daemons stay up with their own state (recyclefs: the catalog and the
# opened backends; libfuse: its node table), which a user also has after
# the first minute of a mount. No remount.
#
# Each option set in OPT_SETS gets its own recyclefs mount, measured in the
# same hyperfine runs. A build with FUSE passthrough (libfuse >= 3.17)
# passes reads to the kernel where the kernel offers it: the report says
# which mount does (from its daemon's log), and the read goal of a mount
# with passthrough is 0.95x of native throughput (0.85x without);
# OPT_SETS="passthrough=off" measures the same build without it. RECYCLEFS_BIN_ALT adds other binaries (patched
# builds, say), each with its default options and with each option set.
#
# Environment (defaults in brackets):
#   FOLDERS [400] FILES_PER_FOLDER [250] BIG_MB [1024]
#   RUNS [5] WARMUP [1] COLD_RUNS [3]
#   UNTAR_FILES [20000]
#   OPT_SETS ["cache_timeout=60"]: ';'-separated -o sets;
#            empty for defaults only
#   RECYCLEFS_BIN_ALT: more recyclefs binaries to compare, ';'-separated,
#            each "LABEL=PATH" or "PATH" (labelled alt1, alt2, ...)
#   SCENARIOS ["stat-warm stat-cold read-warm read-cold untar"]
#   SAME_SESSION [0]: 1 runs each recyclefs mount with -f in the background
#            instead of letting it fork (both stay in this script's session,
#            so in its scheduler autogroup; a recyclefs binary older than
#            the change to its daemonizing takes a session of its own when
#            it forks, and each request then waits for the scheduler to
#            reach that group: see docs/performance.md)
#   BINDFS [1 when bindfs is installed]: 0 leaves bindfs out
#   and RECYCLEFS_BIN, BENCH_TMP, RESULTS_DIR, KEEP (see bench/lib.sh)
# Quick run: FOLDERS=40 BIG_MB=128 RUNS=3 bench/browse.sh
set -eu

. "$(dirname "$0")/lib.sh"

FOLDERS=${FOLDERS:-400}
FILES_PER_FOLDER=${FILES_PER_FOLDER:-250}
BIG_MB=${BIG_MB:-1024}
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
COLD_RUNS=${COLD_RUNS:-3}
UNTAR_FILES=${UNTAR_FILES:-20000}
OPT_SETS=${OPT_SETS-cache_timeout=60}
SCENARIOS=${SCENARIOS:-stat-warm stat-cold read-warm read-cold untar}
if [ -z "${BINDFS:-}" ]; then
	BINDFS=0
	command -v bindfs >/dev/null && BINDFS=1
fi
BENCH_NAME=browse

bench_need hyperfine python3 findmnt fusermount3
[ "$BINDFS" = 0 ] || bench_need bindfs
bench_init browse
W=$BENCH_WORK
DATA=$W/store/t/raw
NFILES=$((FOLDERS * FILES_PER_FOLDER))

bench_machine "$W" | tee "$W/machine.txt" >&2

bench_log "creating $NFILES small files in $FOLDERS folders and a $BIG_MB MiB file"
t0=$(date +%s)
bench_make_tree "$DATA" "$FOLDERS" "$FILES_PER_FOLDER" 2048 8192
bench_make_file "$DATA/big.bin" "$BIG_MB"
case " $SCENARIOS " in *" untar "*)
	ufolders=$(((UNTAR_FILES + 249) / 250))
	bench_make_tree "$W/untar-src" "$ufolders" 250 2048 8192
	tar cf "$W/untar.tar" -C "$W/untar-src" .
	rm -rf "$W/untar-src" ;;
esac
sync
bench_log "data ready in $(($(date +%s) - t0)) s"

bench_catalog "$W/index.db" "$W/store" t/raw

# The contenders: NAME<TAB>DIR (the epoch's data as that contender shows it).
: >"$W/contenders.tsv"
add() { printf '%s\t%s\n' "$1" "$2" >>"$W/contenders.tsv"; }
add native "$DATA"

n=0
: >"$W/logs.tsv"
mount_rfs() { # NAME BIN OPTS
	n=$((n + 1))
	if [ "${SAME_SESSION:-0}" = 1 ]; then
		mkdir -p "$W/mnt/rfs$n"
		"$2" --index "$W/index.db" mount "$W/mnt/rfs$n" -f \
			${3:+-o "$3"} >"$W/rfs$n.log" 2>&1 &
		bench_track_pid $!
		bench_track_mount "$W/mnt/rfs$n"
		for _ in $(seq 1 100); do
			bench_is_mounted "$W/mnt/rfs$n" && break
			sleep 0.1
		done
	else
		bench_mount_recyclefs "$2" "$W/index.db" "$W/mnt/rfs$n" \
			"$W/rfs$n.log" "$3"
	fi
	bench_is_mounted "$W/mnt/rfs$n" || bench_die "recyclefs did not mount"
	add "$1" "$(bench_epoch_dir "$W/mnt/rfs$n")"
	printf '%s\t%s\n' "$1" "$W/rfs$n.log" >>"$W/logs.tsv"
}
mount_variants() { # LABEL BIN
	mount_rfs "$1" "$2" ""
	old_ifs=$IFS
	IFS=';'
	for o in $OPT_SETS; do
		IFS=$old_ifs
		[ -n "$o" ] && mount_rfs "$1 -o $o" "$2" "$o"
		IFS=';'
	done
	IFS=$old_ifs
}
mount_variants recyclefs "$RECYCLEFS_BIN"
if [ -n "${RECYCLEFS_BIN_ALT:-}" ]; then
	k=0
	old_ifs=$IFS
	IFS=';'
	set -f
	alts=($RECYCLEFS_BIN_ALT)
	set +f
	IFS=$old_ifs
	for a in "${alts[@]}"; do
		[ -n "$a" ] || continue
		k=$((k + 1))
		label=alt$k
		case $a in *=*) label=${a%%=*} a=${a#*=} ;; esac
		[ -x "$a" ] || bench_die "RECYCLEFS_BIN_ALT: '$a' is not executable"
		mount_variants "$label" "$a"
	done
fi
if [ "$BINDFS" != 0 ]; then
	mkdir -p "$W/mnt/bindfs"
	bindfs "$DATA" "$W/mnt/bindfs"
	bench_track_mount "$W/mnt/bindfs"
	add bindfs "$W/mnt/bindfs"
fi

# Sanity: every contender sees the same entries.
want=$(find "$DATA" | wc -l)
while IFS='	' read -r name dir; do
	got=$(find "$dir" | wc -l)
	[ "$got" = "$want" ] || bench_die "$name shows $got entries, native $want"
done <"$W/contenders.tsv"
bench_log "all contenders show $want entries"

# Passthrough, as each recyclefs daemon logged it at init (done by now).
: >"$W/passthrough.tsv"
while IFS='	' read -r name log; do
	pt=off
	grep -q 'passthrough of local files: on' "$log" && pt=on
	printf '%s\t%s\n' "$name" "$pt" >>"$W/passthrough.tsv"
done <"$W/logs.tsv"
pt_of() { awk -F'\t' -v n="$1" '$1 == n { print $2 }' "$W/passthrough.tsv"; }

# Read-ahead of each FUSE mount (its kernel device's read_ahead_kb; a
# recyclefs daemon run as root raises it at init).
: >"$W/readahead.tsv"
while IFS='	' read -r name dir; do
	[ "$name" = native ] && continue
	mm=$(findmnt -n -o MAJ:MIN -T "$dir" 2>/dev/null | tr -d ' ')
	ra=$(cat "/sys/class/bdi/$mm/read_ahead_kb" 2>/dev/null || echo '?')
	printf '%s\t%s KiB\n' "$name" "$ra" >>"$W/readahead.tsv"
done <"$W/contenders.tsv"

# run SCENARIO HYPERFINE_OPTS... -- COMMAND_TEMPLATE ({} is the directory)
run() {
	scen=$1
	shift
	opts=()
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	tmpl=$2
	cmds=()
	while IFS='	' read -r name dir; do
		cmds+=(-n "$name" "${tmpl//\{\}/$dir}")
	done <"$W/contenders.tsv"
	bench_log "scenario $scen"
	bench_hyperfine "$scen" "${opts[@]}" "${cmds[@]}"
}

stat_cmd="find {} -printf '%s %T@\n' >/dev/null"
read_cmd="cat {}/big.bin >/dev/null"
# each run untars into a folder of its own (kept: the tree is made once)
untar_cmd='d={}/untar-$(date +%s%N) && mkdir "$d" && tar xf '"$W/untar.tar"' -C "$d"'
for s in $SCENARIOS; do
	case $s in
	stat-warm)
		run "$s" --warmup "$WARMUP" --runs "$RUNS" -- "$stat_cmd" ;;
	read-warm)
		run "$s" --warmup "$WARMUP" --runs "$RUNS" -- "$read_cmd" ;;
	untar)
		run "$s" --warmup 0 --runs "$COLD_RUNS" -- "$untar_cmd" ;;
	stat-cold | read-cold)
		if [ -z "$BENCH_DROP" ]; then
			bench_log "skipping $s: cannot drop caches"
			continue
		fi
		cmd=$stat_cmd
		[ "$s" = read-cold ] && cmd=$read_cmd
		run "$s" --warmup 0 --runs "$COLD_RUNS" --prepare "$BENCH_DROP" \
			-- "$cmd" ;;
	*) bench_die "unknown scenario '$s'" ;;
	esac
done

# --- the report ------------------------------------------------------------

report() {
	cat "$W/machine.txt"
	echo "data       : $NFILES files of 2-8 KiB in $FOLDERS folders + one $BIG_MB MiB file; untar: $UNTAR_FILES files"
	echo "runs       : warm --warmup $WARMUP --runs $RUNS; cold --runs $COLD_RUNS (caches dropped before each)"
	echo "passthrough: $(awk -F'\t' '{ printf "%s%s: %s", (NR > 1 ? "; " : ""), $1, $2 }' "$W/passthrough.tsv")"
	echo "read-ahead : $(awk -F'\t' '{ printf "%s%s: %s", (NR > 1 ? "; " : ""), $1, $2 }' "$W/readahead.tsv")"
	echo
	echo "Mean time per scenario (± stddev), and ratio to native (time; lower is better)"
	printf '%-52s' "contender"
	for s in $SCENARIOS; do printf ' %-24s' "$s"; done
	echo
	while IFS='	' read -r name dir; do
		printf '%-52s' "$name"
		for s in $SCENARIOS; do
			m=$(bench_get "$s" "$name" mean)
			sd=$(bench_get "$s" "$name" sd)
			nat=$(bench_get "$s" native mean)
			if [ -z "$m" ]; then
				printf ' %-24s' "-"
			else
				printf ' %-24s' "$(bench_ratio "$m" "$nat")x $(bench_secs "$m") ±$(bench_secs "$sd")"
			fi
		done
		echo
	done <"$W/contenders.tsv"
	echo
	echo "Read throughput ($BIG_MB MiB file)"
	while IFS='	' read -r name dir; do
		printf '%-52s' "$name"
		for s in read-warm read-cold; do
			m=$(bench_get "$s" "$name" mean)
			printf ' %-10s %-16s' "$s" "$(bench_mibs "$BIG_MB" "$m")"
		done
		echo
	done <"$W/contenders.tsv"
	echo
	echo "Ratios (time; read goals are on throughput = native time / time)"
	printf '%-14s %-10s %-10s %-10s %-12s %-13s %-12s %s\n' scenario native \
		recyclefs bindfs rfs/native bindfs/native rfs/bindfs goal
	for s in $SCENARIOS; do
		nat=$(bench_get "$s" native mean)
		rfs=$(bench_get "$s" recyclefs mean)
		bfs=$(bench_get "$s" bindfs mean)
		[ -n "$nat" ] || continue
		r=$(bench_ratio "$rfs" "$nat")
		case $s in
		stat-warm | stat-cold | untar)
			lim=1.1
			[ "$s" = stat-cold ] && lim=1.3
			[ "$s" = untar ] && lim=2
			g=$(awk -v r="$r" -v l="$lim" 'BEGIN { ok = r != "-" && r <= l
				print "<= " l "x: " (ok ? "met" : "MISSED") }') ;;
		read-*)
			lim=0.85
			[ "$(pt_of recyclefs)" = on ] && lim=0.95
			thr=$(bench_ratio "$nat" "$rfs")
			g=$(awk -v t="$thr" -v l="$lim" 'BEGIN {
				printf "thr %sx >= %sx: %s", t, l,
				(t != "-" && t >= l) ? "met" : "MISSED" }') ;;
		*) g="(no goal)" ;;
		esac
		printf '%-14s %-10s %-10s %-10s %-12s %-13s %-12s %s\n' "$s" \
			"$(bench_secs "$nat")" "$(bench_secs "$rfs")" \
			"$(bench_secs "$bfs")" "${r}x" \
			"$(bench_ratio "$bfs" "$nat")x" \
			"$(bench_ratio "$rfs" "$bfs")x" "$g"
	done
	if [ "$(wc -l <"$W/contenders.tsv")" -gt 3 ]; then
		echo
		echo "Options and builds against recyclefs with its defaults (time ratio; < 1 is faster)"
		while IFS='	' read -r name dir; do
			case $name in native | bindfs | recyclefs) continue ;; esac
			printf '%-52s' "$name"
			for s in $SCENARIOS; do
				printf ' %-10s %-8s' "$s" "$(bench_ratio \
					"$(bench_get "$s" "$name" mean)" \
					"$(bench_get "$s" recyclefs mean)")x"
			done
			echo
		done <"$W/contenders.tsv"
	fi
	echo
	echo "Load average (1 min) before/after each scenario (2 cores shared: noise)"
	awk -F'\t' '{ printf "  %-12s %s -> %s\n", $1, $2, $3 }' "$W/load.tsv"
	echo
	echo "hyperfine JSON: $RESULTS_DIR/$BENCH_STAMP-browse-*.json"
}

report | tee "$RESULTS_DIR/$BENCH_STAMP-browse-summary.txt"
