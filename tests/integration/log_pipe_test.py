#!/usr/bin/env python3
"""The bus keeps serving when the reader of its log pipe goes away (a log collector that
stops or restarts): its stderr is a pipe, the test reads the start-up lines, closes its end,
and every request after that is still answered; the bus then drains on SIGTERM and exits 0.
Real process, loopback only, nothing asserted about time.

Usage: log_pipe_test.py path/to/egovbus
"""
import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from support import ROOT, free_port, make_key, request, wait_until, write  # noqa: E402

BUS = os.path.abspath(sys.argv[1])
TENANT = ('tenant: { istat: "072006", slug: bari, name: Bari }\nprofile: p\n'
          "endpoints: { echo: { type: memory } }\n")
PROFILE = "routes:\n  - service: echo.ping\n    steps: [ { call: echo } ]\n"


def main():
    work = tempfile.mkdtemp(prefix="egovbus-logpipe-")
    config = f"{work}/conf/bus.yaml"
    write(config, f"listen: 127.0.0.1:0\npaths: {{ mappings: {ROOT}/mappings, schemas: {ROOT}/schemas }}\n"
                  "journal: { path: ../var/journal.db }\n")
    write(f"{work}/conf/profiles/p.yaml", PROFILE)
    write(f"{work}/conf/tenants/bari.yaml", TENANT)
    key = make_key(BUS, config)
    port = free_port()
    bus = subprocess.Popen([BUS, "serve", "--config", config, "--listen", f"127.0.0.1:{port}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # The log reaches the pipe: read up to the line saying the bus listens.
        for line in bus.stderr:
            if b'"msg":"listening"' in line:
                break
        else:
            raise SystemExit("FAIL: the bus ended before listening")
        headers = {"Authorization": "Bearer " + key}
        wait_until(lambda: request(port, "GET", "/readyz")[0] == 200)
        bus.stderr.close()  # the collector is gone
        answered = 0
        for i in range(300):  # each one an info line (5 ms gathering: many writes in all)
            status, _, _ = request(port, "POST", "/api/v1/bari/echo/ping", {"n": i}, headers)
            if status != 200:
                raise SystemExit(f"FAIL: request {i} answered {status}")
            answered += 1
        # A warning is written at once by the thread that logs it: an unknown service.
        status, _, _ = request(port, "POST", "/api/v1/bari/nessuno/servizio", {}, headers)
        if status != 404:
            raise SystemExit(f"FAIL: an unknown service answered {status}")
        if bus.poll() is not None:
            raise SystemExit(f"FAIL: the bus exited ({bus.returncode}) after its log pipe closed")
        bus.send_signal(signal.SIGTERM)
        code = bus.wait(60)
        if code != 0:
            raise SystemExit(f"FAIL: the bus exited {code} on SIGTERM")
        print(f"ok: {answered} requests answered after the log pipe closed; exit 0 on SIGTERM")
    finally:
        if bus.poll() is None:
            bus.kill()
            bus.wait()


if __name__ == "__main__":
    main()
