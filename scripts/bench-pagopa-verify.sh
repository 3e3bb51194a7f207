#!/usr/bin/env bash
# paVerifyPaymentNotice round trips through a SOAP back-end: wrk → the bus (pagopa inbound,
# pagopa-soap profile) → node-soap (tests/interop/pagopa_backend.js) → the official response.
#   scripts/bench-pagopa-verify.sh build/egovbus [connections] [seconds]
# Everything runs on 127.0.0.1 from a temporary folder, removed at the end.
set -euo pipefail
bin=$(realpath "$1") connections=${2:-32} seconds=${3:-15}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

node "$root/tests/interop/pagopa_backend.js" > "$work/backend.port" &
pids+=($!)
for _ in $(seq 50); do [ -s "$work/backend.port" ] && break; sleep 0.1; done
backend=$(head -1 "$work/backend.port")

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/conf/tenants" "$work/conf/profiles"
cp "$root/conf/profiles/pagopa-soap.yaml" "$work/conf/profiles/"
cat > "$work/conf/bus.yaml" <<YAML
listen: 127.0.0.1:$port
threads: { io: 2, workers: 2 }
paths: { mappings: $root/mappings, schemas: $root/schemas }
journal: { path: $work/var/journal.db }
inbound:
  pagopa: { type: pagopa, path: /pagopa/paForNode, id_broker_pa: "80000190729", id_station: "80000190729_01" }
YAML
cat > "$work/conf/tenants/072006-bari.yaml" <<YAML
tenant: { istat: "072006", slug: bari, name: Bari, fiscal_code: "80015010723" }
profile: pagopa-soap
endpoints:
  posizioni: { type: soap, url: "http://127.0.0.1:$backend/posizioni", timeout: 5s }
params: { pagopa_aux_digit: "3", pagopa_code: "01" }
pagopa: {}
YAML
# The node's key (pagopa.* for every creditor) and an admin key for /metrics.
key=$("$bin" key create --client nodo-pagopa --tenant '*' --service 'pagopa.*' --config "$work/conf/bus.yaml")
admin=$("$bin" key create --client bench-operator --admin --config "$work/conf/bus.yaml")
"$bin" serve --config "$work/conf/bus.yaml" 2> "$work/bus.log" &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" > /dev/null && break; sleep 0.1; done

# Position 1 of the back-end: notice 301000000000000144 (aux digit 3, segregation code 01).
cat > "$work/verify.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $key"
wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
wrk.headers["SOAPAction"] = "paVerifyPaymentNotice"
wrk.body = [[<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:pafn="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"><soapenv:Body><pafn:paVerifyPaymentNoticeReq><idPA>80015010723</idPA><idBrokerPA>80000190729</idBrokerPA><idStation>80000190729_01</idStation><qrCode><fiscalCode>80015010723</fiscalCode><noticeNumber>301000000000000144</noticeNumber></qrCode></pafn:paVerifyPaymentNoticeReq></soapenv:Body></soapenv:Envelope>]]
LUA
url="http://127.0.0.1:$port/pagopa/paForNode"
answer=$(curl -s -X POST -H 'Content-Type: text/xml' -H "Authorization: Bearer $key" --data-binary @<(sed -n 's/^wrk.body = \[\[\(.*\)\]\]$/\1/p' "$work/verify.lua") "$url")
case "$answer" in
  *"<outcome>OK</outcome>"*) ;;
  *) echo "unexpected answer: $answer" >&2; exit 1 ;;
esac
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$work/verify.lua" "$url"
echo "outcomes: $(curl -s -H "Authorization: Bearer $admin" "http://127.0.0.1:$port/metrics" | grep '^egov_pagopa_requests_total')"
