#!/usr/bin/env bash
# Archiving a PostgreSQL partition: recyclefs (the archive job kind of a
# table: snapshot, server-side copy into the recyclebin schema, verify by
# row count and content hash, DETACH, DROP, manifest) against the tools a
# DBA reaches for: pg_dump -Fc -t of the partition, pg_restore of it into
# another schema (the ATTACH line left out), a row-count check of the
# restored table, then DROP TABLE of the partition.
#
# A private cluster of scripts/pg.sh (or the one RFS_TEST_PG_PORT names)
# holds public.orders, partitioned by month; before every timed run a
# fresh partition of ROWS rows is made (not timed), so both methods start
# from identical, freshly written data. Rounds run both methods once, in
# a rotating order. Timed:
#   recyclefs  recyclefs archive T/L/E/<partition> (the job runs to its
#              end in the command; through the mount, mv returns at once
#              and `recyclefs wait` returns when this same job ends)
#   pgdump     pg_dump -Fc -t public.<p> > F && pg_restore -f - F |
#              (no ATTACH, schema archive) psql && row count check &&
#              DROP TABLE public.<p>
# Both end with the partition gone from the parent and a copy in another
# schema of the same database; the script checks each copy's row count
# (count(*) of the copy, untimed) and, for recyclefs, that the job's
# entry and the manifest row are archived (so verify passed).
#
# With BEFORE_BIN set (another recyclefs binary, say the build of an
# older commit), a third method `before` archives with it the same way,
# with the same checks, in the same rounds: a change measured against
# the version before it under the same load. The load average (1 min)
# is recorded before and after every timed run.
#
# Environment (defaults in brackets): ROWS [1000000] RUNS [3]
#   BEFORE_BIN [none]  VERBOSE [0] (1: each archive runs with -v, its
#   log kept as archive-pN.log in the results directory)
#   and RECYCLEFS_BIN, BENCH_TMP, RESULTS_DIR, KEEP (see bench/lib.sh)
# Quick run: ROWS=100000 RUNS=1 bench/postgres.sh
set -eu
. "$(dirname "$0")/lib.sh"
. "$bench_top/scripts/pg.sh"

ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}

bench_init postgres
bench_need python3
if [ -z "${RFS_TEST_PG_PORT:-}" ]; then
	pg_start >&2 || bench_die "no PostgreSQL: \
${RFS_TEST_PG_WHY:-pg_start failed}"
	trap 'pg_stop; bench_cleanup' EXIT
