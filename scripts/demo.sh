#!/bin/sh
# A demo catalog on local storage, mounted at ./mnt.
#   scripts/demo.sh start   (re)create ./demo and mount it at ./mnt
#   scripts/demo.sh stop    unmount ./mnt
# Running start again unmounts and recreates the demo: it never fails
# because a mount is already there.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${RECYCLEFS_BIN:-$top/build/tools/recyclefs}
DEMO=$top/demo
MNT=$top/mnt
export RECYCLEFS_INDEX=$DEMO/index.db

unmount() {
	if grep -qs " $MNT fuse" /proc/mounts; then
		fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -uz "$MNT"
	fi
}

# Partition folders with a few small data files each.
partitions() {
	dir=$1
	shift
	for dt in "$@"; do
		mkdir -p "$dir/dt=$dt"
		for i in 0 1; do
			head -c $((4096 + i * 1000)) /dev/urandom \
				>"$dir/dt=$dt/part-0000$i.parquet"
		done
		touch -d "$dt 12:00" "$dir/dt=$dt"/* "$dir/dt=$dt"
	done
}

start() {
	unmount
	rm -rf "$DEMO"
	mkdir -p "$DEMO/nfs" "$DEMO/disk" "$MNT"
	partitions "$DEMO/nfs/orders/bronze-2001" 2001-01-01 2005-03-01 2009-12-31
	partitions "$DEMO/disk/orders/bronze-2010" 2010-01-01 2012-06-30
	partitions "$DEMO/disk/orders/bronze" 2013-01-01 2024-11-01
	partitions "$DEMO/disk/orders/raw" 2024-11-01
	partitions "$DEMO/disk/customers/raw" 2020-01-01

	"$BIN" init >/dev/null
	"$BIN" storage add nfs "file://$DEMO/nfs"
	"$BIN" storage add disk "file://$DEMO/disk"
	"$BIN" storage add pg-main "postgres://db.example.internal/lake"
	"$BIN" table add sales.orders --classification pii --classification finance
	"$BIN" table add crm.customers --classification pii
	for lc in raw bronze silver; do
		"$BIN" lifecycle add sales.orders $lc
	done
	"$BIN" lifecycle add crm.customers raw
	"$BIN" epoch add sales.orders raw --from 2024-11-01 --storage disk --path orders/raw
	"$BIN" epoch add sales.orders bronze --from 2001-01-01 --to 2010-01-01 --storage nfs --path orders/bronze-2001
	"$BIN" epoch add sales.orders bronze --from 2010-01-01 --to 2013-01-01 --storage disk --path orders/bronze-2010
	"$BIN" epoch add sales.orders bronze --from 2013-01-01 --storage disk --path orders/bronze
	"$BIN" epoch add sales.orders silver --from 2013-01-01 --storage pg-main --path silver_orders
	"$BIN" epoch add crm.customers raw --from 2020-01-01 --storage disk --path customers/raw
	"$BIN" mount "$MNT" --log "$DEMO/recyclefs.log"

	cat <<TXT

recyclefs demo mounted at ./mnt (index: demo/index.db, log: demo/recyclefs.log)

Try:
  export RECYCLEFS_INDEX=$RECYCLEFS_INDEX
  ls mnt mnt/sales.orders mnt/sales.orders/bronze
  ls -l mnt/sales.orders/bronze/2001-01-01..2010-01-01/dt=2005-03-01
  getfattr -d mnt/sales.orders/bronze/2013-01-01..now
  ls -l mnt/.classifications/pii
  build/tools/recyclefs ls
  build/tools/recyclefs epoch close sales.orders raw --at 2025-01-01 && ls mnt/sales.orders/raw
  make demo-stop
TXT
}

case "${1:-start}" in
start) start ;;
stop) unmount && echo "unmounted $MNT" ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
