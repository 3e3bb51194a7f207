#!/usr/bin/env bash
# make fuzz: builds the libFuzzer targets with clang (ASan + UBSan) into build-fuzz and runs
# each for FUZZ_SECONDS (default 60) on a working corpus seeded from tests/fuzz/corpus.
# A crash leaves its input in build-fuzz/crashes/<target>/; copy it into
# tests/fuzz/regressions/<target>/ once fixed, so `make test` replays it for ever.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
BUILD=${FUZZ_BUILD:-build-fuzz}
TARGETS=${FUZZ_TARGETS:-"json xml_xsd soap_reply csv config http"}
JOBS=${JOBS:-$(nproc)}

# clang and its libFuzzer runtime are needed only here, so `make test` does not install them.
if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  ${sudo:-} apt-get install -y -qq --no-install-recommends clang libclang-rt-dev >/dev/null
fi
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DEGOV_FUZZ=ON >/dev/null
fi
# shellcheck disable=SC2086
cmake --build "$BUILD" -j "$JOBS" --target $(for t in $TARGETS; do printf 'fuzz_%s ' "$t"; done)

status=0
summary=()
for t in $TARGETS; do
  corpus="$BUILD/corpus/$t"
  crashes="$BUILD/crashes/$t"
  mkdir -p "$corpus" "$crashes"
  cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  log="$BUILD/fuzz-$t.log"
  echo "== fuzz_$t for ${SECONDS_PER_TARGET}s"
  if ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
     "$BUILD/fuzz_$t" "$corpus" -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 \
       -rss_limit_mb=1024 -timeout=10 -artifact_prefix="$crashes/" -print_final_stats=1 \
       >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    status=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  summary+=("$(printf '%-11s %-6s runs=%-9s cov=%-6s corpus=%s' "$t" "$result" "$runs" "$cov" "$(ls "$corpus" | wc -l)")")
  [ "$result" = ok ] || tail -40 "$log"
done
echo
echo "fuzz summary (${SECONDS_PER_TARGET}s per target):"
printf '  %s\n' "${summary[@]}"
exit $status
