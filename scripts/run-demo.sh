#!/usr/bin/env bash
# `make run`: starts the demo REST back-end (conf/demo/backend.py, 127.0.0.1:8091) and the
# bus in the foreground on the demo config; stopping the bus (Ctrl-C) stops the back-end.
set -euo pipefail
bin=$1 config=$2 listen=$3
python3 "$(dirname "$config")/demo/backend.py" 8091 &
backend=$!
trap 'kill $backend 2>/dev/null || true' EXIT
echo "demo back-end on 127.0.0.1:8091; bus on $listen (Ctrl-C stops both)"
echo "try: curl -s 'http://$listen/api/v1/bari/tributi/posizioni?codice_fiscale=RSSMRA80A01A662A'"
"$bin" serve --config "$config" --listen "$listen"
