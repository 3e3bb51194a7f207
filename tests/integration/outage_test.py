#!/usr/bin/env python3
"""A back-end down for a while, then back. While it is down, one-way submissions are still
answered 202 and wait in the journal (retried), and synchronous calls to it fail at once:
502 while the breaker counts failures, then 503 with Retry-After once it is open. When it is
back, every queued exchange is delivered and synchronous calls succeed again. Real
processes on loopback; nothing asserted about time.

Usage: outage_test.py path/to/egovbus [sqlite|postgresql]
"""
import os
import shutil
import sys
import tempfile
import threading

from support import Backend, Bus, Postgres, ROOT, request, wait_until, write

BUS = os.path.abspath(sys.argv[1])
DRIVER = sys.argv[2] if len(sys.argv) > 2 else "sqlite"

received = {}  # exchange id -> body, one-way deliveries
lock = threading.Lock()


def handle(handler, body):
    if handler.path.startswith("/domande"):
        with lock:
            received[handler.headers.get("X-Egov-Exchange-Id", "")] = body
        return 201, {"protocollo": len(received)}
    return 200, {"esito": "ok"}


def main():
    failures = []

    def check(condition, what):
        if not condition:
            failures.append(what)
            print("FAILED:", what)

    work = tempfile.mkdtemp(prefix="egovbus-outage-")
    backend = Backend(handle).start()
    pg = None
    env = {}
    if DRIVER == "postgresql":
        pg = Postgres().start().create()
        env["EGOV_JOURNAL_DSN"] = pg.dsn()
        journal = 'driver: postgresql, dsn: "${env:EGOV_JOURNAL_DSN}"'
    else:
        journal = "path: ../var/journal.db"
    write(f"{work}/conf/bus.yaml",
          f"listen: 127.0.0.1:0\npaths: {{ mappings: {ROOT}/mappings, schemas: {ROOT}/schemas }}\n"
          f"journal: {{ {journal}, poll_interval: 20ms, lease: 5s }}\n")
    write(f"{work}/conf/profiles/p.yaml",
          "routes:\n"
          "  - service: welfare.domanda\n    mode: one-way\n"
          "    delivery: { attempts: 1000, backoff: 20ms, max_backoff: 200ms, max_age: 1h }\n"
          "    steps: [ { call: protocollo } ]\n"
          "  - service: anagrafe.certificato\n    deadline: 5s\n"
          "    steps: [ { call: anagrafe } ]\n")
    write(f"{work}/conf/tenants/bari.yaml",
          'tenant: { istat: "072006", slug: bari, name: Bari }\nprofile: p\nendpoints:\n'
          f'  protocollo: {{ type: http, url: "{backend.url("/domande")}", timeout: 2s }}\n'
          f'  anagrafe: {{ type: http, url: "{backend.url("/certificati")}", timeout: 2s,\n'
          '              breaker: { failures: 3, open_for: 2s } }\n')
    bus = Bus(BUS, f"{work}/conf/bus.yaml", f"{work}/bus.log", env).start()
    try:
        # Up: both kinds of call work.
        check(request(bus.port, "POST", "/api/v1/bari/anagrafe/certificato", {})[0] == 200,
              "synchronous call while the back-end is up")
        before = [request(bus.port, "POST", "/api/v1/bari/welfare/domanda", {"n": i})[2]["id"]
                  for i in range(5)]
        check(wait_until(lambda: all(i in received for i in before)), "delivery while up")

        # Down: one-way is accepted and queued; synchronous calls fail fast.
        backend.stop()
        during = []
        for i in range(50):
            status, _, data = request(bus.port, "POST", "/api/v1/bari/welfare/domanda", {"n": 100 + i})
            check(status == 202, f"one-way accepted while down (got {status})")
            if status == 202:
                during.append(data["id"])
        statuses, retry_after, problem_types = [], [], set()
        for _ in range(10):
            status, headers, data = request(bus.port, "POST", "/api/v1/bari/anagrafe/certificato", {})
            statuses.append(status)
            if status == 503:
                retry_after.append(headers.get("retry-after"))
                problem_types.add(data.get("type") if isinstance(data, dict) else None)
        print("synchronous statuses while down:", statuses)
        check(set(statuses) <= {502, 503}, "synchronous calls while down are 502 or 503")
        check(statuses[:3] == [502, 502, 502], "the first failures reach the back-end (502)")
        check(503 in statuses, "the breaker opens: 503")
        check(all(r and r.isdigit() and int(r) >= 1 for r in retry_after), "503 carries Retry-After")
        check(problem_types == {"urn:egovbus:problem:unavailable"}, "503 is problem unavailable")
        # The queued ones are being retried, not given up.
        check(wait_until(lambda: request(bus.port, "GET", f"/api/v1/bari/exchanges/{during[0]}")[2]
                         .get("attempts", 0) >= 2), "queued exchanges are retried while down")
        state = request(bus.port, "GET", f"/api/v1/bari/exchanges/{during[0]}")[2]
        check(state["state"] in ("queued", "delivering"), f"still queued while down ({state})")
        check(not any(i in received for i in during), "nothing delivered while down")

        # Back: everything queued arrives, and synchronous calls work again.
        backend.start()
        check(wait_until(lambda: all(i in received for i in during)), "all queued delivered after")
        check(wait_until(lambda: all(request(bus.port, "GET", f"/api/v1/bari/exchanges/{i}")[2]
                                     ["state"] == "delivered" for i in during), attempts=500),
              "all queued exchanges are in state delivered")
        check(wait_until(lambda: request(bus.port, "POST", "/api/v1/bari/anagrafe/certificato", {})[0]
                         == 200, attempts=500, pause=0.1), "synchronous calls recover")
        missing = [i for i in during if i not in received]
        print(f"outage ({DRIVER}): {len(during)} accepted while down, {len(missing)} missing")
    finally:
        bus.stop()
        backend.server.server_close()
        if pg:
            pg.remove()
        if not failures:
            shutil.rmtree(work, ignore_errors=True)  # kept with its logs when a check failed
    ok = 0 if failures else 1
    print(f"{ok} passed, {1 - ok} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
