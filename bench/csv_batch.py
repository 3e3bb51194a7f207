"""B3: a 1,000,000-row CSV through the bus's csv source into SQLite, against `sqlite3 .import`
of the same file."""
import json
import os
import re
import subprocess
import time

from harness import CONF, ROOT, cpu_seconds, free_port, log, ready, status_kb, wait_until



class CsvBatch:
    def b3(self):
        rows = 20_000 if self.args.quick else 1_000_000
        csv = self.path("posizioni.csv")
        log(f"B3: writing a {rows}-row CSV")
        write_b3_csv(csv, rows)
        size_mb = os.path.getsize(csv) / 1e6
        out = self.results.setdefault("b3", {"rows": rows, "csv_mb": round(size_mb, 1)})

        # The main figure: the product path, `egovbus serve` with a csv drop-folder source in
        # chunk mode (rows_per_exchange), on the whole file; each chunk inserted by one
        # statement run per row (for_each), into an archive in WAL mode, as a DBA sets up a
        # SQLite database a server writes to in many transactions. Then the same into an
        # archive as `sqlite3` creates it (rollback journal: each chunk's commit creates,
        # syncs and deletes a journal file besides syncing the database); and the chunk mapped
        # by XSLT and inserted over json_each(), as B3 ran before for_each.
        # Both archive modes alternate for --rounds rounds: the run with the median rate is
        # reported (the machine's speed moves by a fifth between minutes), peak RSS the
        # highest of the rounds.
        # `.import` runs in each round too, after the bus's two runs: the reference moved as
        # much as the bus between minutes (520,000 to 710,000 rows/s in one day's runs).
        runs = {"bus": [], "bus_rollback": [], "sqlite_import": []}
        for r in range(self.args.rounds):
            for prefix, wal in (("bus", True), ("bus_rollback", False)):
                one = {}
                self.b3_source(one, wal=wal, rows=rows, prefix=f"{prefix}{r}", chunk=self.args.chunk,
                               csv=csv)
                runs[prefix].append({k.replace(f"{prefix}{r}", prefix): v for k, v in one.items()})
            runs["sqlite_import"].append(self.b3_import(csv, rows, r))
        for prefix, done in runs.items():
            rates = [run[f"{prefix}_rows_per_s"] for run in done]
            # With an even count the median run against the bus: its lower, .import's higher.
            middle = len(done) // 2 if prefix == "sqlite_import" else (len(done) - 1) // 2
            out.update(sorted(done, key=lambda run: run[f"{prefix}_rows_per_s"])[middle])
            out[f"{prefix}_rows_per_s_runs"] = rates
            out[f"{prefix}_peak_rss_mb"] = max(run[f"{prefix}_peak_rss_mb"] for run in done)
        self.b3_source(out, wal=True, rows=rows, prefix="xslt", chunk=self.args.chunk, csv=csv,
                       service="posizioni.carica-xslt")

        # Secondary: the benchmark driver (the same route without the source: no drop folder,
        # journal batch record, outcomes file or fingerprint pass), into a WAL archive too.
        db = self.path("b3-driver.db")
        self.create_db(db)
        subprocess.run(["sqlite3", db, "PRAGMA journal_mode=WAL;"], check=True, capture_output=True)
        env = self.bus_env(self.path("b3-journal.db"), db)
        argv = ["/usr/bin/time", "-v", self.args.batch_bin, "--config", os.path.join(CONF, "bus.yaml"),
                "--tenant", "bari", "--service", "posizioni.carica", "--chunk", str(self.args.chunk),
                "--in-flight", "2", csv]
        log("B3: the driver (CSV reader -> the same route, no source)")
        load1 = os.getloadavg()[0]
        started = time.monotonic()
        done = subprocess.run(argv, env=env, capture_output=True, text=True)
        wall = time.monotonic() - started
        if done.returncode != 0:
            raise RuntimeError(f"egovbus_bench_batch failed:\n{done.stdout}\n{done.stderr}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        stored = int(subprocess.run(["sqlite3", db, "SELECT count(*) FROM posizioni"], capture_output=True,
                                    text=True, check=True).stdout)
        if stored != rows:
            raise RuntimeError(f"B3 driver: {stored} rows stored, {rows} in the file")
        out.update(driver_rows_per_s=report["rows_per_s"], driver_seconds=report["seconds"],
                   driver_process_seconds=round(wall, 3),
                   driver_peak_rss_mb=round(max_rss_kb(done.stderr) / 1024, 1),
                   driver_chunk=report["chunk"], load1_before_driver=round(load1, 2))
        log(f"  driver: {report['rows_per_s']:.0f} rows/s, peak RSS {out['driver_peak_rss_mb']} MB")

        # The source's default mode, one exchange per row: the archive as `sqlite3` creates it
        # (rollback journal: each row's commit waits for several fsyncs), then in WAL mode (one
        # WAL append per commit), as a DBA would set it up for a table filled row by row.
        self.b3_source(out, wal=False, rows=self.args.source_rows or (300 if self.args.quick else 2_000),
                       prefix="source_rollback")
        self.b3_source(out, wal=True, rows=self.args.source_rows or (2_000 if self.args.quick else 20_000),
                       prefix="source")

    def b3_rows(self):
        """B3's default mode alone (one exchange per row, WAL archive), to compare binaries in
        alternating runs: `bench.py --only b3rows --bin BIN --out DIR [--source-rows N]`."""
        out = self.results.setdefault("b3", {})
        self.b3_source(out, wal=True, rows=self.args.source_rows or 20_000, prefix="source")

    def b3_import(self, csv, rows, r):
        """`sqlite3 .import` of the B3 file into a new file (its default rollback journal; one
        transaction), timed from the shell's start to its exit."""
        imported = self.path(f"b3-import{r}.db")
        self.create_db(imported)
        log("B3: sqlite3 .import of the same file")
        load1 = os.getloadavg()[0]
        started = time.monotonic()
        done = subprocess.run(["/usr/bin/time", "-v", "sqlite3", imported, ".mode csv",
                               ".import --skip 1 " + csv + " posizioni"], capture_output=True, text=True)
        wall = time.monotonic() - started
        if done.returncode != 0:
            raise RuntimeError(f"sqlite3 .import failed: {done.stderr}")
        stored = int(subprocess.run(["sqlite3", imported, "SELECT count(*) FROM posizioni"],
                                    capture_output=True, text=True, check=True).stdout)
        if stored != rows:
            raise RuntimeError(f"B3 .import: {stored} rows stored, {rows} in the file")
        os.remove(imported)
        log(f"  .import: {rows / wall:.0f} rows/s")
        return dict(sqlite_import_rows_per_s=round(rows / wall, 1), sqlite_import_seconds=round(wall, 3),
                    sqlite_import_peak_rss_mb=round(max_rss_kb(done.stderr) / 1024, 1),
                    load1_before_import=round(load1, 2))

    def b3_source(self, out, wal, rows, prefix, chunk=1, csv=None, service="posizioni.carica"):
        """The product path: CSV rows dropped into a `csv` source's folder of `egovbus serve`.
        chunk > 1: rows_per_exchange chunk, each chunk an exchange of `service` of the bench
        profile, on the bench tenant's own file (bench/conf): `posizioni.carica` inserts a
        chunk with one statement run per row (for_each), `posizioni.carica-xslt` maps it
        (carica-request.xsl) and inserts it with one statement over json_each; both convert
        with egov_decimal_it and egov_date_it, in one transaction per chunk. chunk == 1: the
        default mode, each row one exchange of `posizioni.carica-riga` (carica-riga.xsl, one
        INSERT, one transaction), measured on fewer rows: 1,000,000 of them would take most
        of an hour here."""
        folder = self.path(f"b3-{prefix}")
        drop = os.path.join(folder, "drop")
        for d in ("tenants", "profiles", "drop"):
            os.makedirs(os.path.join(folder, d))
        db = self.path(f"b3-{prefix}.db")
        self.create_db(db)
        if wal:
            subprocess.run(["sqlite3", db, "PRAGMA journal_mode=WAL;"], check=True, capture_output=True)
        profiles = os.path.join(CONF, "profiles") if chunk > 1 else "profiles"
        with open(os.path.join(folder, "bus.yaml"), "w") as f:
            f.write(f"""listen: 127.0.0.1:0
threads: {{ io: 2, workers: 2 }}
paths:
  tenants: tenants
  profiles: {profiles}
  mappings: {CONF}/mappings
  schemas: {ROOT}/schemas
journal: {{ path: {folder}/journal.db }}
""")
        source = f"""sources:
  posizioni:
    type: csv
    folder: {drop}
    settle: 50ms
    interval: 50ms
"""
        if chunk > 1:
            with open(os.path.join(CONF, "tenants", "072006-bari.yaml")) as t:
                tenant = t.read()
            source += f"""    service: {service}
    rows_per_exchange: {chunk}
    concurrency: {self.args.chunk_concurrency}
"""
        else:
            tenant = f"""tenant: {{ istat: "072006", slug: bari, name: Bari }}
routes:
  - service: posizioni.carica-riga
    steps:
      - map: bench/carica-riga.xsl
      - call: archivio
endpoints:
  archivio:
    type: db
    driver: sqlite
    path: {db}
    pool: {{ max: 1 }}
    statement_timeout: 60s
    statements:
      riga:
        sql: >-
          INSERT INTO posizioni (codice_fiscale, anno, tributo, importo, scadenza, stato)
          VALUES (:cf, :anno, :tributo, :importo, :scadenza, :stato)
        params: {{ cf: /riga/cf, anno: /riga/anno, tributo: /riga/tributo, importo: /riga/importo,
                  scadenza: /riga/scadenza, stato: /riga/stato }}
"""
            source += """    service: posizioni.carica-riga
    concurrency: 16
"""
        with open(os.path.join(folder, "tenants", "072006-bari.yaml"), "w") as f:
            f.write(tenant + source)
        staged = os.path.join(folder, "posizioni.csv")
        if csv:
            os.link(csv, staged)  # the same file, dropped by a rename
        else:
            write_b3_csv(staged, rows)
        port = free_port()
        bus = self.start(f"bus-b3-{prefix}", [self.args.bin, "serve", "--config", os.path.join(folder, "bus.yaml"),
                                           "--listen", f"127.0.0.1:{port}"],
                         env=self.bus_env(os.path.join(folder, "journal.db"), db))
        wait_until(lambda: bus.check_alive() or ready(port), 30, f"bus-b3-{prefix}")
        mode = f"{service}, chunks of {chunk} rows" if chunk > 1 else "one exchange per row"
        log(f"B3: the product path, {rows} rows dropped into the csv source's folder ({mode}; "
            f"archive in {'WAL' if wal else 'rollback-journal'} mode)")
        load1 = os.getloadavg()[0]
        cpu0 = cpu_seconds([bus.pid])
        started = time.monotonic()
        os.rename(staged, os.path.join(drop, "posizioni.csv"))
        done = os.path.join(drop, "done", "posizioni.csv")
        wait_until(lambda: bus.check_alive() or os.path.exists(done), max(120, rows / 20), "csv source",
                   interval=0.02)
        wall = time.monotonic() - started
        cpu = cpu_seconds([bus.pid]) - cpu0
        peak_kb = status_kb(bus.pid, "VmHWM")
        self.stop(bus)
        stored = int(subprocess.run(["sqlite3", db, "SELECT count(*) FROM posizioni"], capture_output=True,
                                    text=True, check=True).stdout)
        if stored != rows:
            raise RuntimeError(f"B3 {prefix}: {stored} rows stored, {rows} in the file")
        with open(os.path.join(drop, "done", "posizioni.csv.outcomes.csv")) as f:
            outcomes = sum(1 for _ in f) - 1
        if outcomes != rows or os.path.exists(os.path.join(drop, "done", "posizioni.csv.rejects.csv")):
            raise RuntimeError(f"B3 {prefix}: {outcomes} outcomes for {rows} rows, or rejects")
        sample = subprocess.run(["sqlite3", db, "SELECT * FROM posizioni WHERE rowid = 2"],
                                capture_output=True, text=True, check=True).stdout.strip()
        out.update({f"{prefix}_rows": rows, f"{prefix}_rows_per_s": round(rows / wall, 1),
                    f"{prefix}_seconds": round(wall, 3), f"{prefix}_cpu_ms_per_row": round(cpu * 1000 / rows, 4),
                    f"{prefix}_peak_rss_mb": round(peak_kb / 1024, 1), f"load1_before_{prefix}": round(load1, 2),
                    f"{prefix}_sample_row": sample, f"{prefix}_archive": "wal" if wal else "rollback"})
        if chunk > 1:
            out[f"{prefix}_chunk"] = chunk
            out[f"{prefix}_concurrency"] = self.args.chunk_concurrency
            out[f"{prefix}_service"] = service
        log(f"  source: {rows / wall:.0f} rows/s, {cpu * 1000 / rows:.4f} ms CPU per row, "
            f"peak RSS {peak_kb / 1024:.1f} MB; row 2 = {sample}")


def write_b3_csv(path, rows):
    """B3's export: a municipal CSV of tax positions (Italian amounts and dates)."""
    tributi, stati = ["TARI", "IMU", "TASI", "COSAP"], ["pagato", "da pagare", "rateizzato"]
    with open(path, "w", newline="") as f:
        f.write("codice_fiscale,anno,tributo,importo,scadenza,stato\r\n")
        for i in range(rows):
            f.write(f"RSSMRA{80 + i % 20}A{1 + i % 28:02d}A{662 + i % 300:03d}X,{2015 + i % 10},"
                    f"{tributi[i % 4]},\"{1 + i % 3}.{i % 1000:03d},{i % 100:02d}\","
                    f"{1 + i % 28:02d}/{1 + i % 12:02d}/{2015 + i % 10},{stati[i % 3]}\r\n")


def max_rss_kb(time_v_output):
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_v_output)
    return int(m.group(1)) if m else 0
