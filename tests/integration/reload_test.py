#!/usr/bin/env python3
"""Reload under traffic: while clients keep calling the bus, SIGHUP with a broken config is
rejected (the old generation keeps serving) and SIGHUP with a good one takes effect; no
request fails at any point. Real process, loopback only, nothing asserted about time.

Usage: reload_test.py path/to/egovbus
"""
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

BUS = os.path.abspath(sys.argv[1])
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TENANT = ('tenant: { istat: "072006", slug: bari, name: Bari }\nprofile: p\n'
          "endpoints: { echo: { type: memory } }\n")
PROFILE = "routes:\n  - service: echo.ping\n    steps: [ { call: echo } ]\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


API_KEY = []  # the key requests carry, made with `egovbus key create`


def status(port, path, method="GET", body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"} if body else {}
    if API_KEY:
        headers["Authorization"] = "Bearer " + API_KEY[0]
    c.request(method, path, body, headers)
    r = c.getresponse()
    r.read()
    return r.status


def main():
    work = tempfile.mkdtemp(prefix="egovbus-reload-")
    write(f"{work}/conf/bus.yaml",
          f"listen: 127.0.0.1:0\npaths: {{ mappings: {ROOT}/mappings, schemas: {ROOT}/schemas }}\n"
          "journal: { path: ../var/journal.db }\n")
    write(f"{work}/conf/profiles/p.yaml", PROFILE)
    write(f"{work}/conf/tenants/bari.yaml", TENANT)
    API_KEY.append(subprocess.run([BUS, "key", "create", "--client", "test", "--tenant", "*",
                                   "--service", "*", "--config", f"{work}/conf/bus.yaml"],
                                  check=True, capture_output=True, text=True).stdout.strip())
    port = free_port()
    log = open(f"{work}/bus.log", "ab")
    bus = subprocess.Popen([BUS, "serve", "--config", f"{work}/conf/bus.yaml",
                            "--listen", f"127.0.0.1:{port}"], stdout=log, stderr=log)
    for _ in range(1000):
        try:
            if status(port, "/readyz") == 200:
                break
        except OSError:
            time.sleep(0.01)

    failures, calls = [], [0]
    stop = threading.Event()

    def client():
        while not stop.is_set():
            try:
                code = status(port, "/api/v1/bari/echo/ping", "POST", "{}")
            except OSError as e:
                code = str(e)
            calls[0] += 1
            if code != 200:
                failures.append(code)

    clients = [threading.Thread(target=client) for _ in range(4)]
    for t in clients:
        t.start()

    def wait_calls(n):
        target = calls[0] + n
        while calls[0] < target:
            time.sleep(0.005)

    wait_calls(200)
    # A broken config: rejected, the old generation keeps serving.
    write(f"{work}/conf/tenants/molfetta.yaml", "tenant: { istat: \"072029\" }\n")
    bus.send_signal(signal.SIGHUP)
    logged_rejection = False
    for _ in range(2000):  # the reload runs on the worker pool; its verdict is logged
        with open(f"{work}/bus.log", encoding="utf-8", errors="replace") as f:
            logged_rejection = "config reload rejected" in f.read()
        if logged_rejection:
            break
        time.sleep(0.01)
    wait_calls(200)
    rejected = status(port, "/api/v1/molfetta/echo/ping", "POST", "{}") == 403  # no such tenant
    # A good config: takes effect, and traffic never notices.
    write(f"{work}/conf/tenants/molfetta.yaml", TENANT.replace('"072006", slug: bari, name: Bari',
                                                                '"072029", slug: molfetta, name: Molfetta'))
    bus.send_signal(signal.SIGHUP)
    applied = False
    for _ in range(2000):
        if status(port, "/api/v1/molfetta/echo/ping", "POST", "{}") == 200:
            applied = True
            break
        time.sleep(0.01)
    wait_calls(300)
    stop.set()
    for t in clients:
        t.join()
    bus.send_signal(signal.SIGTERM)
    code = bus.wait()
    print(f"reload: {calls[0]} calls, {len(failures)} failed, broken config rejected={rejected and logged_rejection}, "
          f"good config applied={applied}, exit={code}")
    ok = not failures and rejected and logged_rejection and applied and code == 0
    print(f"{int(ok)} passed, {int(not ok)} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
