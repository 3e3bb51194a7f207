#!/usr/bin/env bash
# Peak memory of the csv source on a large drop file: `egovbus serve` under /usr/bin/time -v
# processes a generated Windows-1252 CSV of ROWS rows (each row an exchange of a request-reply
# route that maps it with XSLT to a JSON-representation request), then is stopped with SIGTERM
# once the file is in done/. (Not the `memory` endpoint: it keeps every body it receives, for
# tests to inspect.)
#   bench/csv_batch_rss.sh build/egovbus [ROWS]      (default 1000000)
set -euo pipefail
bus=$(realpath "$1")
rows=${2:-1000000}
work=$(mktemp -d "${TMPDIR:-/tmp}/egovbus-csv-rss.XXXXXX")
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/conf/tenants" "$work/conf/profiles" "$work/mappings" "$work/schemas" "$work/drop"
cat > "$work/conf/bus.yaml" <<YAML
listen: 127.0.0.1:0
threads: { io: 1, workers: 2 }
journal: { path: ../var/journal.db }
YAML
cat > "$work/conf/tenants/bari.yaml" <<YAML
tenant: { istat: "072006", slug: bari, name: Bari }
routes:
  - service: tari.versamento
    steps: [ { map: versamento.xsl } ]
sources:
  versamenti:
    type: csv
    service: tari.versamento
    folder: ../../drop
    delimiter: ";"
    charset: windows-1252
    settle: 200ms
    concurrency: 16
YAML
cat > "$work/mappings/versamento.xsl" <<'XSL'
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:c="urn:egovbus:csv" exclude-result-prefixes="c">
  <xsl:template match="/c:row">
    <map xmlns="http://www.w3.org/2005/xpath-functions">
      <string key="cf"><xsl:value-of select="c:field[@name='codice_fiscale']"/></string>
      <string key="importo"><xsl:value-of select="c:field[@name='importo']"/></string>
      <number key="riga"><xsl:value-of select="@number"/></number>
    </map>
  </xsl:template>
</xsl:stylesheet>
XSL
python3 - "$work/gen.csv" "$rows" <<'PY'
import sys
path, rows = sys.argv[1], int(sys.argv[2])
with open(path, 'wb') as out:
    out.write('codice_fiscale;cognome;comune;importo;anno\r\n'.encode('cp1252'))
    for i in range(rows):
        out.write(f'RSSMRA80A01A{i % 1000:03d}A;Cardà {i};Città {i % 41};{i % 1000},50;2024\r\n'
                  .encode('cp1252'))
PY
size=$(stat -c %s "$work/gen.csv")
/usr/bin/time -v "$bus" serve --config "$work/conf/bus.yaml" 2> "$work/bus.log" &
pid=$!
sleep 1
mv "$work/gen.csv" "$work/drop/versamenti.csv"
start=$(date +%s)
while [ ! -e "$work/drop/done/versamenti.csv" ]; do
  if ! kill -0 "$pid" 2>/dev/null; then echo "bus exited early"; tail -20 "$work/bus.log"; exit 1; fi
  sleep 1
done
end=$(date +%s)
bus_pid=$(pgrep -P "$pid")   # the bus itself, child of time
grep VmHWM "/proc/$bus_pid/status"
kill -TERM "$bus_pid"       # the bus drains and exits; time then prints its report
wait "$pid" || true
outcomes=$(($(wc -l < "$work/drop/done/versamenti.csv.outcomes.csv") - 1))
echo "rows: $rows  file: $size bytes  outcomes recorded: $outcomes  seconds: $((end - start))"
grep -E '"batch (file done|progress)"' "$work/bus.log" | tail -2
grep -E 'Maximum resident set size|Elapsed' "$work/bus.log"
