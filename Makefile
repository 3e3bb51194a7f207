# Thin wrapper: every target first installs missing Debian packages, then defers to CMake.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CONFIG     ?= conf/bus.yaml
LISTEN     ?= 127.0.0.1:8080

.PHONY: all deps build run test test-asan bench fuzz install package clean format

all: build

deps:
	@scripts/install-deps.sh
	@command -v npm >/dev/null 2>&1 || { [ "$$(id -u)" -eq 0 ] || s=sudo; $$s apt-get install -y -qq --no-install-recommends npm; }
	@[ tests/interop/node_modules/.package-lock.json -nt tests/interop/package-lock.json ] || npm ci --prefix tests/interop --no-audit --no-fund

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	scripts/run-demo.sh $(BUILD)/egovbus $(CONFIG) $(LISTEN)

test: build
	cd $(BUILD) && ctest --output-on-failure

# Benchmarks (not part of `test`): bench/run.sh installs wrk, nginx, gnuplot and Node-RED itself.
# `make bench BENCH_ARGS=--quick` checks the harness in about two minutes.
bench: deps
	BUILD=$(BUILD) JOBS=$(JOBS) bench/run.sh $(BENCH_ARGS)

$(ASAN_BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DEGOV_SANITIZE=ON

test-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure

# make install [PREFIX=/usr] [DESTDIR=...]: binary, /etc/egovbus, /usr/share/egovbus, systemd unit.
PREFIX ?= /usr
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# The Debian package (CPack) in $(BUILD)/package/: dpkg -i it, then systemctl start egovbus.
package: build
	cd $(BUILD) && cpack -G DEB -B package

# libFuzzer targets (clang), FUZZ_SECONDS per target (default 60); see scripts/fuzz.sh.
fuzz: deps
	scripts/fuzz.sh

format:
	clang-format -i $$(git ls-files 'core/*.[ch]pp' 'adapters/*.[ch]pp' 'tests/*.[ch]pp')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
