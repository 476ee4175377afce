#!/usr/bin/env bash
# S3: recyclefs against s3fs, rclone mount, rclone move and the aws command
# line over the same bucket of one S3 server, in one run.
#
#   ls        `ls -l` of a folder of LS_OBJECTS small objects through a
#             freshly mounted recyclefs (default attributes, then a
#             storage with attrs=listing), s3fs and `rclone mount` (cold:
#             each tool mounted anew before every run, so no cache of
#             theirs helps; recyclefs's kept attributes emptied), then
#             once more on the same mount (warm); recyclefs also mounted
#             a second time with the attributes the first mount kept
#             (remount)
#   read      sequential read of one READ_MIB MiB object: `cat` through
#             the recyclefs mount (mounted anew) against
#             `aws s3 cp s3://... -` and `rclone cat`
#   archive   ARCHIVE_FILES files, ARCHIVE_MIB MiB in all, in 20 folders:
#             `mv` into .recyclebin and `recyclefs wait` (server-side
#             copies, SHA-256 of source and copy, manifest, deletes)
#             against `rclone move` of the same tree to another prefix of
#             the bucket (server-side copies and deletes, rclone's
#             defaults: 4 transfers, 8 checkers)
#
# With a Ceph RGW (started here, or RGW_DIR=its scripts/rgw.sh folder),
# each timed run also counts the server's requests (its access log) and
# CPU time.
#
# Every object is uploaded by rclone before the timed runs (not timed), with
# rclone's mtime metadata, so each tool sees the same objects. The server
# is $RFS_TEST_S3_ENDPOINT when set (keys from AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY), else a Ceph RGW this script starts with
# scripts/servers.sh and stops at the end.
#
# Environment (defaults in brackets):
#   LS_OBJECTS [10000] READ_MIB [1024] ARCHIVE_FILES [2000]
#   ARCHIVE_MIB [500] RUNS [3] SCENARIOS ["ls read archive"]
#   LS_TOOLS ["recyclefs recyclefs-listing s3fs rclone"] the mounts the
#   ls scenario times (LS_TOOLS=recyclefs with S3_OPTS=&head_parallel=N
#   measures the HEADs in flight of a first listing)
#   PARALLEL_FILES [recyclefs's default] jobs.parallel_files of the archive
#   S3_OPTS [""] more options of recyclefs's storage URI, such as
#   "&read_part=4&read_parallel=8" (docs/s3.md)
#   PERF [""] 1: the daemon's CPU during each cold ls -l of recyclefs,
#   sampled with perf record (largest shares by function)
#   PROFILE [""] 1: the recyclefs mount of the archive logs every request
#   (-v) and each recyclefs archive is profiled from that log: per kind
#   of request its count, when the first and the last ended, the time
#   spent in them and how many were in flight on average and at most
#   (bench/s3-profile.py)
#   and RECYCLEFS_BIN, BENCH_TMP, RESULTS_DIR, KEEP (see bench/lib.sh)
# Quick run: LS_OBJECTS=1000 READ_MIB=100 ARCHIVE_FILES=200 ARCHIVE_MIB=50 \
#   RUNS=1 bench/s3.sh
set -eu

. "$(dirname "$0")/lib.sh"

LS_OBJECTS=${LS_OBJECTS:-10000}
READ_MIB=${READ_MIB:-1024}
ARCHIVE_FILES=${ARCHIVE_FILES:-2000}
ARCHIVE_MIB=${ARCHIVE_MIB:-500}
RUNS=${RUNS:-3}
SCENARIOS=${SCENARIOS:-ls read archive}
BENCH_NAME=s3

bench_need python3 rclone s3fs aws fusermount3 findmnt
bench_init s3
W=$BENCH_WORK

# --- the server --------------------------------------------------------------

if [ -z "${RFS_TEST_S3_ENDPOINT:-}" ]; then
	RFS_SERVERS_DIR=$W/servers
	mkdir -p "$RFS_SERVERS_DIR"
	(cd "$bench_top" && . scripts/servers.sh && servers_start_rgw) \
		>"$W/servers.out" 2>&1 || {
		cat "$W/servers.out" >&2
		bench_die "could not start Ceph RGW (scripts/deps.sh test installs it)"
	}
	RFS_TEST_S3_ENDPOINT=$(sed -n 's/^servers: RGW on \([^ ]*\).*/\1/p' \
		"$W/servers.out")
	stop_rgw() { (cd "$bench_top" && scripts/rgw.sh stop "$RFS_SERVERS_DIR/rgw") >/dev/null 2>&1 || true; }
	trap 'stop_rgw; bench_cleanup' EXIT
	AWS_ACCESS_KEY_ID=TESTAK AWS_SECRET_ACCESS_KEY=TESTSECRET
