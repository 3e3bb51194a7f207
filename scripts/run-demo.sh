#!/usr/bin/env bash
# `make run`: a metro area on one machine. Generates the demo data (demo/generate.py, fixed
# seed) into var/demo, starts the demo back-ends (the two SOAP vendors on node-soap,
# 127.0.0.1:8101; the ANPR C020 stand-in, 127.0.0.1:8102; the CSV municipalities' import job)
# and the bus in the foreground on the demo config; stopping the bus (Ctrl-C) stops them.
set -euo pipefail
bin=$1 config=$2 listen=$3
root=$(cd "$(dirname "$0")/.." && pwd)
data=$root/var/demo
# Vendor B's WS-Security password: a demo value, given to both sides through the environment.
export EGOV_DEMO_SOAPB_PASSWORD=${EGOV_DEMO_SOAPB_PASSWORD:-demo-only-password}
python3 "$root/demo/generate.py" "$data"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
NODE_PATH=$root/tests/interop/node_modules node "$root/demo/soap_vendors.js" "$data" 8101 >/dev/null &
pids+=($!)
python3 "$root/demo/anpr_sim.py" "$data" 8102 >/dev/null &
pids+=($!)
python3 "$root/demo/csv_backend.py" "$data" &
pids+=($!)
echo "demo back-ends: SOAP vendors 127.0.0.1:8101, ANPR 127.0.0.1:8102; bus on $listen (Ctrl-C stops all)"
echo "try: curl -s 'http://$listen/api/v1/bari/servizi/catalogo'"
"$bin" serve --config "$config" --listen "$listen"
