#!/usr/bin/env python3
"""The concurrency cap holds against a burst: 40 clients call a synchronous route and 80
one-way exchanges are delivered at the same time, all to one back-end endpoint with
max_concurrency 3. The back-end counts the requests it is serving at once and must never
see more than 3; every synchronous call succeeds (waiting in the endpoint's queue) and every
one-way exchange is delivered. Real processes on loopback; nothing asserted about time.

Usage: concurrency_cap_test.py path/to/egovbus
"""
import os
import shutil
import sys
import tempfile
import threading
import time

from support import Backend, Bus, ROOT, request, wait_until, write

BUS = os.path.abspath(sys.argv[1])
CAP = 3

state = {"current": 0, "highest": 0, "served": 0}
delivered = set()
lock = threading.Lock()


def handle(handler, body):
    with lock:
        state["current"] += 1
        state["highest"] = max(state["highest"], state["current"])
    time.sleep(0.02)  # keeps requests overlapping, so that a broken cap would show
    with lock:
        state["current"] -= 1
        state["served"] += 1
        if handler.path.startswith("/domande"):
            delivered.add(handler.headers.get("X-Egov-Exchange-Id", ""))
    return 200, {"ok": True}


def main():
    work = tempfile.mkdtemp(prefix="egovbus-cap-")
    backend = Backend(handle).start()
    write(f"{work}/conf/bus.yaml",
          f"listen: 127.0.0.1:0\npaths: {{ mappings: {ROOT}/mappings, schemas: {ROOT}/schemas }}\n"
          "threads: { io: 2 }\n"
          "journal: { path: ../var/journal.db, poll_interval: 20ms, deliveries: 32 }\n")
    write(f"{work}/conf/profiles/p.yaml",
          "routes:\n"
          "  - service: tributi.posizioni\n    deadline: 30s\n    steps: [ { call: comune } ]\n"
          "  - service: welfare.domanda\n    mode: one-way\n"
          "    delivery: { attempts: 1000, backoff: 10ms, max_backoff: 100ms }\n"
          "    steps: [ { call: domande } ]\n")
    # Two endpoints (each with its own cap) on one server: the two bursts run one after the
    # other, so the server's count is each endpoint's alone.
    write(f"{work}/conf/tenants/bari.yaml",
          'tenant: { istat: "072006", slug: bari, name: Bari }\nprofile: p\nendpoints:\n'
          f'  comune: {{ type: http, url: "{backend.url("/posizioni")}", timeout: 20s,\n'
          f'            max_concurrency: {CAP}, queue: 1000 }}\n'
          f'  domande: {{ type: http, url: "{backend.url("/domande")}", timeout: 20s,\n'
          f'             max_concurrency: {CAP}, queue: 1000 }}\n')
    bus = Bus(BUS, f"{work}/conf/bus.yaml", f"{work}/bus.log").start()
    failures = []
    try:
        # Phase 1: synchronous burst alone.
        statuses = []

        def client():
            statuses.append(request(bus.port, "POST", "/api/v1/bari/tributi/posizioni", {},
                                    timeout=60)[0])
        clients = [threading.Thread(target=client) for _ in range(40)]
        for t in clients:
            t.start()
        for t in clients:
            t.join()
        sync_highest = state["highest"]
        print(f"synchronous burst: {statuses.count(200)}/40 ok, back-end saw at most {sync_highest}")
        if statuses.count(200) != 40:
            failures.append(f"synchronous calls failed: {sorted(set(statuses))}")
        if sync_highest > CAP:
            failures.append(f"back-end saw {sync_highest} synchronous calls at once (cap {CAP})")

        # Phase 2: one-way burst (32 deliveries in flight allowed by the journal, capped at 3).
        with lock:
            state["highest"] = 0
        ids = [request(bus.port, "POST", "/api/v1/bari/welfare/domanda", {"n": i})[2]["id"]
               for i in range(80)]
        if not wait_until(lambda: all(i in delivered for i in ids)):
            failures.append("not every one-way exchange was delivered")
        print(f"one-way burst: {len(delivered)}/80 delivered, back-end saw at most {state['highest']}")
        if state["highest"] > CAP:
            failures.append(f"back-end saw {state['highest']} deliveries at once (cap {CAP})")
    finally:
        bus.stop()
        backend.stop()
        if not failures:
            shutil.rmtree(work, ignore_errors=True)  # kept with its logs when a check failed
    for f in failures:
        print("FAILED:", f)
    ok = 0 if failures else 1
    print(f"{ok} passed, {1 - ok} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