fi
EP=$RFS_TEST_S3_ENDPOINT
: "${AWS_ACCESS_KEY_ID:?set AWS_ACCESS_KEY_ID for $EP}"
: "${AWS_SECRET_ACCESS_KEY:?set AWS_SECRET_ACCESS_KEY for $EP}"
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION=${AWS_REGION:-us-east-1}
BUCKET=rfs-bench-$(date +%s)

# rclone and the aws cli with their configuration in the environment; they
# verify TLS against their own bundles, so AWS_CA_BUNDLE is dropped.
export RCLONE_CONFIG_RGW_TYPE=s3 RCLONE_CONFIG_RGW_PROVIDER=Ceph \
	RCLONE_CONFIG_RGW_ENDPOINT=$EP \
	RCLONE_CONFIG_RGW_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID \
	RCLONE_CONFIG_RGW_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \
	RCLONE_CONFIG=/dev/null
rcl() { env -u AWS_CA_BUNDLE rclone "$@"; }
awsc() {
	env -u AWS_CA_BUNDLE AWS_REQUEST_CHECKSUM_CALCULATION=when_required \
		AWS_RESPONSE_CHECKSUM_VALIDATION=when_required \
		aws --endpoint-url "$EP" "$@"
}

bench_machine "$W" | tee "$W/machine.txt" >&2
echo "s3 server  : $EP (bucket $BUCKET); $(rclone version 2>/dev/null | head -1); $(s3fs --version 2>&1 | head -1); $(aws --version 2>&1)" |
	tee -a "$W/machine.txt" >&2

rcl mkdir "rgw:$BUCKET"
# the machine's load average when the runs start (other work shares it)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$W/runs.tsv"
: >"$W/server.tsv"
: >"$W/daemon.tsv"

