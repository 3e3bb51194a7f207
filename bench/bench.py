#!/usr/bin/env python3
"""The egovbus benchmark (B1-B5). bench/run.sh installs the tools and builds; this starts
everything on loopback (free ports, one temp folder), checks every system answers correctly,
measures, stops everything, and writes bench/results/<UTC date>.json and latest.json.

Usage: bench/bench.py --bin build/egovbus --batch-bin build/egovbus_bench_batch
                      [--duration 10] [--warmup 2] [--only b1,b2,b3,b4,b5] [--quick]
                      (--only b3rows: B3's one-exchange-per-row run alone)
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys

from harness import BENCH, NODE_RED_DIR, ROOT, Harness, log
from csv_batch import CsvBatch
from durable_accept import DurableAccept
from footprint import Footprint
from mapped_calls import MappedCalls


class Bench(Harness, MappedCalls, DurableAccept, CsvBatch, Footprint):
    # --- the whole run ------------------------------------------------------------------------

    def section(self, name, measure):
        """Runs one benchmark; a failure (a crashed server, say) is recorded in its results and
        the other benchmarks still run."""
        try:
            measure()
        except Exception as e:
            log(f"{name} FAILED: {e}")
            self.results.setdefault(name, {})["error"] = str(e)[:2000]
            self.failed.append(name)

    def run(self):
        only = set(self.args.only.split(","))
        self.write_payloads()
        self.start_nginx()
        if only & {"b1", "b2", "b5"}:
            self.bus = self.start_bus()
        if only & {"b1", "b5"}:
            self.start_node_red()
            self.check_answers()
        if "b1" in only:
            self.section("b1", self.b1)
        if "b5" in only:
            self.section("b5", self.b5)
        if only & {"b1", "b5"}:
            self.results["bus_alive_after_b1_b5"] = self.bus.proc.poll() is None
        if "b2" in only:
            # A bus of its own: B2 starts from an empty journal and no leftover B5 requests.
            # (Two full runs had the B1/B5 bus abort with "free(): invalid pointer" at the end
            # of B2's first run; see BENCHMARKS.md.)
            self.stop(self.bus)
            self.bus = self.start_bus("bus-b2")
            self.section("b2", self.b2)
            self.results.setdefault("b2", {})["bus_alive_after"] = self.bus.proc.poll() is None
        if only & {"b1", "b2", "b5"}:
            self.stop_all_but_nginx()
        if "b3" in only:
            self.section("b3", self.b3)
        elif "b3rows" in only:
            self.section("b3", self.b3_rows)
        if "b4" in only:
            self.section("b4", self.b4)

    def stop_all_but_nginx(self):
        for service in [s for s in self.services if s not in (self.nginx, self.nginx_proxy)]:
            self.stop(service)


def machine():
    info = {"nproc": os.cpu_count(), "kernel": platform.release(), "loadavg_start": os.getloadavg()}
    try:
        with open("/proc/cpuinfo") as f:
            cpuinfo = f.read().split("\n\n")[0]
        fields = dict(line.split(":", 1) for line in cpuinfo.splitlines() if ":" in line)
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        info["cpu"] = fields.get("model name", platform.machine())
        # A virtual machine's model name can be bare ("AMD EPYC"): the family and model tell
        # generations apart, and the rates of runs on different ones do not compare.
        info["cpu_family"] = fields.get("cpu family")
        info["cpu_model"] = fields.get("model")
        info["cpu_avx512"] = "avx512f" in fields.get("flags", "").split()
        with open("/proc/meminfo") as f:
            info["mem_total_mb"] = int(f.readline().split()[1]) // 1024
    except (OSError, StopIteration):
        pass
    return info


def versions(args):
    def first_line(argv):
        try:
            done = subprocess.run(argv, capture_output=True, text=True)
            return (done.stdout + done.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return None
    try:  # not installed when only sections without Node-RED run (`--only b3`, bench.py alone)
        with open(os.path.join(NODE_RED_DIR, "node_modules", "node-red", "package.json")) as f:
            node_red = json.load(f)["version"]
    except FileNotFoundError:
        node_red = None
    return {"egovbus": first_line([args.bin, "--version"]),
            "commit": first_line(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]),
            "nginx": first_line(["nginx", "-v"]), "wrk": first_line(["wrk", "-v"]),
            "node": first_line(["node", "--version"]), "node_red": node_red,
            "sqlite3": first_line(["sqlite3", "--version"])}


def targets(results):
    """The issue's targets, each with its value and whether it is met."""
    t = {}
    def div(a, b):
        return a / b if b else None  # a system that completed nothing: no ratio
    def add(name, value, goal, met):
        if value is not None:
            t[name] = {"value": round(value, 3), "target": goal, "met": bool(met)}
    b1 = results.get("b1", {}).get("c64")
    if b1:
        add("b1_c64_bus_vs_nginx_proxy", div(b1["bus_rps"], b1["nginx_proxy_rps"]), ">= 0.8",
            b1["bus_rps"] >= 0.8 * b1["nginx_proxy_rps"])
        add("b1_c64_bus_vs_nodered", div(b1["bus_rps"], b1["nodered_rps"]), ">= 10",
            b1["bus_rps"] >= 10 * b1["nodered_rps"])
    half = results.get("b1", {}).get("half_load")
    if half:
        add("b1_half_load_p99_above_direct_ms", half["bus_p99_above_direct_ms"], "<= 2",
            half["bus_p99_above_direct_ms"] <= 2)
    b2 = results.get("b2")
    if b2 and "durable_rps" in b2:
        # The median of the rounds' ratios (each round's two runs back to back, as the half-load
        # pair), durable counted until its exchanges are delivered; None when a drain timed out.
        ratio = b2.get("ratio")
        add("b2_durable_vs_nondurable", ratio, ">= 0.9", ratio is not None and ratio >= 0.9)
    b3 = results.get("b3")
    if b3 and "sqlite_import_rows_per_s" in b3:
        add("b3_bus_vs_sqlite_import", div(b3["bus_rows_per_s"], b3["sqlite_import_rows_per_s"]), ">= 0.5",
            b3["bus_rows_per_s"] >= 0.5 * b3["sqlite_import_rows_per_s"])
        add("b3_bus_peak_rss_mb", b3["bus_peak_rss_mb"], "< 100", b3["bus_peak_rss_mb"] < 100)
    b4 = results.get("b4")
    if b4 and "idle_rss_mb" in b4:
        add("b4_idle_rss_mb", b4["idle_rss_mb"], "<= 50", b4["idle_rss_mb"] <= 50)
        add("b4_start_ms", b4["start_ms"], "<= 500", b4["start_ms"] <= 500)
    return t


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=os.path.join(ROOT, "build", "egovbus"))
    parser.add_argument("--batch-bin", default=os.path.join(ROOT, "build", "egovbus_bench_batch"))
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up before each run")
    parser.add_argument("--concurrency", default="16,64,256")
    parser.add_argument("--chunk", type=int, default=1000,
                        help="B3 rows per exchange (the csv source's rows_per_exchange, and the driver's)")
    parser.add_argument("--chunk-concurrency", type=int, default=4,
                        help="B3: chunks in flight (the csv source's concurrency)")
    parser.add_argument("--source-rows", type=int, default=0,
                        help="B3 rows through the csv drop-folder source (default 20000 with the archive "
                             "in WAL mode, 2000 in rollback-journal mode)")
    parser.add_argument("--only", default="b1,b2,b3,b4,b5")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternations of B2's two routes, of the half-load pair and of B3's two "
                             "archive modes; medians reported (2 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="a short run to check the harness (2 s runs, small B3); results go to "
                             "bench/results/quick.json only")
    parser.add_argument("--proxy-workers", default="auto",
                        help="worker_processes of the nginx proxy: auto (one a core) or a number "
                             "(until the thirteenth pass the proxy and the back-end were one nginx of 1)")
    parser.add_argument("--backend-workers", default="auto",
                        help="worker_processes of the nginx SOAP back-end that every system calls")
    parser.add_argument("--out", default=os.path.join(BENCH, "results"))
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs)")
    args = parser.parse_args()
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    if args.quick:
        args.duration, args.warmup, args.rounds = 2, 1, 2

    bench = Bench(args)
    started = datetime.datetime.now(datetime.timezone.utc)
    report = {"date": started.strftime("%Y-%m-%dT%H:%M:%SZ"), "machine": machine(),
              "versions": versions(args),
              "settings": {"duration_s": args.duration, "warmup_s": args.warmup, "wrk_threads": 2, "rounds": args.rounds,
                           "quick": args.quick, "only": args.only,
                           "nginx_proxy_workers": args.proxy_workers, "nginx_backend_workers": args.backend_workers}}
    log(f"temp folder {bench.tmp}; load average {report['machine']['loadavg_start']}")

    def interrupted(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupted)
    failure = None
    try:
        bench.run()
    except (Exception, KeyboardInterrupt) as e:
        failure = e
    finally:
        bench.stop_all()
    if failure:
        log(f"FAILED: {failure!r}; logs kept in {bench.tmp}")
        return 1
    report.update(bench.results)
    report["failed_sections"] = bench.failed
    report["targets"] = targets(bench.results)
    report["machine"]["loadavg_end"] = os.getloadavg()
    report["runs"] = bench.runs
    os.makedirs(args.out, exist_ok=True)
    text = json.dumps(report, indent=2) + "\n"
    names = ["quick.json"] if args.quick else [started.strftime("%Y-%m-%d") + ".json", "latest.json"]
    for name in names:
        with open(os.path.join(args.out, name), "w") as f:
            f.write(text)
    log("wrote " + ", ".join(os.path.join(args.out, n) for n in names))
    for name, t in report["targets"].items():
        log(f"  {name}: {t['value']} (target {t['target']}): {'met' if t['met'] else 'MISSED'}")
    if not args.keep:
        shutil.rmtree(bench.tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
