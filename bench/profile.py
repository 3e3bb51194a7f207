#!/usr/bin/env python3
"""Profiles one bus route of the benchmark (the figures of BENCHMARKS.md "Profiles and what
changed"). Starts nginx (the SOAP back-end of bench.py) and the bus on bench/conf/bus.yaml,
checks the answer, then drives REQUESTS requests over CONNS keep-alive connections (wrk) and
prints the bus's CPU ms per request. With --callgrind the bus runs under
`valgrind --tool=callgrind` (instructions per request = total / requests; start-up is in the
total too, so also run it with --requests 0 and subtract).

  bench/profile.py --bin build/egovbus --route b1 --requests 5000
  bench/profile.py --bin build/egovbus --route b1 --requests 2000 --callgrind --out /tmp/cg.out
  bench/profile.py --bin build/egovbus --route b2 --seconds 10 --conns 64
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import harness  # noqa: E402

ROUTES = {  # path, body (a bench.py payload), expected status
    "b1": ("/api/v1/bari/posizioni/aggiorna", "0.5k.json", 200),
    # B1's call without its two mappings (harness.BUS_CALL_ONLY; asks for the reply as XML)
    "b1-call": ("/api/v1/bari/" + harness.BUS_CALL_ONLY, "0.5k.json", 200),
    "b1-10k": ("/api/v1/bari/posizioni/aggiorna-10k", "10k.json", 200),
    "b1-100k": ("/api/v1/bari/posizioni/aggiorna-100k", "100k.json", 200),
    "b2": ("/api/v1/bari/domanda/invia", "domanda.json", 202),
    "b2-nondurable": ("/api/v1/bari/domanda/invia-senza-journal", "domanda.json", 202),
}


def thread_stats(pid):
    """{thread id: (name, (user, system) CPU seconds, context switches)} of every thread of
    `pid` so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/stat") as f:
                stat = f.read()
            fields = stat[stat.rindex(")") + 2:].split()
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            switches = 0
            with open(f"/proc/{pid}/task/{task}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        switches += int(line.split()[1])
            stats[task] = (name, (int(fields[11]) / ticks, int(fields[12]) / ticks), switches)
        except (FileNotFoundError, ProcessLookupError):
            pass
    return stats


def user_seconds(pid):
    """User-mode CPU seconds of `pid` so far (the rest of harness.cpu_seconds is the kernel's)."""
    return int(harness.proc_stat(pid)[11]) / os.sysconf("SC_CLK_TCK")


def context_switches(pid):
    """Voluntary + involuntary context switches of every thread of `pid` so far."""
    return sum(switches for _, _, switches in thread_stats(pid).values())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=os.path.join(harness.ROOT, "build", "egovbus"))
    parser.add_argument("--route", default="b1", choices=sorted(ROUTES))
    parser.add_argument("--requests", type=int, default=0, help="a fixed number of requests (sequential keep-alive)")
    parser.add_argument("--seconds", type=int, default=0, help="or a wrk run of this many seconds")
    parser.add_argument("--conns", type=int, default=16)
    parser.add_argument("--rate", type=float, default=0,
                        help="with --seconds: pace wrk at about this many requests/s (as bench.py's half load)")
    parser.add_argument("--callgrind", action="store_true")
    parser.add_argument("--out", default="callgrind.out")
    parser.add_argument("--strace", action="store_true",
                        help="count the bus's system calls (strace -f -c) into --out; with --requests, "
                             "divide by the requests (start-up included: also run --requests 0)")
    parser.add_argument("--perf", action="store_true",
                        help="with --seconds: `perf record` the bus during the run into --out "
                             "(then perf report -i OUT --sort dso,sym)")
    parser.add_argument("--threads", action="store_true",
                        help="also print each thread's CPU ms and context switches per request")
    parser.add_argument("--journal", help="the journal file to use (kept; default: a new one in the temp folder)")
    parser.add_argument("--nosync", action="store_true",
                        help="run the bus under eatmydata (Debian package): fsync and fdatasync "
                             "return at once, so the journal commits without waiting for the disk; "
                             "what B2 would be if durability cost nothing")
    parser.add_argument("--backend-workers", default="auto",
                        help="worker_processes of the nginx SOAP back-end (as bench.py's)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temp folder (the bus's config, journal and logs)")
    args = parser.parse_args()

    b = bench.Bench(types.SimpleNamespace(bin=args.bin, quick=True, backend_workers=args.backend_workers))
    try:
        b.write_payloads()
        b.start_nginx()
        b.create_db(b.path("archivio.db"))
        port = harness.free_port()
        journal = os.path.abspath(args.journal) if args.journal else b.path("journal.db")
        env = b.bus_env(journal, b.path("archivio.db"))
        # Every call to the bus carries an API key (b.wrk sends it to the port in b.bus_port).
        b.bus_port = port
        b.bus_key = subprocess.run(
            [args.bin, "key", "create", "--client", "bench", "--tenant", "*", "--service", "*",
             "--config", os.path.join(harness.CONF, "bus.yaml")],
            env=env, check=True, capture_output=True, text=True).stdout.strip()
        headers = {"Content-Type": "application/json", "Authorization": "Bearer " + b.bus_key}
        accept = "application/xml" if args.route == "b1-call" else None
        if accept:
            headers["Accept"] = accept
        argv = [args.bin, "serve", "--config", os.path.join(harness.CONF, "bus.yaml"),
                "--listen", f"127.0.0.1:{port}"]
        if args.callgrind:
            argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={os.path.abspath(args.out)}",
                    "--dump-instr=no"] + argv
        elif args.strace:
            argv = ["strace", "-f", "-c", "-o", os.path.abspath(args.out)] + argv
        if args.nosync:
            if not shutil.which("eatmydata"):
                raise SystemExit("--nosync needs eatmydata: apt-get install eatmydata")
            argv = ["eatmydata"] + argv
        bus = b.start("bus", argv, env=env)
        harness.wait_until(lambda: bus.check_alive() or harness.ready(port), 120, "bus")
        path, body_name, status = ROUTES[args.route]
        with open(b.path("bodies", body_name), "rb") as f:
            body = f.read()
        got, answer = harness.request(port, "POST", path, body, headers)
        if got != status:
            raise RuntimeError(f"bus answered {got}: {answer[:300]!r}")
        size = {"b1": "0.5k", "b1-10k": "10k", "b1-100k": "100k"}.get(args.route)
        if size and json.loads(answer) != b.payloads[size]["expected"]:
            raise RuntimeError(f"unexpected answer {answer[:300]!r}")
        cpu0 = harness.cpu_seconds([bus.pid])
        user0 = user_seconds(bus.pid)
        switches0 = context_switches(bus.pid)
        threads0 = thread_stats(bus.pid)
        started = time.monotonic()
        recorder = None
        if args.perf:
            recorder = subprocess.Popen(["perf", "record", "-F", "1999", "-g", "-o", os.path.abspath(args.out),
                                         "-p", str(bus.pid)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
            time.sleep(0.5)
        if args.seconds:
            delay = args.conns * 1000 / args.rate if args.rate else None
            r = b.wrk(args.route, port, path, b.path("bodies", body_name), args.conns, args.seconds,
                      pids=[bus.pid], delay_ms=delay, accept=accept)
            n = r["requests"]
            latency = r["latency_ms"]
            idle = r["cores_idle_pct"]
        else:
            import http.client
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for _ in range(args.requests):
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != status:
                    raise RuntimeError(f"bus answered {response.status}")
            conn.close()
            n = args.requests
            latency = idle = None
        wall = time.monotonic() - started
        drain = None
        if args.route == "b2":
            # Accepted is not delivered: wait for the deliveries the run left behind.
            b.journal = journal
            states = b.journal_states()
            backlog = states.get("queued", 0) + states.get("delivering", 0)
            _, drain = b.wait_delivered(timeout=600)
            if drain is None:
                raise RuntimeError("deliveries: not done after 600 s")
        if recorder:
            recorder.send_signal(signal.SIGINT)
            recorder.wait(60)
        cpu = harness.cpu_seconds([bus.pid]) - cpu0
        user = user_seconds(bus.pid) - user0
        switches = context_switches(bus.pid) - switches0
        print(f"{args.route}: {n} requests in {wall:.2f} s ({n / wall:.0f} req/s); "
              f"bus CPU {cpu * 1000 / max(n, 1):.4f} ms/request "
              f"({user * 1000 / max(n, 1):.4f} user, {(cpu - user) * 1000 / max(n, 1):.4f} system), "
              f"{switches / max(n, 1):.2f} context switches/request; load {os.getloadavg()[0]:.2f}"
              + (f"; latency p50 {latency['p50']:.2f} ms, p99 {latency['p99']:.2f} ms" if latency else "")
              + ("; idle " + ", ".join(f"{core} {pct}%" for core, pct in idle.items()) if idle else ""))
        if drain is not None:
            print(f"  {backlog} undelivered when the run ended, delivered {drain:.2f} s later: "
                  f"{n / (wall + drain):.0f} exchanges/s accepted and delivered (CPU above includes the drain)")
        if args.threads:
            for tid, (name, (user, system), count) in sorted(thread_stats(bus.pid).items(),
                                                            key=lambda t: int(t[0])):
                _, (user0, system0), count0 = threads0.get(tid, (name, (0.0, 0.0), 0))
                per = 1000 / max(n, 1)
                print(f"  thread {tid} {name}: {(user + system - user0 - system0) * per:.4f} ms CPU "
                      f"({(user - user0) * per:.4f} user, {(system - system0) * per:.4f} system), "
                      f"{(count - count0) / max(n, 1):.2f} context switches per request")
        if args.strace:  # strace leaves on SIGTERM without its tracee: stop the bus itself
            children = subprocess.run(["pgrep", "-P", str(bus.proc.pid)], capture_output=True, text=True)
            for child in children.stdout.split():
                os.kill(int(child), signal.SIGTERM)
        else:
            bus.proc.send_signal(signal.SIGTERM)
        bus.proc.wait(120)
    finally:
        b.stop_all()
        if args.keep:
            print(f"kept {b.tmp}")
        else:
            shutil.rmtree(b.tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