# What the server did for each timed run, when it is a Ceph RGW whose
# folder (scripts/rgw.sh's DIR) is known: the requests in its access log
# (the "beast:" lines of client.rgw.a.log) and the CPU time of its
# daemons (rgw, osd, mon; user + system). RGW_DIR names the folder of a
# server this script did not start.
RGW_DIR=${RGW_DIR:-${RFS_SERVERS_DIR:+$RFS_SERVERS_DIR/rgw}}
rgw_log=${RGW_DIR:+$RGW_DIR/log/client.rgw.a.log}
rgw_cpu() { # clock ticks of the server's daemons
	[ -n "$RGW_DIR" ] || { echo 0; return; }
	cat "$RGW_DIR"/run/*.pid 2>/dev/null | while read -r pid; do
		awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null
	done | awk '{ t += $1 } END { print t + 0 }'
}
server_mark() {
	mark_cpu=$(rgw_cpu)
	mark_log=$( [ -f "${rgw_log:-/nonexistent}" ] && stat -c %s "$rgw_log" || echo 0)
}
server_note() { # SCENARIO METHOD: requests and CPU since server_mark
	sleep 1 # the access log line comes after the answer
	reqs=0
	kinds=
	if [ -f "${rgw_log:-/nonexistent}" ]; then
		tail -c +"$((mark_log + 1))" "$rgw_log" |
			sed -n 's/.*beast: [^"]*"\([A-Z]*\) .*/\1/p' >"$W/req.tmp"
		reqs=$(wc -l <"$W/req.tmp")
		kinds=$(sort "$W/req.tmp" | uniq -c | awk '{ printf "%s%s %s", s, $1, $2; s = ", " }')
	fi
	cpu=$(awk -v a="$mark_cpu" -v b="$(rgw_cpu)" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.2f", (b - a) / hz }')
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$reqs" "$cpu" "$kinds" >>"$W/server.tsv"
}
# The CPU time (user + system) of the recyclefs daemon serving MOUNTPOINT
# since it started (a fresh mount: the cold ls -l and its mounting), and
# with PROFILE=1 the listing pages of its -v log (bench/s3-pages.py).
daemon_note() { # SCENARIO METHOD MOUNTPOINT
	case $2 in recyclefs*) ;; *) return 0 ;; esac
	pid=$(pgrep -f -- "mount $3 " | head -n 1)
	[ -n "$pid" ] || return 0
	awk -v s="$1" -v m="$2" -v hz="$(getconf CLK_TCK)" \
		'{ printf "%s\t%s\t%.2f\t%.2f\n", s, m, $14 / hz, $15 / hz }' \
		"/proc/$pid/stat" >>"$W/daemon.tsv"
	printf '  %s %s: daemon CPU %s s user, %s s system\n' \
		$(tail -n 1 "$W/daemon.tsv") >&2
	if [ -n "${PROFILE:-}" ] && [ "$2" = recyclefs ]; then
		tail -c +"$((${pages_log:-0} + 1))" "$W/recyclefs.log" |
			python3 "$bench_top/bench/s3-pages.py" data%2Fls%2F |
			tee -a "$W/profile.txt" >&2
		pages_log=$(stat -c %s "$W/recyclefs.log")
	fi
}
# PERF=1: the recyclefs daemon's cold ls -l sampled by perf (its own CPU
# by shared object and function, the 40 largest shares).
perf_start() { # TOOL MOUNTPOINT
	[ -n "${PERF:-}" ] && [ "$1" = recyclefs ] || return 0
	pid=$(pgrep -f -- "mount $2 " | head -n 1)
	perf record -F 1999 -p "$pid" -o "$W/perf.data" >/dev/null 2>&1 &
	perf_pid=$!
	sleep 1
}
perf_stop() {
	[ -n "${perf_pid:-}" ] || return 0
	kill -INT "$perf_pid"
	wait "$perf_pid" || true
	perf_pid=
	perf report -i "$W/perf.data" --no-children --sort dso,symbol --stdio \
		2>/dev/null | grep '%' | grep -v '^#' | head -n 40 |
		tee -a "$W/perf.txt" >&2
}
record() { # SCENARIO METHOD SECONDS
	printf '%s\t%s\t%s\n' "$@" >>"$W/runs.tsv"
	printf '  %s %s: %.3f s\n' "$@" >&2
}
since() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b - a }'
}

# --- the mounts ----------------------------------------------------------------

IDX=$W/index.db
IDXL=$W/index-listing.db
RMNT=$W/m-recyclefs
EPOCH_DIR=$RMNT/$BENCH_TABLE/$BENCH_LIFECYCLE/$BENCH_EPOCH
{
	"$RECYCLEFS_BIN" --index "$IDX" init
	"$RECYCLEFS_BIN" --index "$IDX" storage add s3 \
		"s3://$BUCKET?endpoint=$EP&path_style=1&region=$AWS_REGION${S3_OPTS:-}"
	"$RECYCLEFS_BIN" --index "$IDX" table add "$BENCH_TABLE"
	"$RECYCLEFS_BIN" --index "$IDX" lifecycle add "$BENCH_TABLE" \
		"$BENCH_LIFECYCLE"
	"$RECYCLEFS_BIN" --index "$IDX" epoch add "$BENCH_TABLE" \
		"$BENCH_LIFECYCLE" --from "$BENCH_FROM" --storage s3 --path data
	# the same objects with attributes from listings (attrs=listing), in
	# a catalog of its own: one folder is never two epochs of one catalog
	"$RECYCLEFS_BIN" --index "$IDXL" init
	"$RECYCLEFS_BIN" --index "$IDXL" storage add s3l \
		"s3://$BUCKET?endpoint=$EP&path_style=1&region=$AWS_REGION&attrs=listing"
	"$RECYCLEFS_BIN" --index "$IDXL" table add "$BENCH_TABLE"
	"$RECYCLEFS_BIN" --index "$IDXL" lifecycle add "$BENCH_TABLE" \
		"$BENCH_LIFECYCLE"
	"$RECYCLEFS_BIN" --index "$IDXL" epoch add "$BENCH_TABLE" \
		"$BENCH_LIFECYCLE" --from "$BENCH_FROM" --storage s3l --path data
	if [ -n "${PARALLEL_FILES:-}" ]; then
		"$RECYCLEFS_BIN" --index "$IDX" config set jobs.parallel_files \
			"$PARALLEL_FILES"
	fi
} >/dev/null

