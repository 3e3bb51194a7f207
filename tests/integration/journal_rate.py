#!/usr/bin/env python3
"""Measures one-way acceptance (202, durably journaled) through the real API with wrk, on a
journal backend, while the delivery worker delivers to an in-memory endpoint. Not a test: it
prints figures. Needs wrk.

Usage: journal_rate.py path/to/egovbus [sqlite|postgresql] [seconds] [connections]
"""
import os
import shutil
import subprocess
import sys
import tempfile

from support import Bus, Postgres, ROOT, request, wait_until, write

BUS = os.path.abspath(sys.argv[1])
DRIVER = sys.argv[2] if len(sys.argv) > 2 else "postgresql"
SECONDS = int(sys.argv[3]) if len(sys.argv) > 3 else 10
CONNECTIONS = int(sys.argv[4]) if len(sys.argv) > 4 else 32

LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"codice_fiscale":"RSSMRA80A01A662A","sportello":"casa"}'
"""


def main():
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    work = tempfile.mkdtemp(prefix="egovbus-rate-")
    pg, env = None, {}
    if DRIVER == "postgresql":
        pg = Postgres().start().create()
        env["EGOV_JOURNAL_DSN"] = pg.dsn()
        journal = 'driver: postgresql, dsn: "${env:EGOV_JOURNAL_DSN}"'
    else:
        journal = "path: ../var/journal.db"
    write(f"{work}/conf/bus.yaml",
          f"listen: 127.0.0.1:0\npaths: {{ mappings: {ROOT}/mappings, schemas: {ROOT}/schemas }}\n"
          f"threads: {{ io: 2 }}\njournal: {{ {journal} }}\n")
    write(f"{work}/conf/profiles/p.yaml",
          "routes:\n  - service: welfare.domanda\n    mode: one-way\n    steps: [ { call: desk } ]\n")
    write(f"{work}/conf/tenants/bari.yaml",
          'tenant: { istat: "072006", slug: bari, name: Bari }\nprofile: p\n'
          "endpoints: { desk: { type: memory } }\n")
    write(f"{work}/post.lua", LUA)
    bus = Bus(BUS, f"{work}/conf/bus.yaml", f"{work}/bus.log", env).start()
    try:
        url = f"http://127.0.0.1:{bus.port}/api/v1/bari/welfare/domanda"
        out = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency",
                              "-s", f"{work}/post.lua", url], capture_output=True, text=True)
        print(out.stdout)
        status, _, data = request(bus.port, "POST", "/api/v1/bari/welfare/domanda", {"x": "1"})
        ok = status == 202 and wait_until(
            lambda: request(bus.port, "GET", f"/api/v1/bari/exchanges/{data['id']}")[2]["state"]
            == "delivered")
        print(f"journal {DRIVER}: last exchange delivered: {ok}")
    finally:
        bus.stop()
        if pg:
            pg.remove()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
