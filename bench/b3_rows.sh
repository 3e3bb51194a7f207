#!/bin/bash
# B3's default mode by hand: the first ROWS rows of a folder kept by
# `bench/bench.py --only b3 --keep` dropped into a csv source of `egovbus serve` with one
# exchange per row (bench.py's `posizioni.carica-riga` route: carica-riga.xsl, one INSERT,
# concurrency 16) into a WAL-mode archive. Prints rows/s and the bus's CPU per row; run it
# alternately with two binaries to compare them.
#
#   bench/b3_rows.sh /tmp/egovbus-bench-XXXX [build/egovbus] [20000]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(realpath "${1:?the folder kept by bench.py --only b3 --keep}")
bin=$(realpath "${2:-build/egovbus}")
rows=${3:-20000}
cd "$dir"
if [ -f b3-bus/drop/done/posizioni.csv ]; then mv b3-bus/drop/done/posizioni.csv b3-bus/posizioni.csv; fi
work=$dir/b3-rows
rm -rf "$work"
mkdir -p "$work/tenants" "$work/profiles" "$work/drop"
head -n $((rows + 1)) b3-bus/posizioni.csv > "$work/rows.csv"
sqlite3 "$work/archive.db" "$(sqlite3 b3-bus.db .schema)" "PRAGMA journal_mode=WAL;" > /dev/null
cat > "$work/bus.yaml" <<EOF
listen: 127.0.0.1:0
threads: { io: 2, workers: 2 }
paths:
  tenants: tenants
  profiles: profiles
  mappings: $root/bench/conf/mappings
  schemas: $root/schemas
journal: { path: $work/journal.db }
EOF
cat > "$work/tenants/072006-bari.yaml" <<EOF
tenant: { istat: "072006", slug: bari, name: Bari }
routes:
  - service: posizioni.carica-riga
    steps:
      - map: bench/carica-riga.xsl
      - call: archivio
endpoints:
  archivio:
    type: db
    driver: sqlite
    path: $work/archive.db
    pool: { max: 1 }
    statement_timeout: 60s
    statements:
      riga:
        sql: >-
          INSERT INTO posizioni (codice_fiscale, anno, tributo, importo, scadenza, stato)
          VALUES (:cf, :anno, :tributo, :importo, :scadenza, :stato)
        params: { cf: /riga/cf, anno: /riga/anno, tributo: /riga/tributo, importo: /riga/importo,
                  scadenza: /riga/scadenza, stato: /riga/stato }
sources:
  posizioni:
    type: csv
    folder: $work/drop
    settle: 50ms
    interval: 50ms
    service: posizioni.carica-riga
    concurrency: 16
EOF
"$bin" serve --config "$work/bus.yaml" --listen 127.0.0.1:0 2> "$work/bus.log" &
pid=$!
until grep -q '"listening"' "$work/bus.log" 2>/dev/null; do sleep 0.1; done
started=$(date +%s.%N)
cpu0=$(awk '{print $14 + $15}' /proc/$pid/stat)
mv "$work/rows.csv" "$work/drop/rows.csv"
while [ ! -f "$work/drop/done/rows.csv" ]; do sleep 0.02; done
ended=$(date +%s.%N)
cpu1=$(awk '{print $14 + $15}' /proc/$pid/stat)
kill $pid
wait $pid || true
stored=$(sqlite3 "$work/archive.db" 'SELECT count(*) FROM posizioni')
python3 -c "import sys; s, e, c0, c1, n = map(float, sys.argv[1:]); print(f'{n:.0f} rows stored in {e - s:.2f} s: {n / (e - s):.0f} rows/s, {(c1 - c0) * 10 / n:.4f} ms of bus CPU a row')" \
  "$started" "$ended" "$cpu0" "$cpu1" "$stored"
