#!/usr/bin/env bash
# `make bench`: installs what the benchmark needs (Debian: wrk, nginx-light, gnuplot-nox,
# time, sqlite3, eatmydata; npm: Node-RED 4 in bench/node-red), builds egovbus and the B3 tool, runs
# bench/bench.py (arguments are passed on, e.g. --quick or --only b1), then draws the plots
# and refreshes the results table of BENCHMARKS.md (bench/report.py).
# None of this is part of `make test`: scripts/debian-packages.txt does not list these tools.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${BUILD:-$root/build}
jobs=${JOBS:-2}

# Installed only when the command is missing (node and npm may come from elsewhere than Debian).
declare -A package_of=([wrk]=wrk [nginx]=nginx-light [gnuplot]=gnuplot-nox [/usr/bin/time]=time
                       [sqlite3]=sqlite3 [node]=nodejs [npm]=npm [eatmydata]=eatmydata)
missing=()
for command in "${!package_of[@]}"; do
  command -v "$command" >/dev/null 2>&1 || [ -x "$command" ] || missing+=("${package_of[$command]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node-RED exactly as locked; reinstalled only when the lock changed.
if [ ! -f "$here/node-red/node_modules/.package-lock.json" ] ||
   [ "$here/node-red/package-lock.json" -nt "$here/node-red/node_modules/.package-lock.json" ]; then
  npm ci --prefix "$here/node-red" --no-audit --no-fund
fi

[ -f "$build/CMakeCache.txt" ] || cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j "$jobs" --target egovbus egovbus_bench_batch

python3 "$here/bench.py" --bin "$build/egovbus" --batch-bin "$build/egovbus_bench_batch" "$@"
case " $* " in
  *" --quick "*) python3 "$here/report.py" "$here/results/quick.json" --no-write ;;
  *) python3 "$here/report.py" "$here/results/latest.json" ;;
esac