echo "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" >"$W/s3fs.passwd"
chmod 600 "$W/s3fs.passwd"

mount_tool() { # TOOL MOUNTPOINT
	mkdir -p "$2"
	case $1 in
	recyclefs)
		"$RECYCLEFS_BIN" --index "$IDX" ${PROFILE:+-v} mount "$2" \
			--log "$W/recyclefs.log" ;;
	recyclefs-listing)
		"$RECYCLEFS_BIN" --index "$IDXL" mount "$2" --log "$W/recyclefs-listing.log" ;;
	s3fs)
		s3fs "$BUCKET" "$2" -o url="$EP" -o use_path_request_style \
			-o passwd_file="$W/s3fs.passwd" -o endpoint="$AWS_REGION" ;;
	rclone)
		rcl mount "rgw:$BUCKET" "$2" --daemon --log-file "$W/rclone.log" ;;
	esac
	for _ in $(seq 1 100); do
		bench_is_mounted "$2" && break
		sleep 0.1
	done
	bench_is_mounted "$2" || bench_die "$1 did not mount on $2"
	bench_track_mount "$2"
}

# The folder of TOOL's mount that holds bucket prefix data/.
data_dir() { # TOOL MOUNTPOINT
	case $1 in
	recyclefs | recyclefs-listing)
		echo "$2/$BENCH_TABLE/$BENCH_LIFECYCLE/$BENCH_EPOCH" ;;
	*) echo "$2/data" ;;
	esac
}

# --- ls -l -------------------------------------------------------------------

scenario_ls() {
	bench_log "uploading $LS_OBJECTS objects to data/ls/"
	python3 - "$W/ls" "$LS_OBJECTS" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
os.makedirs(root)
for i in range(n):
    with open(os.path.join(root, "part-%05d.parquet" % i), "wb") as f:
        f.write(os.urandom(64 + i % 512))
PY
	t0=$(date +%s)
	rcl copy "$W/ls" "rgw:$BUCKET/data/ls" --transfers 32 --checkers 32
	bench_log "uploaded in $(($(date +%s) - t0)) s"
	for r in $(seq 1 "$RUNS"); do
		# a first mount knows nothing: its kept attributes start empty
		export RECYCLEFS_S3_ATTR_CACHE=$W/attrs-$r
		for tool in ${LS_TOOLS:-recyclefs recyclefs-listing s3fs rclone}; do
			mnt=$W/m-$tool
			mount_tool "$tool" "$mnt"
			dir=$(data_dir "$tool" "$mnt")/ls
			perf_start "$tool" "$mnt"
			server_mark
			t0=$EPOCHREALTIME
			n=$(ls -l "$dir" | grep -c parquet)
			t1=$EPOCHREALTIME
			perf_stop
			[ "$n" = "$LS_OBJECTS" ] || bench_die "$tool listed $n of $LS_OBJECTS"
			record ls-cold "$tool" "$(since "$t0" "$t1")"
			server_note ls-cold "$tool"
			daemon_note ls-cold "$tool" "$mnt"
			t0=$EPOCHREALTIME
			ls -l "$dir" >/dev/null
			t1=$EPOCHREALTIME
			record ls-warm "$tool" "$(since "$t0" "$t1")"
			bench_umount "$mnt"
			[ "$tool" = recyclefs ] || continue
			# a second mount: the attributes kept by the first
			mount_tool "$tool" "$mnt"
			server_mark
			t0=$EPOCHREALTIME
			n=$(ls -l "$dir" | grep -c parquet)
			t1=$EPOCHREALTIME
			[ "$n" = "$LS_OBJECTS" ] || bench_die "$tool listed $n of $LS_OBJECTS"
			record ls-remount "$tool" "$(since "$t0" "$t1")"
			server_note ls-remount "$tool"
			daemon_note ls-remount "$tool" "$mnt"
			bench_umount "$mnt"
		done
	done
}

# --- sequential read -------------------------------------------------------------

