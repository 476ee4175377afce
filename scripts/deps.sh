#!/bin/sh
# Install the Debian packages recyclefs needs, when missing.
# usage: scripts/deps.sh build|test|demo|bench
set -eu

build="gcc libc6-dev make meson ninja-build pkg-config libfuse3-dev fuse3
       libsqlite3-dev libjansson-dev libssl-dev libcurl4-openssl-dev
       libexpat1-dev"
test="$build libcriterion-dev attr sqlite3 clang-format doxygen rsync xxd
      python3 procps psmisc curl radosgw ceph-mon ceph-osd awscli
      clang libclang-rt-14-dev llvm"
demo="$build attr tree"
bench="$build hyperfine rsync bindfs attr python3 strace s3fs rclone awscli
       radosgw ceph-mon ceph-osd"

case "${1:-build}" in
build) pkgs=$build ;;
test) pkgs=$test ;;
demo) pkgs=$demo ;;
bench) pkgs=$bench ;;
*) echo "usage: $0 build|test|demo|bench" >&2; exit 2 ;;
esac

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q ' installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "installing:$missing"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
	--no-install-recommends $missing >/dev/null
