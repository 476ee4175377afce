# A private PostgreSQL cluster for the tests. Sourced (POSIX sh), as
# scripts/servers.sh is:
#
#   . scripts/pg.sh
#   pg_start [DIR]     initdb in DIR (default: a new temp dir), start on a
#                      free loopback port and a unix socket in DIR, wait
#                      until it accepts connections; exports:
#     RFS_TEST_PG_HOST=127.0.0.1  RFS_TEST_PG_PORT  RFS_TEST_PG_SOCKDIR
#     RFS_TEST_PG_DATA  RFS_TEST_PG_BIN  RFS_TEST_PG_USER=postgres
#     RFS_TEST_PG_PASSWORD (the superuser's, for TCP: scram-sha-256)
#     RFS_TEST_PG_RUNAS (the system user the server runs as)
#   or, when the binaries are missing, RFS_TEST_PG_WHY (the tests then
#   skip in a developer's checkout and fail under CI=true).
#   pg_stop            stop the cluster pg_start started and remove DIR
#   pg_restart         pg_ctl restart -m fast (fault tests)
#   pg_psql ARGS...    psql as the superuser on the unix socket
#   pg_fixture NAME    create database NAME holding public.orders, a table
#                      partitioned by month (12 partitions of 2013, about
#                      100k rows), with a primary key, an index, a comment
#                      and a grant; used as a template by the tests
#
# The server refuses to run as root: as root, everything runs as the
# `postgres` system user (Debian's postgresql package makes it) through
# runuser. A cluster already described by RFS_TEST_PG_PORT is used as it is.

# The directory of the server binaries (initdb, pg_ctl, postgres).
pg_bindir() {
	for d in ${RFS_TEST_PG_BIN:-} /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && {
			echo "$d"
			return 0
		}
	done
	d=$(command -v pg_ctl 2>/dev/null) && [ -x "$(dirname "$d")/initdb" ] &&
		dirname "$d" && return 0
	return 1
}

# Run a command as the cluster's owner.
pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$RFS_TEST_PG_RUNAS" -- "$@"
	else
		"$@"
	fi
}

pg_free_port() {
	python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

pg_start() {
	[ -n "${RFS_TEST_PG_PORT:-}" ] && return 0
	if ! bin=$(pg_bindir); then
		RFS_TEST_PG_WHY="PostgreSQL's server binaries (initdb, pg_ctl) are not installed: scripts/deps.sh test installs postgresql"
		export RFS_TEST_PG_WHY
		echo "pg: $RFS_TEST_PG_WHY" >&2
		return 1
	fi
	dir=${1:-$(mktemp -d "${TMPDIR:-/tmp}/recyclefs-pg.XXXXXX")}
	mkdir -p "$dir" || return 1
	RFS_TEST_PG_RUNAS=$(id -un)
	if [ "$(id -u)" -eq 0 ]; then
		RFS_TEST_PG_RUNAS=postgres
		id postgres >/dev/null 2>&1 || {
			RFS_TEST_PG_WHY="no 'postgres' system user to run the server as (root may not)"
			export RFS_TEST_PG_WHY
			echo "pg: $RFS_TEST_PG_WHY" >&2
			return 1
		}
		chown "$RFS_TEST_PG_RUNAS" "$dir"
	fi
	chmod 0755 "$dir"
	RFS_TEST_PG_PASSWORD=rfs-test-pg-secret
	printf '%s\n' "$RFS_TEST_PG_PASSWORD" >"$dir/pwfile"
	chown "$RFS_TEST_PG_RUNAS" "$dir/pwfile" 2>/dev/null
	port=$(pg_free_port)
	if ! pg_as "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" \
		--auth-local=trust --auth-host=scram-sha-256 -E UTF8 \
		--locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
		cat "$dir/initdb.log" >&2
		RFS_TEST_PG_WHY="initdb failed (log: $dir/initdb.log)"
		export RFS_TEST_PG_WHY
		return 1
	fi
	rm -f "$dir/pwfile"
	cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
full_page_writes = off
synchronous_commit = off
max_connections = 60
EOF
	if ! pg_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		start >/dev/null; then
		cat "$dir/server.log" >&2
		RFS_TEST_PG_WHY="the PostgreSQL server did not start (log: $dir/server.log)"
		export RFS_TEST_PG_WHY
		return 1
	fi
	RFS_TEST_PG_HOST=127.0.0.1
	RFS_TEST_PG_PORT=$port
	RFS_TEST_PG_SOCKDIR=$dir
	RFS_TEST_PG_DATA=$dir/data
	RFS_TEST_PG_BIN=$bin
	RFS_TEST_PG_USER=postgres
	RFS_TEST_PG_STARTED=1
	export RFS_TEST_PG_HOST RFS_TEST_PG_PORT RFS_TEST_PG_SOCKDIR \
		RFS_TEST_PG_DATA RFS_TEST_PG_BIN RFS_TEST_PG_USER \
		RFS_TEST_PG_PASSWORD RFS_TEST_PG_RUNAS
	echo "pg: PostgreSQL on 127.0.0.1:$port, socket in $dir"
}

pg_restart() {
	pg_as "$RFS_TEST_PG_BIN/pg_ctl" -D "$RFS_TEST_PG_DATA" \
		-l "$RFS_TEST_PG_SOCKDIR/server.log" -m fast -w -t 60 \
		restart >/dev/null
}

pg_stop() {
	[ -n "${RFS_TEST_PG_STARTED:-}" ] || return 0
	pg_as "$RFS_TEST_PG_BIN/pg_ctl" -D "$RFS_TEST_PG_DATA" -m immediate \
		-w stop >/dev/null 2>&1
	rm -rf "$RFS_TEST_PG_SOCKDIR"
	unset RFS_TEST_PG_HOST RFS_TEST_PG_PORT RFS_TEST_PG_SOCKDIR \
		RFS_TEST_PG_DATA RFS_TEST_PG_STARTED
}

pg_psql() {
	"$RFS_TEST_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
		-h "$RFS_TEST_PG_SOCKDIR" -p "$RFS_TEST_PG_PORT" -U postgres "$@"
}

pg_fixture() {
	pg_psql -d postgres -c "CREATE DATABASE \"$1\"" &&
		pg_psql -d "$1" <<'EOF'
CREATE ROLE rfs_reader NOLOGIN;
CREATE TABLE public.orders (
	id bigint NOT NULL,
	created date NOT NULL,
	customer text NOT NULL,
	amount numeric(12,2) CHECK (amount >= 0),
	note text,
	PRIMARY KEY (id, created)
) PARTITION BY RANGE (created);
COMMENT ON TABLE public.orders IS 'orders, one partition a month';
DO $$
BEGIN
	FOR m IN 1..12 LOOP
		EXECUTE format('CREATE TABLE public.%I PARTITION OF public.orders
			FOR VALUES FROM (%L) TO (%L)',
			format('orders_2013_%s', lpad(m::text, 2, '0')),
			make_date(2013, m, 1), make_date(2013, m, 1) + interval '1 month');
	END LOOP;
END $$;
CREATE INDEX orders_customer ON public.orders (customer);
INSERT INTO public.orders
SELECT i, date '2013-01-01' + (i % 365),
	'customer ' || (i % 997),
	((i * 7919) % 100000) / 100.0,
	CASE WHEN i % 10 = 0 THEN NULL ELSE 'a "quoted", note' || E'\n' || i END
FROM generate_series(1, 100000) AS i;
GRANT SELECT ON public.orders_2013_01 TO rfs_reader;
COMMENT ON TABLE public.orders_2013_01 IS 'January';
ANALYZE;
EOF
}
