#!/usr/bin/env python3
"""A drain (SIGTERM) lets a one-way delivery in flight finish and record its outcome: the
back-end holds the delivery until the bus logs that it is draining with it in flight, then
answers; the bus must exit 0 with the exchange delivered in its journal, not left
`delivering` for its lease to expire after a restart. Real processes on loopback; nothing is
asserted about time (the back-end answers only once the drain has begun).

While it runs, the bus's threads carry their names (`top -H`, perf's `--sort comm`): the
journal's, the second I/O thread's, both workers' and the log writer's.

Usage: drain_test.py path/to/egovbus
"""
import json
import os
import signal
import sqlite3
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from support import ROOT, Backend, Bus, request, wait_until, write  # noqa: E402

BUS = os.path.abspath(sys.argv[1])

arrived = threading.Event()
answer = threading.Event()


def handle(handler, body):
    arrived.set()
    answer.wait(120)
    return 200, {"protocollo": "P-1"}


def thread_names(pid):
    names = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/comm") as f:
            names.append(f.read().strip())
    return names


def draining_line(log_path):
    """The bus's `draining` log line, parsed; None until it is written."""
    with open(log_path, "rb") as f:
        for raw in f:
            if b'"msg":"draining"' in raw:
                return json.loads(raw)
    return None


def main():
    work = tempfile.mkdtemp(prefix="egovbus-drain-")
    backend = Backend(handle).start()
    config = f"{work}/conf/bus.yaml"
    write(config, f"listen: 127.0.0.1:0\npaths: {{ mappings: {ROOT}/mappings, schemas: {ROOT}/schemas }}\n"
                  "journal: { path: ../var/journal.db, poll_interval: 20ms }\n"
                  "limits: { drain_timeout: 60s }\nthreads: { io: 2, workers: 2 }\n")
    write(f"{work}/conf/profiles/p.yaml",
          "routes:\n  - service: welfare.domanda\n    mode: one-way\n    steps: [ { call: protocollo } ]\n")
    write(f"{work}/conf/tenants/bari.yaml",
          'tenant: { istat: "072006", slug: bari, name: Bari }\nprofile: p\nendpoints:\n'
          f'  protocollo: {{ type: http, url: "{backend.url("/protocollo")}", timeout: 60s }}\n')
    log_path = f"{work}/bus.log"
    bus = Bus(BUS, config, log_path).start()
    failures = []
    try:
        status, _, accepted = request(bus.port, "POST", "/api/v1/bari/welfare/domanda", {"n": 1})
        if status != 202:
            raise SystemExit(f"FAIL: the one-way request answered {status}")
        exchange = accepted["id"]
        names = sorted(thread_names(bus.process.pid))
        print(f"threads: {names}")
        for name in ("egov-journal", "egov-io-1", "egov-log"):
            if name not in names:
                failures.append(f"no thread named {name}")
        if names.count("egov-worker") != 2:
            failures.append(f"{names.count('egov-worker')} threads named egov-worker, expected 2")
        if not arrived.wait(60):
            raise SystemExit("FAIL: the delivery never reached the back-end")
        bus.process.send_signal(signal.SIGTERM)
        # The back-end answers once the bus says it is draining with the delivery in flight;
        # a bus that does not wait for it has exited by then, or exits without the answer.
        if not wait_until(lambda: draining_line(log_path) is not None or bus.process.poll() is not None):
            failures.append("the bus neither logged draining nor exited")
        line = draining_line(log_path) or {}
        print(f"draining: {line}")
        if line.get("deliveries") != 1:
            failures.append(f"draining with {line.get('deliveries')} deliveries in flight, expected 1")
        answer.set()
        code = bus.process.wait(120)
        if code != 0:
            failures.append(f"the bus exited {code}")
        db = sqlite3.connect(f"{work}/var/journal.db")
        state, attempts = db.execute("SELECT state, attempts FROM exchanges WHERE id = ?",
                                     (exchange,)).fetchone()
        db.close()
        print(f"exchange {exchange}: {state}, {attempts} attempt(s)")
        if state != "delivered" or attempts != 1:
            failures.append(f"the exchange is {state} after {attempts} attempt(s), expected delivered after 1")
    finally:
        answer.set()
        bus.stop()
        backend.stop()
    for f in failures:
        print("FAILED:", f)
    print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
