#!/usr/bin/env bash
# `make run`: starts the demo REST back-end (conf/demo/backend.py, 127.0.0.1:8091) and the
# bus in the foreground on the demo config; stopping the bus (Ctrl-C) stops the back-end.
# The demo client's API key (and an admin key) are created into the data folder var/ the
# first time, kept in var/demo-key and var/demo-admin-key (mode 600) and printed: the config
# holds no secret, and the README's curl examples read the key from that file.
set -euo pipefail
bin=$1 config=$2 listen=$3
data="$(cd "$(dirname "$config")/.." && pwd)/var"
mkdir -p "$data"
# A key file whose key is no longer in the store (var/keys.db removed) is made anew.
ensure_key() {  # ensure_key FILE ARGS...
  local file=$1; shift
  if [ -s "$file" ] && "$bin" key list --config "$config" | grep -q "^$(cut -c5-16 "$file") .*created=" &&
     ! "$bin" key list --config "$config" | grep "^$(cut -c5-16 "$file") " | grep -q revoked=; then
    return
  fi
  (umask 077; "$bin" key create "$@" --config "$config" 2>/dev/null > "$file.tmp" && mv "$file.tmp" "$file")
}
ensure_key "$data/demo-key" --client demo
ensure_key "$data/demo-admin-key" --client demo-operator --admin
python3 "$(dirname "$config")/demo/backend.py" 8091 &
backend=$!
trap 'kill $backend 2>/dev/null || true' EXIT
echo "demo back-end on 127.0.0.1:8091; bus on $listen (Ctrl-C stops both)"
echo "demo client key (var/demo-key): $(cat "$data/demo-key")"
echo "demo admin key (var/demo-admin-key): $(cat "$data/demo-admin-key")"
echo "try: curl -s -H \"Authorization: Bearer \$(cat var/demo-key)\" 'http://$listen/api/v1/bari/tributi/posizioni?codice_fiscale=RSSMRA80A01A662A'"
"$bin" serve --config "$config" --listen "$listen"
