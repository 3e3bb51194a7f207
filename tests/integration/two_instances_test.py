#!/usr/bin/env python3
"""Two bus instances on one PostgreSQL journal, behind nginx as load balancer. Clients
submit one-way exchanges through nginx; instance A is killed with SIGKILL while it has
deliveries in flight (the back-end holds them); every exchange answered 202 must reach the
back-end (duplicates are counted and allowed: at least once; a loss fails). Exchanges with
an order key reach the back-end, first arrivals counted, in acceptance order per key even
across instances and the crash. An Idempotency-Key sent to A and then to B gives the same
exchange id. Real processes on loopback, ephemeral ports; nothing asserted about time.

Usage: two_instances_test.py path/to/egovbus [exchanges]
"""
import json
import os
import shutil
import sys
import tempfile
import threading

from support import KEYS, Backend, Bus, Nginx, Postgres, ROOT, request, wait_until, write

BUS = os.path.abspath(sys.argv[1])
EXCHANGES = int(sys.argv[2]) if len(sys.argv) > 2 else 240
CLIENTS = 4

lock = threading.Lock()
arrivals = []          # (exchange id, instance, body) in arrival order
first_seen = {}        # exchange id -> index of its first arrival
duplicates = [0]
gate = threading.Event()  # closed: the back-end holds requests (deliveries stay in flight)


def handle(handler, body):
    exchange = handler.headers.get("X-Egov-Exchange-Id", "")
    with lock:
        arrivals.append((exchange, handler.headers.get("X-Instance", "?"), json.loads(body)))
        if exchange in first_seen:
            duplicates[0] += 1
        else:
            first_seen[exchange] = len(arrivals) - 1
    gate.wait(30)
    return 201, {"ok": True}


def config(work, name, backend, instance):
    base = f"{work}/{name}"
    write(f"{base}/conf/bus.yaml",
          f"listen: 127.0.0.1:0\npaths: {{ mappings: {ROOT}/mappings, schemas: {ROOT}/schemas }}\n"
          f"auth: {{ keys: {work}/keys.db }}\n"  # one key store: nginx's callers use A's key
          'journal: { driver: postgresql, dsn: "${env:EGOV_JOURNAL_DSN}", poll_interval: 50ms,\n'
          "           lease: 2s, deliveries: 8 }\n")
    write(f"{base}/conf/profiles/p.yaml",
          "routes:\n  - service: welfare.domanda\n    mode: one-way\n"
          "    order_key: \"fn:map/fn:string[@key='pratica']\"\n"
          "    delivery: { attempts: 1000, backoff: 20ms, max_backoff: 200ms }\n"
          "    steps: [ { call: protocollo } ]\n")
    # Each instance labels its deliveries, so the test knows A had some in flight.
    write(f"{base}/conf/tenants/bari.yaml",
          'tenant: { istat: "072006", slug: bari, name: Bari }\nprofile: p\nendpoints:\n'
          f'  protocollo: {{ type: http, url: "{backend.url("/domande")}", timeout: 40s,\n'
          f'                headers: {{ X-Instance: "{instance}" }} }}\n')
    return f"{base}/conf/bus.yaml"


def main():
    failures = []

    def check(condition, what):
        if not condition:
            failures.append(what)
            print("FAILED:", what)

    work = tempfile.mkdtemp(prefix="egovbus-two-")
    backend = Backend(handle).start()
    pg = Postgres().start().create()
    env = {"EGOV_JOURNAL_DSN": pg.dsn()}
    a = Bus(BUS, config(work, "a", backend, "a"), f"{work}/a.log", env).start()
    b = Bus(BUS, config(work, "b", backend, "b"), f"{work}/b.log", env).start()
    nginx = Nginx([a.port, b.port]).start()
    KEYS[nginx.port] = a.key  # B started after A's key was made, so both know it
    accepted = []
    per_key = {}  # order key -> exchange ids in acceptance order
    try:
        # Idempotency across instances: A first, then B, same key, same exchange.
        s1, h1, d1 = request(a.port, "POST", "/api/v1/bari/welfare/domanda",
                             {"pratica": "idem", "n": "0"}, {"Idempotency-Key": "domanda-2026-77"})
        s2, h2, d2 = request(b.port, "POST", "/api/v1/bari/welfare/domanda",
                             {"pratica": "idem", "n": "0"}, {"Idempotency-Key": "domanda-2026-77"})
        check(s1 == 202 and s2 == 202, f"idempotent submissions accepted ({s1}, {s2})")
        check(d1["id"] == d2["id"], "the same Idempotency-Key on A then B gives the same id")
        check(h2.get("idempotent-replayed") == "true", "B says the submission was replayed")
        accepted.append(d1["id"])
        per_key.setdefault("idem", []).append(d1["id"])

        errors = []

        def client(c, count):
            for n in range(count):
                key = f"c{c}-k{n % 3}"
                try:
                    status, _, data = request(nginx.port, "POST", "/api/v1/bari/welfare/domanda",
                                              {"pratica": key, "n": str(n)})
                except OSError as e:
                    errors.append(str(e))
                    continue
                if status == 202:
                    with lock:
                        accepted.append(data["id"])
                        per_key.setdefault(key, []).append(data["id"])
                else:
                    errors.append(status)  # not accepted, so nothing was promised

        # First wave while the back-end holds every request: both instances fill their
        # delivery slots with exchanges in flight.
        first = EXCHANGES // 2
        clients = [threading.Thread(target=client, args=(c, first // CLIENTS)) for c in range(CLIENTS)]
        for t in clients:
            t.start()
        for t in clients:
            t.join()
        check(wait_until(lambda: any(i == "a" for _, i, _ in arrivals)),
              "instance A has deliveries in flight")
        in_flight_a = sum(1 for _, i, _ in arrivals if i == "a")
        a.kill()  # SIGKILL mid-delivery: its leased exchanges are held by nobody now
        gate.set()
        # Second wave through nginx while A is dead (nginx skips it), then A comes back.
        clients = [threading.Thread(target=client, args=(c + CLIENTS, (EXCHANGES - first) // CLIENTS))
                   for c in range(CLIENTS)]
        for t in clients:
            t.start()
        for t in clients:
            t.join()
        a.start()

        done = wait_until(lambda: all(i in first_seen for i in accepted), attempts=3000, pause=0.02)
        missing = [i for i in accepted if i not in first_seen]
        check(done and not missing, f"{len(missing)} accepted exchanges never reached the back-end")
        check(len(accepted) >= EXCHANGES // 2, f"enough accepted ({len(accepted)})")
        # Per key, first arrivals follow acceptance order.
        out_of_order = []
        for key, ids in per_key.items():
            seen = [first_seen.get(i, -1) for i in ids]
            if seen != sorted(seen):
                out_of_order.append(key)
        check(not out_of_order, f"keys delivered out of order: {out_of_order[:5]}")
        by_instance = {}
        for _, inst, _ in arrivals:
            by_instance[inst] = by_instance.get(inst, 0) + 1
        print(f"two instances: {len(accepted)} accepted, {len(missing)} missing, "
              f"{duplicates[0]} duplicates, A had {in_flight_a} in flight when killed, "
              f"arrivals by instance {by_instance}, {len(errors)} not accepted {errors[:5]}")
    finally:
        gate.set()
        nginx.stop()
        a.stop()
        b.stop()
        backend.stop()
        pg.remove()
        if not failures:
            shutil.rmtree(work, ignore_errors=True)  # kept with its logs when a check failed
    ok = 0 if failures else 1
    print(f"{ok} passed, {1 - ok} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