scenario_read() {
	bench_log "uploading one object of $READ_MIB MiB"
	bench_make_file "$W/big.bin" "$READ_MIB"
	want=$(sha256sum <"$W/big.bin" | cut -d' ' -f1)
	rcl copyto "$W/big.bin" "rgw:$BUCKET/data/big.bin"
	rm -f "$W/big.bin"
	for r in $(seq 1 "$RUNS"); do
		mnt=$W/m-recyclefs
		mount_tool recyclefs "$mnt"
		server_mark
		t0=$EPOCHREALTIME
		got=$(sha256sum <"$EPOCH_DIR/big.bin" | cut -d' ' -f1)
		t1=$EPOCHREALTIME
		server_note read recyclefs
		[ "$got" = "$want" ] || bench_die "recyclefs read other bytes"
		bench_umount "$mnt"
		record read recyclefs "$(since "$t0" "$t1")"
		server_mark
		t0=$EPOCHREALTIME
		got=$(awsc s3 cp "s3://$BUCKET/data/big.bin" - | sha256sum | cut -d' ' -f1)
		t1=$EPOCHREALTIME
		server_note read "aws s3 cp"
		[ "$got" = "$want" ] || bench_die "aws s3 cp read other bytes"
		record read "aws s3 cp" "$(since "$t0" "$t1")"
		server_mark
		t0=$EPOCHREALTIME
		got=$(rcl cat "rgw:$BUCKET/data/big.bin" | sha256sum | cut -d' ' -f1)
		t1=$EPOCHREALTIME
		server_note read "rclone cat"
		[ "$got" = "$want" ] || bench_die "rclone cat read other bytes"
		record read "rclone cat" "$(since "$t0" "$t1")"
	done
}

# --- archive -----------------------------------------------------------------------

count_objects() { # PREFIX
	rcl lsf -R --files-only "rgw:$BUCKET/$1" 2>/dev/null | wc -l
}

scenario_archive() {
	per=$((ARCHIVE_FILES / 20))
	bytes=$((ARCHIVE_MIB * 1048576 / (per * 20)))
	bench_log "making $((per * 20)) files of $bytes B"
	bench_make_tree "$W/set" 20 "$per" "$bytes" "$bytes"
	files=$((per * 20))
	mnt=$W/m-recyclefs
	mount_tool recyclefs "$mnt"
	for r in $(seq 1 "$RUNS"); do
		for method in recyclefs "rclone move"; do
			name=set-$r-${method%% *}
			rcl copy "$W/set" "rgw:$BUCKET/data/$name" --transfers 16
			[ "$(count_objects "data/$name")" = "$files" ] ||
				bench_die "upload of $name incomplete"
			server_mark
			log0=$(stat -c %s "$W/recyclefs.log" 2>/dev/null || echo 0)
			t0=$EPOCHREALTIME
			if [ "$method" = recyclefs ]; then
				mv "$EPOCH_DIR/$name" "$mnt/.recyclebin/"
				"$RECYCLEFS_BIN" --index "$IDX" wait \
					"$mnt/.recyclebin/$BENCH_TABLE/$BENCH_LIFECYCLE/$BENCH_EPOCH/$name" >/dev/null
				dst=.recyclebin
			else
				rcl move "rgw:$BUCKET/data/$name" "rgw:$BUCKET/peer/$name"
				dst=peer
			fi
			t1=$EPOCHREALTIME
			server_note archive "$method"
			[ "$(count_objects "data/$name")" = 0 ] ||
				bench_die "$method left objects at the source"
			got=$(rcl lsf -R --files-only "rgw:$BUCKET/$dst" | grep -c "$name/" || true)
			[ "$got" -ge "$files" ] ||
				bench_die "$method: $got objects at $dst, not $files"
			record archive "$method" "$(since "$t0" "$t1")"
			if [ -n "${PROFILE:-}" ] && [ "$method" = recyclefs ]; then
				tail -c +"$((log0 + 1))" "$W/recyclefs.log" |
					python3 "$bench_top/bench/s3-profile.py" \
						"$name" "$(since "$t0" "$t1")" |
					tee -a "$W/profile.txt" >&2
			fi
		done
	done
	bench_umount "$mnt"
}

for s in $SCENARIOS; do
	case $s in
	ls | read | archive) "scenario_$s" ;;
	*) bench_die "unknown scenario '$s'" ;;
	esac
done

# --- the report --------------------------------------------------------------------

