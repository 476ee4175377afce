#!/bin/sh
# The libFuzzer harnesses of tests/fuzz (docs/untrusted-input.md).
#   scripts/fuzz.sh build          set up and build build-fuzz/ (clang,
#                                  ASan + UBSan + libFuzzer)
#   scripts/fuzz.sh run [NAME...]  fuzz each harness for FUZZ_SECONDS
#                                  (default 180), growing its corpus in
#                                  build-fuzz/corpus/NAME (seeded from
#                                  tests/fuzz/corpus/NAME); a crash stops
#                                  with the reproducer in build-fuzz/
#   scripts/fuzz.sh replay         replay every committed corpus, then
#                                  fuzz each harness for FUZZ_SECONDS
#                                  (default 20): the step of `make test`
#   scripts/fuzz.sh coverage       line coverage of each harness's target
#                                  files over its corpora (a build with
#                                  clang's source coverage in
#                                  build-fuzz-cov/, llvm-cov)
# FUZZ_BUILD names the build directory (default build-fuzz).
set -eu

cd "$(dirname "$0")/.."
BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZERS="fuzz_s3_xml fuzz_s3_headers fuzz_uri fuzz_names fuzz_s3_ini
fuzz_manifest"
# Any UBSan report is a failure; leaks are reported by ASan at exit.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}

build() {
	if [ ! -f "$BUILD/build.ninja" ]; then
		CC=${FUZZ_CC:-clang} meson setup "$BUILD" -Dfuzz=true \
			-Dtests=disabled -Db_sanitize=address,undefined \
			-Db_lundef=false -Dbuildtype=debugoptimized >/dev/null
	fi
	# only the harnesses and what they link (not the mount or the CLI)
	targets=""
	for f in $FUZZERS; do
		targets="$targets tests/fuzz/$f"
	done
	# shellcheck disable=SC2086
	ninja -C "$BUILD" $targets
}

# fuzz NAME SECONDS: fuzz one harness from its committed seeds
fuzz() {
	name=$1
	secs=$2
	seeds=tests/fuzz/corpus/${name#fuzz_}
	work=$BUILD/corpus/${name#fuzz_}
	mkdir -p "$work"
	dict=""
	if [ -f "tests/fuzz/${name#fuzz_}.dict" ]; then
		dict="-dict=tests/fuzz/${name#fuzz_}.dict"
	fi
	echo "== $name: ${secs}s"
	# shellcheck disable=SC2086
	"$BUILD/tests/fuzz/$name" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
		-artifact_prefix="$BUILD/$name-" $dict "$work" "$seeds" 2>&1 |
		grep -E '^(#[0-9]+[[:space:]]+DONE|stat::|==|SUMMARY|INFO: seed)|ERROR|runtime error|Test unit written' || true
	# a crash leaves its input in the artifact file and a non-zero status
	if ls "$BUILD/$name"-crash-* "$BUILD/$name"-leak-* \
		"$BUILD/$name"-timeout-* "$BUILD/$name"-oom-* >/dev/null 2>&1; then
		echo "$name: FAILED, reproducer(s):" "$BUILD/$name"-* >&2
		return 1
	fi
}

# replay NAME: run every committed input once
replay() {
	name=$1
	seeds=tests/fuzz/corpus/${name#fuzz_}
	n=$(find "$seeds" -type f | wc -l)
	echo "== $name: replaying $n inputs of $seeds"
	find "$seeds" -type f -print0 |
		xargs -0 "$BUILD/tests/fuzz/$name" -runs=1 >"$BUILD/$name.replay.log" 2>&1 || {
		tail -40 "$BUILD/$name.replay.log" >&2
		echo "$name: replay FAILED" >&2
		return 1
	}
}

# The files each harness is for, for its coverage figure.
targets_of() {
	case $1 in
	fuzz_s3_xml) echo backends/s3/xml.c ;;
	fuzz_s3_headers) echo backends/s3/http.c backends/s3/s3.c ;;
	fuzz_uri) echo util/uri.c ;;
	fuzz_names) echo util/names.c model/date.c core/config.c core/manifest.c util/timestamp.c ;;
	fuzz_s3_ini) echo backends/s3/ini.c backends/s3/creds.c ;;
	fuzz_manifest) echo core/manifest_read.c core/manifest.c ;;
	esac
}

coverage() {
	cov=${BUILD}-cov
	if [ ! -f "$cov/build.ninja" ]; then
		# (meson runs a test program: its profile goes nowhere)
		LLVM_PROFILE_FILE=/dev/null CC=${FUZZ_CC:-clang} \
			meson setup "$cov" -Dfuzz=true \
			-Dtests=disabled -Dbuildtype=debug \
			-Dc_args='-fprofile-instr-generate -fcoverage-mapping' \
			-Dc_link_args='-fprofile-instr-generate' >/dev/null
	fi
	targets=""
	for f in $FUZZERS; do
		targets="$targets tests/fuzz/$f"
	done
	# shellcheck disable=SC2086
	ninja -C "$cov" $targets >/dev/null
	for f in $FUZZERS; do
		name=${f#fuzz_}
		rm -f "$cov/$f"-*.profraw
		find "tests/fuzz/corpus/$name" "$BUILD/corpus/$name" -type f \
			-print0 2>/dev/null |
			LLVM_PROFILE_FILE="$cov/$f-%p.profraw" xargs -0 \
				"$cov/tests/fuzz/$f" -runs=1 >/dev/null 2>&1 || true
		llvm-profdata merge -sparse "$cov/$f"-*.profraw \
			-o "$cov/$f.profdata"
		echo "== $f"
		llvm-cov report "$cov/tests/fuzz/$f" \
			-instr-profile="$cov/$f.profdata" |
			awk -v want=" $(targets_of "$f") " 'NF == 13 &&
				index(want, " " $1 " ") {
				printf "  %-24s lines %5d, missed %4d: %s\n",
					$1, $8, $9, $10 }'
	done
}

cmd=${1:-run}
[ $# -gt 0 ] && shift
case $cmd in
build)
	build
	;;
run)
	build
	names=${*:-$FUZZERS}
	failed=0
	for f in $names; do
		fuzz "$f" "${FUZZ_SECONDS:-180}" || failed=1
	done
	exit $failed
	;;
replay)
	build
	failed=0
	for f in $FUZZERS; do
		replay "$f" || failed=1
	done
	for f in $FUZZERS; do
		fuzz "$f" "${FUZZ_SECONDS:-20}" || failed=1
	done
	exit $failed
	;;
coverage)
	coverage
	;;
*)
	echo "usage: scripts/fuzz.sh [build | run [NAME...] | replay | coverage]" >&2
	exit 2
	;;
esac
