#!/bin/bash
# Runs B3's product path again on a folder kept by `bench/bench.py --only b3 --keep`, with any
# binary: empties the archive, starts `egovbus serve` on the kept config, drops the
# 1,000,000-row file into the csv source's folder and times it to done/. Prints each
# thread's CPU seconds (tid:seconds), the wall time, rows/s and the bus's CPU seconds.
#
#   bench/b3_rerun.sh /tmp/egovbus-bench-XXXX [build/egovbus] [perf|sched]
#
# With `perf`, `perf record -g` of the whole bus for 2 s from 1.5 s after the drop, into
# /tmp/b3.perf (then: perf report -i /tmp/b3.perf --no-children --sort pid,dso). With
# `sched`, `perf sched record -a` of both cores for 1 s from 0.3 s after the drop, into
# /tmp/b3.sched (then: perf sched timehist -i /tmp/b3.sched | bench/sched_summary.py).
set -euo pipefail
dir=${1:?the folder kept by bench.py --only b3 --keep}
bin=$(realpath "${2:-build/egovbus}")
cd "$dir"
# The first round's folder (bench.py since its rounds: b3-bus0; b3-bus before).
bus=b3-bus0
[ -d "$bus" ] || bus=b3-bus
if [ -f $bus/drop/done/posizioni.csv ]; then mv $bus/drop/done/posizioni.csv $bus/posizioni.csv; fi
rm -rf $bus/drop/done $bus/journal.db* $bus/var
sqlite3 $bus.db "DELETE FROM posizioni; VACUUM;"
# What the bench tenant file reads from the environment (its SOAP back-ends are not called).
export BENCH_DB=$PWD/$bus.db BENCH_SOAP_URL=http://127.0.0.1:9/ BENCH_SOAP_URL_10K=http://127.0.0.1:9/ \
  BENCH_SOAP_URL_100K=http://127.0.0.1:9/
"$bin" serve --config $bus/bus.yaml --listen 127.0.0.1:0 2> b3-rerun.log &
pid=$!
sleep 1
started=$(date +%s.%N)
cpu0=$(awk '{print $14 + $15}' /proc/$pid/stat)
mv $bus/posizioni.csv $bus/drop/posizioni.csv
if [ "${3:-}" = perf ]; then
  (sleep 1.5; perf record -g -p $pid -o /tmp/b3.perf -- sleep 2 > /dev/null 2>&1) &
elif [ "${3:-}" = sched ]; then
  (sleep 0.3; perf sched record -a -o /tmp/b3.sched -- sleep 1 > /dev/null 2>&1) &
fi
while [ ! -f $bus/drop/done/posizioni.csv ]; do sleep 0.02; done
ended=$(date +%s.%N)
cpu1=$(awk '{print $14 + $15}' /proc/$pid/stat)
for task in /proc/$pid/task/*; do
  printf '%s:%.2f ' "$(basename "$task")" "$(awk '{print ($14 + $15) / 100}' "$task/stat")"
done
echo
kill $pid
wait $pid || true
rows=$(sqlite3 $bus.db 'SELECT count(*) FROM posizioni')
python3 -c "import sys; s, e, c0, c1, n = map(float, sys.argv[1:]); print(f'{n:.0f} rows in {e - s:.2f} s: {n / (e - s):.0f} rows/s, bus CPU {(c1 - c0) / 100:.2f} s')" \
  "$started" "$ended" "$cpu0" "$cpu1" "$rows"
