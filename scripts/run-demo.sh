#!/usr/bin/env bash
# `make run`: a metro area on one machine. Generates the demo data (demo/generate.py, fixed
# seed) into var/demo, with each municipality's demo PDND client key made once by openssl in
# var/demo/pdnd/ (never committed; tenant files name the key file), starts the demo back-ends
# (the two SOAP vendors on node-soap, 127.0.0.1:8101; the PDND/ANPR simulator tools/pdnd-sim
# with the registry var/demo/pdnd/sim.json of those clients, their public keys and purposes,
# serving the generated citizens, 127.0.0.1:8102; the CSV municipalities' import job) and the
# bus in the foreground on the demo config; stopping the bus (Ctrl-C) stops them.
# The demo client's API key (and an admin key) are created into the key store in var/ the
# first time, kept in var/demo-key and var/demo-admin-key (mode 600) and printed: the config
# holds no secret, and the README's curl examples read the key from that file.
set -euo pipefail
bin=$1 config=$2 listen=$3
root=$(cd "$(dirname "$0")/.." && pwd)
data=$root/var/demo
# Vendor B's WS-Security password: a demo value, given to both sides through the environment.
export EGOV_DEMO_SOAPB_PASSWORD=${EGOV_DEMO_SOAPB_PASSWORD:-demo-only-password}
python3 "$root/demo/generate.py" "$data"
# A key file whose key is no longer in the store (var/keys.db removed) or was revoked is made anew.
ensure_key() {  # ensure_key FILE ARGS...
  local file=$1; shift
  if [ -s "$file" ]; then
    local id line
    id=$(cut -c5-16 "$file")
    line=$("$bin" key list --config "$config" | grep "^$id " || true)
    if [[ "$line" == *created=* && "$line" != *revoked=* ]]; then return; fi
  fi
  (umask 077; "$bin" key create "$@" --config "$config" 2>/dev/null >"$file.tmp" && mv "$file.tmp" "$file")
}
ensure_key "$root/var/demo-key" --client demo
ensure_key "$root/var/demo-admin-key" --client demo-operator --admin
# The pagoPA node's key: scoped to pagopa.* (conf/bus.yaml, clients.nodo-pagopa).
ensure_key "$root/var/demo-pagopa-key" --client nodo-pagopa
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
NODE_PATH=$root/tests/interop/node_modules node "$root/demo/soap_vendors.js" "$data" 8101 >/dev/null &
pids+=($!)
EGOV_SIM_LISTEN=127.0.0.1:8102 node "$root/tools/pdnd-sim/server.js" "$data/pdnd/sim.json" >/dev/null &
pids+=($!)
python3 "$root/demo/csv_backend.py" "$data" &
pids+=($!)
echo "demo back-ends: SOAP vendors 127.0.0.1:8101, PDND/ANPR simulator 127.0.0.1:8102; bus on $listen (Ctrl-C stops all)"
echo "demo client key (var/demo-key): $(cat "$root/var/demo-key")"
echo "demo admin key (var/demo-admin-key): $(cat "$root/var/demo-admin-key")"
echo "pagoPA node key (var/demo-pagopa-key): $(cat "$root/var/demo-pagopa-key")"
echo "web console: http://$listen/console (enter the admin key)"
echo "try: curl -s -H \"Authorization: Bearer \$(cat var/demo-key)\" 'http://$listen/api/v1/bari/servizi/catalogo'"
"$bin" serve --config "$config" --listen "$listen"
