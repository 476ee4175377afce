# recyclefs: the everyday entry points. Meson does the building.
#   make demo   install, build, mount a demo catalog at ./mnt
#   make test   install, build, run every test (also under ASan/UBSan)
BUILD      ?= build
ASAN_BUILD ?= build-asan
MESON_OPTS ?=

.PHONY: all build asan-build install test test-unit test-fast check-format \
	format docs demo demo-stop bench bench-s3 clean deps

all: build

deps:
	@scripts/deps.sh build

$(BUILD)/build.ninja:
	@scripts/deps.sh build
	meson setup $(BUILD) $(MESON_OPTS)

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined \
		-Db_lundef=false $(MESON_OPTS)

asan-build: $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

# meson install: DESTDIR= stages it; `meson setup --prefix` chooses where.
install: build
	meson install -C $(BUILD) --no-rebuild

# Everything CI runs: format and reference checks, both builds, all tests.
test:
	@scripts/deps.sh test
	@scripts/test.sh

# Quick loop while developing: the normal build's tests only.
test-fast: build
	@scripts/deps.sh test
	meson configure $(BUILD) -Dtests=enabled -Dtest_hooks=true
	PATH="$(CURDIR)/.venv/bin:$$PATH" meson test -C $(BUILD) --print-errorlogs

# The libFuzzer harnesses, FUZZ_SECONDS (default 180) each, in build-fuzz/.
.PHONY: fuzz
fuzz:
	@scripts/deps.sh fuzz
	@scripts/fuzz.sh run

check-format:
	@scripts/deps.sh format
	@scripts/check-format.sh

format:
	@scripts/deps.sh format
	git ls-files '*.c' '*.h' | xargs clang-format -i

docs:
	@scripts/deps.sh docs
	@mkdir -p docs/reference
	doxygen docs/Doxyfile

demo:
	@scripts/deps.sh demo
	@$(MAKE) --no-print-directory build
	@scripts/demo.sh start

demo-stop:
	@scripts/demo.sh stop

bench: build
	@scripts/deps.sh bench
	bench/browse.sh

bench-s3: build
	@scripts/deps.sh bench
	bench/s3.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) docs/reference
