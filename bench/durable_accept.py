"""B2: the durable one-way accept (202 after the journal's commit) against the same route without
the journal, and SQLite's one row per commit as a reference. A secondary figure splits what the
journal costs: the durable route again on a bus whose fsync and fdatasync return at once
(eatmydata), so that what is left is writing the journal, not waiting for the disk."""
import os
import shutil
import statistics
import subprocess
import time

from harness import cpu_seconds, log

DURABLE = "/api/v1/bari/domanda/invia"
WITHOUT_JOURNAL = "/api/v1/bari/domanda/invia-senza-journal"


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

    def durable_run(self, label, body):
        """A warm-up whose deliveries are drained first, then the measured run; its exchanges
        count as done when the last of them is delivered (`delivered_rps`)."""
        pids = [self.bus.pid]
        warm = self.wrk(f"{label} warm-up", self.bus_port, DURABLE, body, 64, self.args.warmup,
                        pids=pids, record=False)
        self.wait_delivered()
        cpu0 = cpu_seconds(pids)
        run = self.wrk(label, self.bus_port, DURABLE, body, 64, self.args.duration, pids=pids)
        states, drained = self.wait_delivered()
        cpu = cpu_seconds(pids) - cpu0
        run["drained_s"] = round(drained, 2) if drained is not None else None
        run["warm_up_requests"] = warm["requests"]
        run["journal_states"] = states
        if drained is not None and run["rps"]:
            run["delivered_rps"] = round(run["requests"] / (run["requests"] / run["rps"] + drained), 1)
            run["delivered_cpu_ms_per_req"] = round(cpu * 1000 / run["requests"], 4)
            log(f"  {label}: {run['delivered_rps']:.0f} req/s accepted and delivered "
                f"(delivered {drained:.2f} s after the run)")
        return run

    def durable_without_sync(self, body, r):
        """The durable route on a bus of its own (a new journal) run under eatmydata: its fsync
        and fdatasync return at once, so each commit is written but not waited for."""
        main = (self.bus, self.bus_port, self.journal, self.bus_key, self.bus_admin_key)
        self.bus = self.start_bus(f"bus-b2-nosync{r}", wrapper=["eatmydata"])
        try:
            return self.durable_run("b2 durable without fsync", body)
        finally:
            self.stop(self.bus)
            # The run leaves its journal's pages dirty in the page cache (hundreds of MB): the
            # kernel would write them back during the runs after it, taking their CPU and
            # slowing their fdatasync. Deleting the files drops the pages unwritten.
            for suffix in ("", "-wal", "-shm"):
                try:
                    os.remove(self.journal + suffix)
                except FileNotFoundError:
                    pass
            os.sync()
            self.bus, self.bus_port, self.journal, self.bus_key, self.bus_admin_key = main

    def b2(self):
        """`--rounds` rounds of the route without the journal, the durable one and (when
        eatmydata is installed) the durable one without fsync; the figures are the medians,
        each round's ratios are recorded too. A 202 is a promise to deliver: the durable run's
        exchanges count as done when the last of them is delivered, so its headline rate is
        the 202s over the run and the drain after it (the route without the journal delivers
        in line). The rate of 202s alone is recorded beside it."""
        out = self.results.setdefault("b2", {"connections": 64, "rounds": self.args.rounds})
        body = self.path("bodies", "domanda.json")
        nosync = shutil.which("eatmydata") is not None
        log(f"B2 one-way accept at 64 connections, {self.args.rounds} rounds"
            + ("" if nosync else " (eatmydata not installed: no run without fsync)"))
        before = sum(self.journal_states().values())
        durable, nondurable, unsynced, accepted = [], [], [], 0
        for r in range(self.args.rounds):
            nondurable.append(self.measure("b2 nondurable", self.bus_port, WITHOUT_JOURNAL, body, 64,
                                           pids=[self.bus.pid]))
            run = self.durable_run("b2 durable", body)
            durable.append(run)
            accepted += run["warm_up_requests"] + run["requests"]
            states = run["journal_states"]
            if nosync:
                unsynced.append(self.durable_without_sync(body, r))
        stored = sum(states.values()) - before

        def mid(runs, pick):
            values = [pick(r) for r in runs]
            return None if not values or any(v is None for v in values) else statistics.median(values)

        def idle_cores(runs):
            # The cores' idle shares added, in cores: a route that leaves them idle under
            # full load waits for something other than the CPU (BENCHMARKS, thirteenth pass).
            return [round(sum(v for v in r.get("cores_idle_pct", {}).values() if v is not None) / 100, 2)
                    for r in runs]

        def ratios(runs, pick):
            return [round(pick(d) / n["rps"], 3) if n["rps"] and pick(d) else None
                    for d, n in zip(runs, nondurable)]

        out.update(durable_rps=round(mid(durable, lambda r: r["rps"]), 1),
                   durable_delivered_rps=mid(durable, lambda r: r.get("delivered_rps")),
                   durable_delivered_cpu_ms_per_req=mid(durable, lambda r: r.get("delivered_cpu_ms_per_req")),
                   durable_delivered_rps_runs=[r.get("delivered_rps") for r in durable],
                   nondurable_rps=round(mid(nondurable, lambda r: r["rps"]), 1),
                   durable_p99_ms=mid(durable, lambda r: r["latency_ms"]["p99"]),
                   nondurable_p99_ms=mid(nondurable, lambda r: r["latency_ms"]["p99"]),
                   durable_cpu_ms_per_req=mid(durable, lambda r: r.get("server_cpu_ms_per_req")),
                   nondurable_cpu_ms_per_req=mid(nondurable, lambda r: r.get("server_cpu_ms_per_req")),
                   durable_rps_runs=[round(r["rps"], 1) for r in durable],
                   nondurable_rps_runs=[round(r["rps"], 1) for r in nondurable],
                   ratio_runs=ratios(durable, lambda r: r.get("delivered_rps")),
                   accept_ratio_runs=ratios(durable, lambda r: r["rps"]),
                   durable_ok=all(r["ok"] for r in durable),
                   nondurable_ok=all(r["ok"] for r in nondurable),
                   journal_rows_added=stored, accepted=accepted, journal_states=states,
                   delivery_drain_s=durable[-1]["drained_s"],
                   delivery_drain_s_runs=[r["drained_s"] for r in durable],
                   durable_idle_cores_runs=idle_cores(durable),
                   nondurable_idle_cores_runs=idle_cores(nondurable))
        # Every 202 is a row in the journal (wrk counts completed responses; a row may be one
        # more when a request was in flight as wrk stopped).
        ratios_done = [r for r in out["ratio_runs"] if r is not None]
        out["ratio"] = round(statistics.median(ratios_done), 3) if len(ratios_done) == len(durable) else None
        accept = [r for r in out["accept_ratio_runs"] if r is not None]
        out["accept_ratio"] = round(statistics.median(accept), 3) if accept else None
        out["every_202_journaled"] = stored >= accepted
        if unsynced:
            runs = ratios(unsynced, lambda r: r.get("delivered_rps"))
            out.update(nosync_delivered_rps=mid(unsynced, lambda r: r.get("delivered_rps")),
                       nosync_delivered_rps_runs=[r.get("delivered_rps") for r in unsynced],
                       nosync_delivered_cpu_ms_per_req=mid(unsynced, lambda r: r.get("delivered_cpu_ms_per_req")),
                       nosync_p99_ms=mid(unsynced, lambda r: r["latency_ms"]["p99"]),
                       nosync_ratio_runs=runs,
                       nosync_idle_cores_runs=idle_cores(unsynced),
                       nosync_ratio=round(statistics.median(runs), 3) if None not in runs else None,
                       nosync_ok=all(r["ok"] for r in unsynced))
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

