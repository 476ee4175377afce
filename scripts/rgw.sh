#!/bin/sh
# A single-node Ceph RADOS Gateway on 127.0.0.1, for the S3 tests: one
# monitor, one OSD on memstore (data in RAM, nothing on disk but logs), no
# cephx, and a user TESTAK/TESTSECRET. RGW verifies SigV4 strictly, which
# is why the S3 adapter is tested against it.
#
# usage: scripts/rgw.sh start DIR PORT   S3 at http://127.0.0.1:PORT
#        scripts/rgw.sh stop DIR         stop what start left in DIR
#        scripts/rgw.sh status DIR PORT  exit 0 when it answers
#
# Needs the Debian packages radosgw, ceph-mon and ceph-osd. Starting takes
# about 15 s. DIR is wiped on start; its log/ holds the daemons' logs.
# Pitfalls this configuration avoids: without cephx the "ms ... mode = crc"
# lines are needed or radosgw hangs for minutes; the monitor refuses to
# run with little free disk unless "mon data avail crit" is low.
set -eu

usage() {
	echo "usage: $0 start DIR PORT | stop DIR | status DIR PORT" >&2
	exit 2
}

# A free TCP port on 127.0.0.1 chosen by the kernel.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

answers() {
	curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$1/"
}

stop() {
	d=$1
	[ -d "$d/run" ] || return 0
	for name in client.rgw.a osd.0 mon.a; do
		f="$d/run/$name.pid"
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		kill "$pid" 2>/dev/null || true
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$pid" 2>/dev/null || true
		rm -f "$f"
	done
}

fail() {
	echo "rgw: $*" >&2
	echo "rgw: logs are in $D/log/ (mon.a.log, osd.0.log, client.rgw.a.log)" >&2
	for f in "$D"/log/*.log; do
		[ -f "$f" ] || continue
		echo "--- last lines of $f" >&2
		tail -n 5 "$f" >&2
	done
	stop "$D"
	exit 1
}

write_conf() {
	cat >"$D/ceph.conf" <<EOF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
mon initial members = a
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
ms bind msgr1 = false
ms mon client mode = crc
ms client mode = crc
ms service mode = crc
ms cluster mode = crc
ms mon service mode = crc
ms mon cluster mode = crc
mon data avail warn = 1
mon data avail crit = 0
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = $MEM_BYTES
osd class dir = $CLASS_DIR
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
pid file = $D/run/\$name.pid
keyring = $D/keyring
mon data = $D/mon-\$id
osd data = $D/osd-\$id
osd max object name len = 2048
osd max object namespace len = 64
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
rgw data = $D/rgw
rgw gc obj min wait = 5
rgw gc processor period = 10
EOF
}

start() {
	stop "$D"
	rm -rf "$D"
	mkdir -p "$D/mon-a" "$D/osd-0" "$D/run" "$D/log" "$D/rgw"
	for tool in ceph-mon ceph-osd radosgw radosgw-admin ceph-authtool \
		monmaptool ceph; do
		command -v "$tool" >/dev/null ||
			fail "'$tool' is missing (apt-get install radosgw ceph-mon ceph-osd)"
	done
	answers "$PORT" && fail "port $PORT is already in use"
	FSID=$(cat /proc/sys/kernel/random/uuid)
	MON_PORT=$(free_port)
	# memstore keeps objects in RAM; the S3 tests need a few GiB at most
	MEM_BYTES=${RFS_RGW_MEMSTORE_BYTES:-8589934592}
	# The OSD's object classes (RGW needs cls_version, cls_rgw, ...):
	# Debian 13's Ceph 18 looks for them at a relative path unless told.
	CLASS_DIR=$(dirname "$(ls /usr/lib/*/rados-classes/libcls_rgw.so \
		/usr/lib/rados-classes/libcls_rgw.so 2>/dev/null | head -n 1)")
	[ "$CLASS_DIR" != . ] ||
		fail "no Ceph object classes (libcls_rgw.so; apt-get install ceph-osd)"
	write_conf
	C="$D/ceph.conf"
	out="$D/log/setup.log"
	{
		ceph-authtool --create-keyring "$D/keyring" --gen-key -n mon. \
			--cap mon 'allow *' &&
			ceph-authtool "$D/keyring" --gen-key -n client.admin \
				--cap mon 'allow *' --cap osd 'allow *' \
				--cap mgr 'allow *' &&
			monmaptool --create --addv a \
				"[v2:127.0.0.1:$MON_PORT]" --fsid "$FSID" \
				"$D/monmap"
	} >>"$out" 2>&1 || fail "could not create the keyring and monmap"
	ceph-mon -c "$C" --mkfs -i a --monmap "$D/monmap" \
		--keyring "$D/keyring" >>"$out" 2>&1 ||
		fail "ceph-mon --mkfs failed"
	ceph-mon -c "$C" -i a >>"$out" 2>&1 || fail "ceph-mon did not start"
	ceph -c "$C" --connect-timeout 20 osd create >>"$out" 2>&1 ||
		fail "the monitor does not answer"
	ceph-osd -c "$C" -i 0 --mkfs >>"$out" 2>&1 || fail "ceph-osd --mkfs failed"
	{
		ceph -c "$C" osd crush add-bucket localhost host &&
			ceph -c "$C" osd crush move localhost root=default &&
			ceph -c "$C" osd crush add osd.0 1.0 host=localhost
	} >>"$out" 2>&1 || fail "could not place the OSD in the CRUSH map"
	ceph-osd -c "$C" -i 0 >>"$out" 2>&1 || fail "ceph-osd did not start"
	radosgw -c "$C" -n client.rgw.a >>"$out" 2>&1 ||
		fail "radosgw did not start"
	i=0
	until answers "$PORT"; do
		i=$((i + 1))
		[ $i -lt 120 ] || fail "radosgw does not answer on port $PORT"
		sleep 0.5
	done
	radosgw-admin -c "$C" user create --uid=test --display-name=test \
		--access-key=TESTAK --secret=TESTSECRET >>"$out" 2>&1 ||
		fail "could not create the test user"
	echo "rgw up on http://127.0.0.1:$PORT (logs in $D/log)"
}

[ $# -ge 2 ] || usage
cmd=$1
D=$2
case "$cmd" in
start)
	[ $# -eq 3 ] || usage
	PORT=$3
	start
	;;
stop) stop "$D" ;;
status)
	[ $# -eq 3 ] || usage
	answers "$3"
	;;
*) usage ;;
esac
