#!/bin/bash
# Instructions per row of B3's product path, as in BENCHMARKS.md "Sixth pass": `egovbus serve`
# under callgrind on a folder kept by `bench/bench.py --only b3 --keep`, once idle and once
# with the first ROWS rows of the kept file dropped into the csv source; prints
# (busy - idle) / ROWS. SERVICE picks the route (posizioni.carica, posizioni.carica-xslt).
#
#   bench/b3_callgrind.sh /tmp/egovbus-bench-XXXX [build/egovbus] [20000] [posizioni.carica]
set -euo pipefail
dir=${1:?the folder kept by bench.py --only b3 --keep}
bin=$(realpath "${2:-build/egovbus}")
rows=${3:-20000}
service=${4:-posizioni.carica}
cd "$dir"
# The first round's folder (bench.py since its rounds: b3-bus0; b3-bus before).
bus=b3-bus0
[ -d "$bus" ] || bus=b3-bus
# The kept file is left where b3_rerun.sh expects it (done/ is emptied by each run).
if [ -f $bus/drop/done/posizioni.csv ]; then mv $bus/drop/done/posizioni.csv $bus/posizioni.csv; fi
head -n $((rows + 1)) $bus/posizioni.csv > b3-callgrind.csv
tenant=$bus/tenants/072006-bari.yaml
cp "$tenant" b3-callgrind-tenant.yaml
trap 'mv b3-callgrind-tenant.yaml "$tenant"' EXIT
sed -i "s/^    service: posizioni\.carica.*/    service: $service/" "$tenant"
export BENCH_DB=$PWD/$bus.db BENCH_SOAP_URL=http://127.0.0.1:9/ BENCH_SOAP_URL_10K=http://127.0.0.1:9/ \
  BENCH_SOAP_URL_100K=http://127.0.0.1:9/

# One callgrind run: idle, or with the file dropped; prints its instruction total.
run() {
  rm -rf $bus/journal.db* $bus/var $bus/drop/done $bus/drop/p.csv
  sqlite3 $bus.db "DELETE FROM posizioni;"
  valgrind --tool=callgrind --callgrind-out-file="b3-callgrind.$1.out" "$bin" serve \
    --config $bus/bus.yaml --listen 127.0.0.1:0 2> "b3-callgrind.$1.log" &
  local pid=$!
  until grep -q '"listening"' "b3-callgrind.$1.log" 2>/dev/null; do sleep 0.2; done
  if [ "$1" = busy ]; then
    cp b3-callgrind.csv $bus/drop/.p.tmp
    mv $bus/drop/.p.tmp $bus/drop/p.csv
    until [ -f $bus/drop/done/p.csv ]; do sleep 0.2; done
  fi
  kill "$pid"
  wait "$pid" || true
  callgrind_annotate "b3-callgrind.$1.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}
idle=$(run idle)
busy=$(run busy)
stored=$(sqlite3 $bus.db 'SELECT count(*) FROM posizioni')
echo "$service: $stored of $rows rows stored; $(( (busy - idle) / rows )) instructions per row" \
  "(busy $busy, idle $idle; callgrind files b3-callgrind.{busy,idle}.out in $dir)"
