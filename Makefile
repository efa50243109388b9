# The two set-up commands (README.md): `make run` and `make test`.
JOBS ?= $(shell nproc)
CMAKE_COMMON = -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
WERROR ?= ON

.PHONY: deps build build-asan run test unit integration fuzz bench format clean

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEFU_WERROR=$(WERROR) -DKEFU_TESTS=OFF $(CMAKE_COMMON) >/dev/null
	@cmake --build build -j$(JOBS) --target kefu

# -g1: line tables and function names, all a sanitizer report needs; full debug info made the
# build about 15% slower (CI has 2 cores). `make build-asan ASAN_DEBUG_INFO=-g` for a debugger.
ASAN_DEBUG_INFO ?= -g1
build-asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=$(ASAN_DEBUG_INFO)" "-DCMAKE_C_FLAGS_DEBUG=$(ASAN_DEBUG_INFO)" -DKEFU_SANITIZE=ON -DKEFU_WERROR=$(WERROR) -DKEFU_BENCH=OFF $(CMAKE_COMMON) >/dev/null
	@cmake --build build-asan -j$(JOBS)

run: build
	@mkdir -p var
	build/kefu serve --demo --data-dir var --sip-listen 127.0.0.1:5060 --http-listen 127.0.0.1:8080

# Every test: unit and conformance tests, SIPp and baresip integration tests, under ASan+UBSan,
# then a short libFuzzer run of each parser.
test: build-asan
	cd build-asan && ctest --output-on-failure -j$(JOBS) --timeout 600
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$${FUZZ_SECONDS:-20}

unit: build-asan
	cd build-asan && ctest --output-on-failure -j$(JOBS) -L unit

integration: build-asan
	cd build-asan && ctest --output-on-failure -L integration

FUZZ_SECONDS ?= 60
fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEFU_FUZZ=ON -DKEFU_TESTS=OFF -DKEFU_BENCH=OFF $(CMAKE_COMMON) >/dev/null
	@cmake --build build-fuzz -j$(JOBS) --target fuzz_targets
	@scripts/run-fuzzers build-fuzz $(FUZZ_SECONDS)

# Micro-benchmarks (Google Benchmark) and, unless LOAD=0, the SIPp load runs and the CRM HTTP
# look-up load (wrk; several minutes each).
LOAD ?= 1
bench: deps
	@cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DKEFU_TESTS=OFF -DKEFU_BENCH=ON $(CMAKE_COMMON) >/dev/null
	@cmake --build build-release -j$(JOBS)
	@scripts/run-bench build-release
	@if [ "$(LOAD)" = 1 ]; then python3 bench/load/sip_load.py --kefu build-release/kefu; fi
	@if [ "$(LOAD)" = 1 ]; then python3 bench/load/bridged_load.py --kefu build-release/kefu; fi
	@if [ "$(LOAD)" = 1 ]; then python3 bench/load/crm_load.py --build-dir build-release --no-build; fi

format:
	@find src tests bench fuzz -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	rm -rf build build-asan build-fuzz build-release
