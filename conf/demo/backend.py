#!/usr/bin/env python3
"""The demo REST back-end that `make run` starts beside the bus: a municipality's tax
system answering GET /posizioni/{codice_fiscale}[?anno=YYYY] from posizioni.json, and a
welfare desk taking POST /domande (kept in memory, deduplicated by exchange id)."""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

DOMANDE = {}
DATA = json.loads((Path(__file__).parent / "posizioni.json").read_text(encoding="utf-8"))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        if len(parts) != 2 or parts[0] != "posizioni" or parts[1] not in DATA:
            return self.reply(404, {"errore": "contribuente sconosciuto"})
        record = dict(DATA[parts[1]])
        anno = parse_qs(url.query).get("anno")
        if anno:
            record["posizioni"] = [p for p in record["posizioni"] if str(p["anno"]) == anno[0]]
        self.reply(200, record)

    def do_POST(self):
        if urlsplit(self.path).path != "/domande":
            return self.reply(404, {"errore": "risorsa sconosciuta"})
        length = int(self.headers.get("Content-Length", "0"))
        domanda = json.loads(self.rfile.read(length) or b"{}")
        # The bus may deliver twice (at least once); the exchange id makes it idempotent.
        DOMANDE[self.headers.get("X-Egov-Exchange-Id", "")] = domanda
        self.reply(201, {"protocollo": len(DOMANDE), "pratica": domanda.get("pratica")})

    def reply(self, status, body):
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        sys.stderr.write("demo-backend: " + (fmt % args) + "\n")


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8091
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
