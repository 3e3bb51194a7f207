#!/usr/bin/env python3
"""The web console end to end, in headless Chromium (Debian `chromium`, driven by
playwright-core from tests/interop): the bus serves 41 municipalities (the real list, from
../shared/data, with in-memory endpoints); a one-way exchange of Bari is refused for good by
its back-end and becomes a dead letter; the browser opens /console, enters an admin key, sees
the 41 municipalities, opens Bari, and replays the dead letter with a reason. The admin API
then shows the replay recorded with who and why. Nothing waits on time: every step waits for
a condition, bounded.

Usage: console_test.py path/to/egovbus"""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from support import ROOT, Bus, request, wait_until, write  # noqa: E402

BUS = os.path.abspath(sys.argv[1])
MUNICIPALITIES = os.path.join(ROOT, "..", "shared", "data", "comuni-citta-metropolitana-bari.csv")
CHROMIUM = "/usr/bin/chromium"
REASON = "e2e: the back-end accepts the form again"

PROFILE = """routes:
  - service: tributi.posizioni
    steps: [ { call: tributi } ]
  - service: anagrafe.residenza
    steps: [ { call: anagrafe } ]
  - service: welfare.domanda
    mode: one-way
    steps: [ { call: welfare } ]
"""


def slug(name):
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return "-".join("".join(c if c.isalnum() else " " for c in plain).split())


def main():
    for path, what in ((CHROMIUM, "Debian chromium (scripts/debian-packages.txt)"),
                       (os.path.join(ROOT, "tests/interop/node_modules/playwright-core"),
                        "playwright-core (npm ci --prefix tests/interop)")):
        if not os.path.exists(path):
            raise SystemExit(f"missing {what}: {path}")
    work = tempfile.mkdtemp(prefix="egovbus-console-")
    bus = None
    try:
        write(f"{work}/conf/bus.yaml", "listen: 127.0.0.1:0\n"
              "journal: { path: ../var/journal.db, poll_interval: 100ms }\n"
              "audit: { path: ../var/audit.db }\n")
        write(f"{work}/conf/profiles/mini.yaml", PROFILE)
        with open(MUNICIPALITIES, encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == 41, len(rows)
        for row in rows:
            # Bari's welfare back-end refuses every request for good (a 400): dead letters.
            welfare = ("{ type: memory, error: backend_rejected, status: 400 }"
                       if row["istat_code"] == "072006" else "{ type: memory }")
            write(f"{work}/conf/tenants/{row['istat_code']}.yaml",
                  f"tenant: {{ istat: \"{row['istat_code']}\", slug: {slug(row['name'])}, "
                  f"name: {json.dumps(row['name'], ensure_ascii=False)} }}\n"
                  "profile: mini\n"
                  "endpoints:\n  tributi: { type: memory }\n"
                  "  anagrafe: { type: memory, error: backend_unavailable, status: 503 }\n"
                  f"  welfare: {welfare}\n")
        for folder in ("mappings", "schemas"):
            os.makedirs(f"{work}/{folder}")
        config = f"{work}/conf/bus.yaml"
        admin = subprocess.run([BUS, "key", "create", "--admin", "--client", "console-e2e",
                                "--config", config], check=True, capture_output=True,
                               text=True).stdout.strip()
        bus = Bus(BUS, config, f"{work}/bus.log").start()
        as_admin = {"Authorization": "Bearer " + admin}

        # Some traffic for the charts and the health colours, and the dead letter.
        for path, expected in (("/api/v1/molfetta/tributi/posizioni", 200),
                               ("/api/v1/bitonto/anagrafe/residenza", 502)):
            status, _, body = request(bus.port, "GET", path)
            assert status == expected, (path, status, body)
        status, _, accepted = request(bus.port, "POST", "/api/v1/bari/welfare/domanda",
                                      {"desk": "casa"})
        assert status == 202, (status, accepted)
        dead_id = accepted["id"]

        def dead():
            s, _, body = request(bus.port, "GET", "/admin/v1/dead-letters?tenant=bari",
                                 headers=as_admin)
            return s == 200 and any(d["id"] == dead_id for d in body["dead_letters"])
        assert wait_until(dead), "the refused exchange did not become a dead letter"
        # The failed delivery is in Bari's traffic for the error chart.
        status, _, stats = request(bus.port, "GET", "/admin/v1/stats?tenant=bari", headers=as_admin)
        assert status == 200 and sum(b["delivery_failures"] for b in stats["buckets"]) >= 1, stats

        browser = subprocess.run(
            ["node", os.path.join(ROOT, "tests/interop/console_browser.js")],
            env=dict(os.environ, CONSOLE_URL=f"http://127.0.0.1:{bus.port}/console",
                     ADMIN_KEY=admin, TENANT="bari", DEAD_ID=dead_id, REASON=REASON,
                     CHROMIUM=CHROMIUM),
            capture_output=True, text=True, timeout=300)
        print(browser.stdout, end="")
        if browser.returncode != 0:
            print(browser.stderr, file=sys.stderr)
            raise SystemExit(f"the browser test failed ({browser.returncode})")

        # The replay went through the admin API, recorded with who and why.
        status, _, shown = request(bus.port, "GET", f"/admin/v1/exchanges/{dead_id}",
                                   headers=as_admin)
        assert status == 200, (status, shown)
        replays = [e for e in shown["history"] if e["kind"] == "replay"]
        assert replays == [{"at": replays[0]["at"], "kind": "replay", "by": "console-e2e",
                            "reason": REASON}], shown["history"]
        print("console: 41 municipalities shown, Bari opened, dead letter replayed by "
              "console-e2e with its reason")
    finally:
        if bus:
            bus.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
