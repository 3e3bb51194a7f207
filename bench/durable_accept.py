"""B2: the durable one-way accept (202 after the journal's commit) against the same route without
the journal, and SQLite's one row per commit as a reference."""
import statistics
import subprocess
import time

from harness import cpu_seconds, log


class DurableAccept:
    def journal_states(self):
        done = subprocess.run(["sqlite3", "-readonly", self.journal,
                               "SELECT state, count(*) FROM exchanges GROUP BY state"],
                              capture_output=True, text=True, check=True)
        return {s: int(n) for s, n in (l.split("|") for l in done.stdout.split())}

    def wait_delivered(self, timeout=120):
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            states = self.journal_states()
            if not states.get("queued") and not states.get("delivering"):
                return states, time.monotonic() - started
            time.sleep(0.05)
        return self.journal_states(), None

    def b2(self):
        """`--rounds` alternations of the route without the journal and the durable one (after
        a warm-up whose deliveries are drained first); the figures are the medians, each
        round's ratio is recorded too. A 202 is a promise to deliver: the durable run's
        exchanges count as done when the last of them is delivered, so its headline rate is
        the 202s over the run and the drain after it (the route without the journal delivers
        in line). The rate of 202s alone is recorded beside it."""
        out = self.results.setdefault("b2", {"connections": 64, "rounds": self.args.rounds})
        body = self.path("bodies", "domanda.json")
        log(f"B2 one-way accept at 64 connections, {self.args.rounds} rounds")
        before = sum(self.journal_states().values())
        pids = [self.bus.pid]
        durable, nondurable, accepted, drains = [], [], 0, []
        for _ in range(self.args.rounds):
            nondurable.append(self.measure("b2 nondurable", self.bus_port,
                                           "/api/v1/bari/domanda/invia-senza-journal", body, 64,
                                           pids=pids))
            warm = self.wrk("b2 durable warm-up", self.bus_port, "/api/v1/bari/domanda/invia",
                            body, 64, self.args.warmup, pids=pids, record=False)
            self.wait_delivered()
            cpu0 = cpu_seconds(pids)
            run = self.wrk("b2 durable", self.bus_port, "/api/v1/bari/domanda/invia",
                           body, 64, self.args.duration, pids=pids)
            states, drained = self.wait_delivered()
            cpu = cpu_seconds(pids) - cpu0
            drains.append(round(drained, 2) if drained is not None else None)
            if drained is not None and run["rps"]:
                run["delivered_rps"] = round(run["requests"] / (run["requests"] / run["rps"] + drained), 1)
                run["delivered_cpu_ms_per_req"] = round(cpu * 1000 / run["requests"], 4)
                log(f"  b2 durable: {run['delivered_rps']:.0f} req/s accepted and delivered "
                    f"(delivered {drained:.2f} s after the run)")
            durable.append(run)
            accepted += warm["requests"] + run["requests"]
        stored = sum(states.values()) - before
        def mid(runs, pick):
            values = [pick(r) for r in runs]
            return None if any(v is None for v in values) else statistics.median(values)
        delivered = mid(durable, lambda r: r.get("delivered_rps"))
        out.update(durable_rps=round(mid(durable, lambda r: r["rps"]), 1),
                   durable_delivered_rps=delivered,
                   durable_delivered_cpu_ms_per_req=mid(durable, lambda r: r.get("delivered_cpu_ms_per_req")),
                   durable_delivered_rps_runs=[r.get("delivered_rps") for r in durable],
                   nondurable_rps=round(mid(nondurable, lambda r: r["rps"]), 1),
                   durable_p99_ms=mid(durable, lambda r: r["latency_ms"]["p99"]),
                   nondurable_p99_ms=mid(nondurable, lambda r: r["latency_ms"]["p99"]),
                   durable_cpu_ms_per_req=mid(durable, lambda r: r.get("server_cpu_ms_per_req")),
                   nondurable_cpu_ms_per_req=mid(nondurable, lambda r: r.get("server_cpu_ms_per_req")),
                   durable_rps_runs=[round(r["rps"], 1) for r in durable],
                   nondurable_rps_runs=[round(r["rps"], 1) for r in nondurable],
                   ratio_runs=[round(d["delivered_rps"] / n["rps"], 3)
                               if n["rps"] and d.get("delivered_rps") else None
                               for d, n in zip(durable, nondurable)],
                   accept_ratio_runs=[round(d["rps"] / n["rps"], 3) if n["rps"] else None
                                      for d, n in zip(durable, nondurable)],
                   durable_ok=all(r["ok"] for r in durable),
                   nondurable_ok=all(r["ok"] for r in nondurable),
                   journal_rows_added=stored, accepted=accepted, journal_states=states,
                   delivery_drain_s=drains[-1], delivery_drain_s_runs=drains)
        # Every 202 is a row in the journal (wrk counts completed responses; a row may be one
        # more when a request was in flight as wrk stopped).
        ratios = [r for r in out["ratio_runs"] if r is not None]
        out["ratio"] = round(statistics.median(ratios), 3) if len(ratios) == len(durable) else None
        accept = [r for r in out["accept_ratio_runs"] if r is not None]
        out["accept_ratio"] = round(statistics.median(accept), 3) if accept else None
        out["every_202_journaled"] = stored >= accepted
        out["sqlite_single_commit_rps"] = self.sqlite_single_commits()

    def sqlite_single_commits(self, rows=None):
        """The reference: one INSERT per transaction, WAL and synchronous=FULL like the journal,
        rows about the size of a journaled exchange, from the sqlite3 shell."""
        rows = rows or (300 if self.args.quick else 3000)
        db = self.path("single-commit.db")
        script = ["PRAGMA journal_mode=WAL;", "PRAGMA synchronous=FULL;",
                  "CREATE TABLE exchanges (id TEXT PRIMARY KEY, tenant TEXT, body TEXT, created_ms INTEGER);"]
        body = "x" * 400
        script += [f"INSERT INTO exchanges VALUES ('{i:036d}', '072006', '{body}', {i});" for i in range(rows)]
        with open(self.path("single-commit.sql"), "w") as f:
            f.write("\n".join(script) + "\n")
        started = time.monotonic()
        with open(self.path("single-commit.sql")) as f:
            subprocess.run(["sqlite3", db], stdin=f, check=True, stdout=subprocess.DEVNULL)
        rps = rows / (time.monotonic() - started)
        log(f"  sqlite one row per commit: {rps:.0f} rows/s")
        return round(rps, 1)