mean_of() { # SCENARIO METHOD
	awk -F'\t' -v s="$1" -v m="$2" '$1 == s && $2 == m { t += $3; n++ }
		END { if (n) printf "%.4f", t / n }' "$W/runs.tsv"
}
goal() { # RATIO MIN
	awk -v r="$1" -v g="$2" 'BEGIN { if (r == "-") print "";
		else print "   goal >= " g "x: " (r >= g ? "met" : "MISSED") }'
}
report() {
	cat "$W/machine.txt"
	echo "runs       : $RUNS per method"
	echo "load before: $load0"
	echo "load after : $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; 2 CPUs shared)"
	echo
	if grep -q '^ls-' "$W/runs.tsv"; then
		echo "ls -l of $LS_OBJECTS objects (mean seconds; ratio = this / recyclefs):"
		echo "  (recyclefs-listing: a storage with attrs=listing, no HEAD per object)"
		for s in ls-cold ls-warm ls-remount; do
			rf=$(mean_of ls-cold recyclefs)
			for t in recyclefs recyclefs-listing s3fs rclone; do
				mu=$(mean_of "$s" "$t")
				[ -n "$mu" ] || continue
				printf '  %-8s %-18s %-9s %sx\n' "$s" "$t" "$(bench_secs "$mu")" \
					"$(bench_ratio "$mu" "$rf")"
			done
		done
		r=$(bench_ratio "$(mean_of ls-cold s3fs)" "$(mean_of ls-remount recyclefs)")
		echo "  second mount of recyclefs vs s3fs cold: ${r}x$(goal "$r" 20)"
		echo "  cold, peer / recyclefs (goal: 2x faster than both):"
		for t in recyclefs recyclefs-listing; do
			rf=$(mean_of ls-cold "$t")
			for p in s3fs rclone; do
				r=$(bench_ratio "$(mean_of ls-cold "$p")" "$rf")
				printf '    %-18s vs %-7s %sx%s\n' "$t" "$p" "$r" "$(goal "$r" 2)"
			done
		done
	fi
	if grep -q '^read' "$W/runs.tsv"; then
		echo "sequential read of $READ_MIB MiB (ratio = peer / recyclefs):"
		rf=$(mean_of read recyclefs)
		for t in recyclefs "aws s3 cp" "rclone cat"; do
			mu=$(mean_of read "$t")
			printf '  %-12s %-9s %-10s %sx\n' "$t" "$(bench_secs "$mu")" \
				"$(bench_mibs "$READ_MIB" "$mu")" "$(bench_ratio "$mu" "$rf")"
		done
	fi
	if grep -q '^archive' "$W/runs.tsv"; then
		echo "archive of $ARCHIVE_FILES files, $ARCHIVE_MIB MiB (ratio = peer / recyclefs):"
		rf=$(mean_of archive recyclefs)
		for t in recyclefs "rclone move"; do
			mu=$(mean_of archive "$t")
			r=$(bench_ratio "$mu" "$rf")
			g=
			[ "$t" != recyclefs ] && g=$(goal "$r" 1.5)
			printf '  %-12s %-9s %sx%s\n' "$t" "$(bench_secs "$mu")" "$r" "$g"
		done
	fi
	if [ -s "$W/server.tsv" ] && [ -n "$RGW_DIR" ]; then
		echo "the server, per run (mean): requests, RGW CPU time (rgw + osd + mon):"
		awk -F'\t' -v files="$ARCHIVE_FILES" '
			{ k = $1 "\t" $2; n[k]++; q[k] += $3; c[k] += $4; kinds[k] = $5
			  if (!(k in seen)) { seen[k] = 1; order[++m] = k } }
			END { for (i = 1; i <= m; i++) { k = order[i]; split(k, p, "\t")
				printf "  %-10s %-18s %8.0f requests %7.2f s CPU", p[1], p[2], q[k] / n[k], c[k] / n[k]
				if (p[1] == "archive") printf "  %.2f requests/file", q[k] / n[k] / files
				printf "  (%s)\n", kinds[k] } }' "$W/server.tsv"
	fi
	echo
	echo "per-run times: $RESULTS_DIR/$BENCH_STAMP-s3-runs.tsv"
}
cp "$W/runs.tsv" "$RESULTS_DIR/$BENCH_STAMP-s3-runs.tsv"
cp "$W/server.tsv" "$RESULTS_DIR/$BENCH_STAMP-s3-server.tsv"
report | tee "$RESULTS_DIR/$BENCH_STAMP-s3-summary.txt"
