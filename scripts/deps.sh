#!/bin/sh
# Install what a Makefile target needs, when missing: Debian packages, and
# for the tests the Python package moto (an S3 server for fast cases) in
# .venv/ of the checkout when no moto_server is on PATH.
# usage: scripts/deps.sh build|demo|test|bench|docs|format|fuzz
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

build="gcc libc6-dev make meson ninja-build pkg-config libfuse3-dev fuse3
       libsqlite3-dev libjansson-dev libssl-dev libcurl4-openssl-dev
       libexpat1-dev libpq-dev"
# The demo mounts (fuse3) and its tour reads attributes (getfattr).
demo="$build attr"
test="$build libcriterion-dev attr sqlite3 clang-format doxygen rsync xxd
      python3 python3-venv procps psmisc curl groff-base radosgw ceph-mon ceph-osd
      awscli clang libclang-rt-dev llvm postgresql"
docs="doxygen"
fuzz="$build clang libclang-rt-dev llvm"
format="clang-format git"
bench="$build hyperfine rsync bindfs attr python3 strace s3fs rclone awscli
       radosgw ceph-mon ceph-osd"

case "${1:-build}" in
build) pkgs=$build ;;
test) pkgs=$test ;;
demo) pkgs=$demo ;;
bench) pkgs=$bench ;;
docs) pkgs=$docs ;;
fuzz) pkgs=$fuzz ;;
format) pkgs=$format ;;
*)
	echo "usage: $0 build|demo|test|bench|docs|format|fuzz" >&2
	exit 2
	;;
esac

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q ' installed$' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	t0=$(date +%s)
	echo "installing:$missing"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		--no-install-recommends $missing >/dev/null
	echo "installed in $(($(date +%s) - t0)) s"
fi

# moto_server for the tests: the one on PATH; else Debian's python3-moto
# where the release has it (13 and later); else pip's, in .venv/
# (scripts/test.sh puts .venv/bin on PATH).
if [ "${1:-build}" = test ] && ! command -v moto_server >/dev/null 2>&1 &&
	[ ! -x "$top/.venv/bin/moto_server" ]; then
	t0=$(date +%s)
	if apt-cache show python3-moto >/dev/null 2>&1; then
		echo "installing: python3-moto python3-flask-cors"
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
			--no-install-recommends python3-moto python3-flask-cors \
			>/dev/null
		echo "installed in $(($(date +%s) - t0)) s"
		exit 0
	fi
	echo "installing: moto (Python, in .venv/)"
	rm -rf "$top/.venv"
	python3 -m venv "$top/.venv"
	"$top/.venv/bin/pip" install -q --disable-pip-version-check \
		'moto>=5' flask flask-cors
	echo "installed in $(($(date +%s) - t0)) s"
fi
exit 0
