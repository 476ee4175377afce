# Servers the tests use, started once per test run. Sourced by test.sh
# (POSIX sh). Each exports what the tests read from the environment:
#
#   RFS_TEST_S3_ENDPOINT    Ceph RGW (scripts/rgw.sh), http://127.0.0.1:PORT;
#                           verifies SigV4, Content-MD5 and payload hashes
#   RFS_TEST_MOTO_ENDPOINT  moto_server, for fast cases
#   RFS_TEST_S3_WHY, RFS_TEST_MOTO_WHY
#                           why a server is missing: the S3 tests then
#                           fail with this reason (they never skip)
#   AWS_ACCESS_KEY_ID=TESTAK AWS_SECRET_ACCESS_KEY=TESTSECRET
#   AWS_REGION=us-east-1
#
# An endpoint already set in the environment is used as it is (a server
# you run yourself); nothing is started or stopped for it then.
# servers_start and servers_stop may each be called more than once.

: "${RFS_SERVERS_DIR:=${TMPDIR:-/tmp}/recyclefs-servers.$$}"

# A free TCP port on 127.0.0.1: $1 when it is free, else one the kernel
# picks.
servers_port() {
	python3 - "$1" <<'EOF'
import socket, sys
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        return s.getsockname()[1]
    except OSError:
        return None
    finally:
        s.close()
print(free(int(sys.argv[1])) or free(0))
EOF
}

servers_start_rgw() {
	if [ -n "${RFS_TEST_S3_ENDPOINT:-}" ]; then
		echo "servers: using RGW at $RFS_TEST_S3_ENDPOINT"
		return 0
	fi
	port=$(servers_port 7480)
	t0=$(date +%s)
	if scripts/rgw.sh start "$RFS_SERVERS_DIR/rgw" "$port" \
		>"$RFS_SERVERS_DIR/rgw.out" 2>&1; then
		RFS_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
		export RFS_TEST_S3_ENDPOINT
		RFS_SERVERS_RGW=1
		echo "servers: RGW on $RFS_TEST_S3_ENDPOINT (started in $(($(date +%s) - t0)) s)"
	else
		cat "$RFS_SERVERS_DIR/rgw.out" >&2
		why=$(grep '^rgw: ' "$RFS_SERVERS_DIR/rgw.out" | head -n 1)
		RFS_TEST_S3_WHY="Ceph RGW did not start (${why#rgw: }; logs in $RFS_SERVERS_DIR/rgw/log)"
		export RFS_TEST_S3_WHY
		echo "servers: WARNING: $RFS_TEST_S3_WHY; the S3 tests will fail" >&2
	fi
}

servers_start_moto() {
	if [ -n "${RFS_TEST_MOTO_ENDPOINT:-}" ]; then
		echo "servers: using moto at $RFS_TEST_MOTO_ENDPOINT"
		return 0
	fi
	if ! command -v moto_server >/dev/null 2>&1; then
		RFS_TEST_MOTO_WHY="moto_server is not installed (the pip package moto, with its server extra)"
		export RFS_TEST_MOTO_WHY
		echo "servers: WARNING: $RFS_TEST_MOTO_WHY" >&2
		return 0
	fi
	port=$(servers_port 7490)
	moto_server -H 127.0.0.1 -p "$port" >"$RFS_SERVERS_DIR/moto.log" 2>&1 &
	echo $! >"$RFS_SERVERS_DIR/moto.pid"
	i=0
	until curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; do
		i=$((i + 1))
		if [ $i -ge 100 ] || ! kill -0 "$(cat "$RFS_SERVERS_DIR/moto.pid")" 2>/dev/null; then
			RFS_TEST_MOTO_WHY="moto_server did not start (log: $RFS_SERVERS_DIR/moto.log)"
			export RFS_TEST_MOTO_WHY
			echo "servers: WARNING: $RFS_TEST_MOTO_WHY" >&2
			return 0
		fi
		sleep 0.1
	done
	RFS_TEST_MOTO_ENDPOINT="http://127.0.0.1:$port"
	export RFS_TEST_MOTO_ENDPOINT
	RFS_SERVERS_MOTO=1
	echo "servers: moto on $RFS_TEST_MOTO_ENDPOINT"
}

servers_start() {
	[ -n "${RFS_SERVERS_STARTED:-}" ] && return 0
	RFS_SERVERS_STARTED=1
	mkdir -p "$RFS_SERVERS_DIR" || return 0
	AWS_ACCESS_KEY_ID=TESTAK
	AWS_SECRET_ACCESS_KEY=TESTSECRET
	AWS_REGION=us-east-1
	export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
	unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3
	servers_start_moto
	servers_start_rgw
	return 0
}

servers_stop() {
	if [ -n "${RFS_SERVERS_MOTO:-}" ] && [ -f "$RFS_SERVERS_DIR/moto.pid" ]; then
		kill "$(cat "$RFS_SERVERS_DIR/moto.pid")" 2>/dev/null
		rm -f "$RFS_SERVERS_DIR/moto.pid"
		unset RFS_TEST_MOTO_ENDPOINT RFS_SERVERS_MOTO
	fi
	if [ -n "${RFS_SERVERS_RGW:-}" ]; then
		scripts/rgw.sh stop "$RFS_SERVERS_DIR/rgw" >/dev/null 2>&1
		unset RFS_TEST_S3_ENDPOINT RFS_SERVERS_RGW
	fi
	if [ -n "${RFS_SERVERS_STARTED:-}" ]; then
		# the logs of a server that failed stay for a look
		[ -n "${RFS_TEST_S3_WHY:-}${RFS_TEST_MOTO_WHY:-}" ] ||
			rm -rf "$RFS_SERVERS_DIR"
		unset RFS_SERVERS_STARTED
	fi
	return 0
}