fi
export PGUSER=postgres PGPASSWORD=$RFS_TEST_PG_PASSWORD
DB=rfsbench
PSQL() { pg_psql -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
pg_psql -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
pg_psql -q -c "CREATE DATABASE $DB" >/dev/null
PSQL -c "CREATE TABLE public.orders (id bigint NOT NULL, created date NOT \
NULL, customer integer NOT NULL, amount numeric(12,2) NOT NULL CHECK \
(amount >= 0), note text, PRIMARY KEY (id, created)) PARTITION BY RANGE \
(created)" -c "CREATE SCHEMA archive"

export RECYCLEFS_INDEX=$BENCH_WORK/index.db
R() { "$RECYCLEFS_BIN" "$@"; }
mkdir -p "$RESULTS_DIR"
R init >/dev/null
R table add sales.orders >/dev/null
R lifecycle add sales.orders bronze >/dev/null
R storage add pg "postgres://127.0.0.1:$RFS_TEST_PG_PORT/$DB" >/dev/null
R epoch add sales.orders bronze --from 2000-01-01 --storage pg \
	--path public.orders >/dev/null

# A fresh partition N (month N after 2000-01) of ROWS rows.
part=0
make_part() {
	part=$((part + 1))
	local from to
	from=$(date -u -d "2000-01-01 +$((part - 1)) month" +%F)
	to=$(date -u -d "2000-01-01 +$part month" +%F)
	PSQL -c "CREATE TABLE public.p$part PARTITION OF public.orders FOR \
VALUES FROM ('$from') TO ('$to')" -c "INSERT INTO public.p$part SELECT g, \
'$from'::date + (g % 28), g % 1000, (g % 10000) / 100.0, 'note ' || g FROM \
generate_series(1, $ROWS) g" -c "VACUUM ANALYZE public.p$part"
	sync
}

now() { date +%s.%N; }

# archive partition p$part with binary $1
archive_with() {
	local bin=$1 log=/dev/null v=
	if [ "${VERBOSE:-0}" = 1 ]; then
		log=$RESULTS_DIR/archive-p$part.log
		v=-v
	fi
	"$bin" archive $v "sales.orders/bronze/2000-01-01..now/p$part" \
		>/dev/null 2>"$log"
}

run_before() {
	run_recyclefs "$BEFORE_BIN"
}

run_recyclefs() {
	local t0 t1 n
	t0=$(now)
	archive_with "${1:-$RECYCLEFS_BIN}" ||
		bench_die "recyclefs: the archive of p$part failed"
	t1=$(now)
	# verified and finished: the job's entry and the manifest row say
	# archived, and the copy (counted here) holds every row
	R status --all | grep -Eq "(^|[ /])p$part +archived" ||
		bench_die "recyclefs: the archive of p$part is not archived: \
$(R status --all)"
	copy=$(PSQL -c "SELECT format('%I.%I', 'recyclebin', bin_name) FROM \
recyclebin.rfs_manifest WHERE origin LIKE '%/p$part' AND state = \
'archived' AND rows = $ROWS")
	[ -n "$copy" ] || bench_die "recyclefs: no archived manifest row of \
$ROWS rows for p$part"
	n=$(PSQL -c "SELECT count(*) FROM $copy")
	[ "$n" = "$ROWS" ] || bench_die "recyclefs: the copy of p$part \
holds '$n' rows, not $ROWS"
	[ -z "$(PSQL -c "SELECT to_regclass('public.p$part')")" ] ||
		bench_die "recyclefs: public.p$part is still there"
	echo "$t1 - $t0" | bc
}

run_pgdump() {
	local t0 t1 f=$BENCH_WORK/p$part.dump
	t0=$(now)
	"$RFS_TEST_PG_BIN/pg_dump" -h "$RFS_TEST_PG_SOCKDIR" \
		-p "$RFS_TEST_PG_PORT" -U postgres -Fc -t "public.p$part" "$DB" \
		> "$f"
	"$RFS_TEST_PG_BIN/pg_restore" -f - "$f" |
		sed -e '/ATTACH PARTITION/d' \
			-e "s/public\.p$part\b/archive.p$part/g" |
		PSQL >/dev/null
	n=$(PSQL -c "SELECT count(*) FROM archive.p$part")
	[ "$n" = "$ROWS" ] || bench_die "pg_dump: archive.p$part holds '$n' \
rows, not $ROWS"
	PSQL -c "DROP TABLE public.p$part"
	t1=$(now)
	rm -f "$f"
	echo "$t1 - $t0" | bc
}

tsv=$RESULTS_DIR/postgres-$(date -u +%Y%m%dT%H%M%SZ).tsv
printf 'run\tmethod\tseconds\tload_before\tload_after\n' > "$tsv"
methods=(recyclefs pgdump)
if [ -n "${BEFORE_BIN:-}" ]; then
	[ -x "$BEFORE_BIN" ] || bench_die "BEFORE_BIN: no binary at \
'$BEFORE_BIN'"
	methods+=(before)
fi
nm=${#methods[@]}
bench_log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 1; r <= RUNS; r++)); do
	for ((i = 0; i < nm; i++)); do
		m=${methods[$(((i + r) % nm))]}
		make_part
		bench_log "run $r: $m on p$part ($ROWS rows)"
		la0=$(cut -d' ' -f1 /proc/loadavg)
		s=$("run_$m")
		la1=$(cut -d' ' -f1 /proc/loadavg)
		printf '%d\t%s\t%s\t%s\t%s\n' "$r" "$m" "$s" "$la0" "$la1" \
			>> "$tsv"
	done
done
bench_log "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$tsv" "$ROWS" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
by = {}
for r in rows:
    by.setdefault(r["method"], []).append(float(r["seconds"]))
loads = [float(r[k]) for r in rows for k in ("load_before", "load_after")]
print(f"archive of one partition of {int(sys.argv[2]):,} rows "
      f"(median of {len(by['recyclefs'])} runs)")
print(f"{'method':<10} {'median s':>9} {'min s':>7} {'max s':>7}")
for m in ("recyclefs", "pgdump", "before"):
    if m in by:
        v = by[m]
        print(f"{m:<10} {statistics.median(v):9.2f} {min(v):7.2f} "
              f"{max(v):7.2f}")
ratio = statistics.median(by["pgdump"]) / statistics.median(by["recyclefs"])
print(f"pg_dump+pg_restore+DROP / recyclefs: {ratio:.2f}x")
if "before" in by:
    ratio = statistics.median(by["pgdump"]) / statistics.median(by["before"])
    print(f"pg_dump+pg_restore+DROP / before: {ratio:.2f}x")
print(f"load average (1 min) around the timed runs: {min(loads):.2f} to "
      f"{max(loads):.2f}")
EOF
bench_log "results: $tsv"
