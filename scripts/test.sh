#!/bin/sh
# Run every check and test: formatting, the Doxygen reference, a release
# build (compiled only), the normal build and an ASan/UBSan build, each
# with all unit and integration tests, and the fuzzers' corpora
# (scripts/fuzz.sh replay).
# Ends with one line "N passed, M failed" over every test case.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ASAN_BUILD=${ASAN_BUILD:-build-asan}
# moto_server from scripts/deps.sh's .venv/, when it put one there
PATH=$PWD/.venv/bin:$PATH
export PATH
status=0

step() { printf '\n== %s\n' "$*"; }

step "format"
scripts/check-format.sh || status=1

step "reference documentation (doxygen, warnings are errors)"
mkdir -p docs/reference
if ! doxygen docs/Doxyfile >/dev/null; then
	echo "doxygen reported warnings (see above)" >&2
	status=1
fi

# A build made by `make demo` has no tests (Criterion was not installed
# then) and no test hooks (RECYCLEFS_TEST_KILL_AFTER): turn both on.
# usage: setup DIR [MESON_OPTION...]
setup() {
	if [ -f "$1/build.ninja" ]; then
		meson configure "$1" -Dtests=enabled -Dtest_hooks=true \
			>/dev/null
	else
		meson setup "$@" -Dtests=enabled -Dtest_hooks=true >/dev/null
	fi
}

step "build ($BUILD)"
setup "$BUILD" || exit 1
ninja -C "$BUILD" >/dev/null || { ninja -C "$BUILD"; exit 1; }

step "build ($ASAN_BUILD: address and undefined sanitizers)"
setup "$ASAN_BUILD" -Db_sanitize=address,undefined \
	-Db_lundef=false || exit 1
ninja -C "$ASAN_BUILD" >/dev/null || { ninja -C "$ASAN_BUILD"; exit 1; }

# What a packager compiles: -O3 finds uninitialized paths that -O2 does
# not, and -Werror makes each one a failed build.
step "build (build-release: --buildtype=release, no tests)"
if [ ! -f build-release/build.ninja ]; then
	meson setup build-release --buildtype=release -Dtests=disabled \
		>/dev/null || status=1
fi
ninja -C build-release >/dev/null || { ninja -C build-release; status=1; }

. scripts/servers.sh
servers_start || status=1
trap servers_stop EXIT INT TERM

step "make demo and the README's quick tour"
scripts/check-demo.sh || status=1

step "tests ($BUILD)"
meson test -C "$BUILD" --print-errorlogs --num-processes 2 || status=1

step "tests ($ASAN_BUILD)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	meson test -C "$ASAN_BUILD" --print-errorlogs --num-processes 2 ||
	status=1

# A separate step: the libFuzzer harnesses (clang, ASan+UBSan, in
# build-fuzz/) replay their committed corpora, then fuzz 20 s each.
step "fuzz corpora replay"
FUZZ_SECONDS=${FUZZ_SECONDS:-20} scripts/fuzz.sh replay || status=1

step "summary"
python3 scripts/test-summary.py "$BUILD" "$ASAN_BUILD" || status=1
exit $status
