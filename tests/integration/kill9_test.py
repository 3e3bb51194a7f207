#!/usr/bin/env python3
"""Never lose an accepted one-way exchange: a client submits applications while the bus is
killed with SIGKILL and restarted again and again; a recording back-end must end up with
every exchange that was answered 202. Real processes, loopback only, no timing asserted.

Usage: kill9_test.py path/to/egovbus [requests] [kills]
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BUS = os.path.abspath(sys.argv[1])
REQUESTS = int(sys.argv[2]) if len(sys.argv) > 2 else 300
KILLS = int(sys.argv[3]) if len(sys.argv) > 3 else 10
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

received = set()
received_lock = threading.Lock()


class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with received_lock:
            received.add(self.headers.get("X-Egov-Exchange-Id", ""))
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the bus is killed mid-request on purpose: resets are expected


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def start_bus(config, port, log):
    bus = subprocess.Popen([BUS, "serve", "--config", config, "--listen", f"127.0.0.1:{port}"],
                           stdout=log, stderr=log)
    for _ in range(1000):  # until it answers /healthz
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/readyz")
            if c.getresponse().status == 200:
                return bus
        except OSError:
            time.sleep(0.01)
        if bus.poll() is not None:
            raise SystemExit(f"bus exited with {bus.returncode}")
    raise SystemExit("bus did not become ready")


def main():
    backend = QuietServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    work = tempfile.mkdtemp(prefix="egovbus-kill9-")
    write(f"{work}/conf/bus.yaml",
          f"listen: 127.0.0.1:0\npaths: {{ mappings: {ROOT}/mappings, schemas: {ROOT}/schemas }}\n"
          "journal: { path: ../var/journal.db, poll_interval: 20ms, lease: 2s }\n")
    write(f"{work}/conf/profiles/p.yaml",
          "routes:\n  - service: welfare.domanda\n    mode: one-way\n"
          "    delivery: { attempts: 1000, backoff: 10ms, max_backoff: 200ms }\n"
          "    steps: [ { call: desk } ]\n")
    write(f"{work}/conf/tenants/bari.yaml",
          'tenant: { istat: "072006", slug: bari, name: Bari }\nprofile: p\n'
          f'endpoints: {{ desk: {{ type: http, url: "http://127.0.0.1:{backend.server_port}/domande" }} }}\n')
    config = f"{work}/conf/bus.yaml"
    key = subprocess.run([BUS, "key", "create", "--client", "test", "--tenant", "bari",
                          "--service", "welfare.*", "--config", config],
                         check=True, capture_output=True, text=True).stdout.strip()
    port = free_port()
    log = open(f"{work}/bus.log", "ab")
    bus = start_bus(config, port, log)

    accepted = []
    kill_every = max(1, REQUESTS // (KILLS + 1))
    kills = 0
    for i in range(REQUESTS):
        if i > 0 and i % kill_every == 0 and kills < KILLS:
            bus.send_signal(signal.SIGKILL)  # no drain, no flush: the worst case
            bus.wait()
            kills += 1
            bus = start_bus(config, port, log)
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("POST", "/api/v1/bari/welfare/domanda", json.dumps({"n": i}),
                      {"Content-Type": "application/json", "Authorization": "Bearer " + key})
            r = c.getresponse()
            body = r.read()
            if r.status == 202:
                accepted.append(json.loads(body)["id"])
        except OSError:
            pass  # not accepted, so nothing was promised

    # Every accepted exchange must arrive, whatever was running when the bus died.
    for _ in range(3000):
        with received_lock:
            missing = [a for a in accepted if a not in received]
        if not missing:
            break
        time.sleep(0.02)
    bus.send_signal(signal.SIGTERM)
    bus.wait()
    backend.shutdown()
    print(f"kill9: {len(accepted)} accepted, {kills} kills, {len(missing)} missing")
    if missing:
        print("missing:", missing[:10])
    ok = 1 if (not missing and kills == KILLS and len(accepted) >= REQUESTS // 2) else 0
    print(f"{ok} passed, {1 - ok} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
