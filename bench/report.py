#!/usr/bin/env python3
"""Plots (gnuplot) and the results table of BENCHMARKS.md from a results JSON.

Usage: bench/report.py bench/results/latest.json [--no-write]
Writes bench/results/b1-throughput.png, b1-p99.png, b5-throughput.png and replaces the part of
BENCHMARKS.md between the results markers. With --no-write it prints the table only.
"""
import json
import os
import subprocess
import sys
import tempfile

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
SYSTEMS = [("bus", "egovbus"), ("nginx_proxy", "nginx proxy_pass"), ("nodered", "Node-RED 4"),
           ("direct", "back-end direct")]


def fmt(value, digits=0):
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "–"


def cpu_generation(machine):
    """ (family 26, model 2, AVX-512) when the run recorded them (runs since 2026-11-27)."""
    if machine.get("cpu_family") is None:
        return ""
    avx = ", AVX-512" if machine.get("cpu_avx512") else ""
    return f" (family {machine['cpu_family']}, model {machine.get('cpu_model', '?')}{avx})"


def table(r):
    lines = []
    m, v = r["machine"], r["versions"]
    lines.append(f"Run of {r['date']} (commit {v.get('commit')}, {v.get('egovbus')}); machine: "
                 f"{m.get('nproc')} × {m.get('cpu', '?')}{cpu_generation(m)}, {m.get('mem_total_mb', '?')} MB; "
                 f"load average at start {m['loadavg_start'][0]:.2f} / {m['loadavg_start'][1]:.2f} / "
                 f"{m['loadavg_start'][2]:.2f}, at end {m['loadavg_end'][0]:.2f}. "
                 f"{r['settings']['duration_s']} s per run after {r['settings']['warmup_s']} s of warm-up, "
                 f"wrk -t2; nginx worker_processes: the proxy {r['settings'].get('nginx_proxy_workers', 1)}, "
                 f"the back-end {r['settings'].get('nginx_backend_workers', 1)}. "
                 f"Tools: {v.get('nginx')}, {str(v.get('wrk')).split(' [')[0]}, Node-RED {v.get('node_red')} on node "
                 f"{v.get('node')}, SQLite {str(v.get('sqlite3')).split(' ')[0]}.")
    lines.append("")
    for name in r.get("failed_sections", []):
        lines.append(f"**{name.upper()} failed in this run**: {r[name].get('error', '')[:300]}")
        lines.append("")
    b1 = r.get("b1")
    if b1 and "c64" in b1:
        lines.append("**B1 — mapped SOAP round trip** (0.5 KB JSON; req/s, latency in ms; "
                     "CPU = server CPU time per request)")
        lines.append("")
        lines.append("| connections | egovbus | nginx proxy_pass | Node-RED | direct | bus ÷ proxy | bus ÷ Node-RED "
                     "| bus p50 / p99 / p99.9 | direct p99 | bus CPU ms/req | proxy CPU ms/req | Node-RED CPU ms/req |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for key in sorted((k for k in b1 if k.startswith("c") and k[1:].isdigit()), key=lambda k: int(k[1:])):
            c = b1[key]
            lines.append(
                f"| {key[1:]} | {fmt(c['bus_rps'])} | {fmt(c['nginx_proxy_rps'])} | {fmt(c['nodered_rps'])} "
                f"| {fmt(c['direct_rps'])} | {ratio(c['bus_rps'], c['nginx_proxy_rps'])} "
                f"| {ratio(c['bus_rps'], c['nodered_rps'])} "
                f"| {c['bus_p50_ms']:.2f} / {c['bus_p99_ms']:.2f} / {c['bus_p99_9_ms']:.2f} "
                f"| {c['direct_p99_ms']:.2f} | {fmt(c.get('bus_cpu_ms_per_req'), 3)} "
                f"| {fmt(c.get('nginx_proxy_cpu_ms_per_req'), 3)} | {fmt(c.get('nodered_cpu_ms_per_req'), 3)} |")
        c = b1["c64"]
        if "bus_cores_idle_pct" in c:
            names = {"bus": "the bus", "nginx_proxy": "the proxy", "nodered": "Node-RED", "direct": "direct"}
            idle = "; ".join(f"{label} {' / '.join(f'{v}' for v in c[f'{system}_cores_idle_pct'].values())}"
                             for system, label in names.items() if f"{system}_cores_idle_pct" in c)
            lines.append("")
            lines.append(f"Idle share of each core during the 64-connection runs, in %: {idle}. "
                         f"A core left idle under full load means a system bound by something other "
                         f"than the CPU.")
        if "bus_call_only_rps" in c:
            lines.append("")
            lines.append(f"The same call without the two mappings (`posizioni.passa`, the reply as XML; "
                         f"64 connections): {fmt(c['bus_call_only_rps'])} req/s, "
                         f"{ratio(c['bus_call_only_rps'], c['nginx_proxy_rps'])} nginx proxy_pass, "
                         f"p99 {c['bus_call_only_p99_ms']:.2f} ms, "
                         f"{fmt(c.get('bus_call_only_cpu_ms_per_req'), 3)} ms CPU per request: the bus's "
                         f"plumbing alone.")
        h = b1.get("half_load")
        if h:
            lines.append("")
            rounds = h.get("rounds", 1)
            each = (f" (medians of {rounds} rounds of direct then bus; above direct per round: "
                    f"{', '.join(f'{v:.2f}' for v in h['bus_p99_above_direct_ms_runs'])} ms)"
                    if rounds > 1 else "")
            lines.append(f"Paced at half of the bus's best throughput ({fmt(h['target_rps'])} req/s asked, "
                         f"{h['connections']} connections): bus {fmt(h['bus_rps'])} req/s, p50 {h['bus_p50_ms']:.2f} ms, "
                         f"p99 {h['bus_p99_ms']:.2f} ms; direct {fmt(h['direct_rps'])} req/s, p99 "
                         f"{h['direct_p99_ms']:.2f} ms; the bus's p99 is **{h['bus_p99_above_direct_ms']:.2f} ms** "
                         f"above direct{each}. Bus RSS after B1: {b1.get('bus_rss_after_mb')} MB.")
        lines.append("")
    b2 = r.get("b2")
    if b2 and "durable_rps" in b2:
        rounds = b2.get("rounds", 1)
        lines.append("**B2 — one-way accept** (64 connections" +
                     (f"; medians of {rounds} rounds, each the route without the journal, then the durable one"
                      + (", then the durable one with fsync skipped on a bus of its own"
                         if b2.get("nosync_delivered_rps") is not None else "")
                      if rounds > 1 else "") + ")")
        lines.append("")
        lines.append("| | req/s | p99 ms | CPU ms/req |")
        lines.append("| --- | ---: | ---: | ---: |")
        if b2.get("durable_delivered_rps") is not None:
            lines.append(f"| 202 after a durable journal commit, until the last is delivered | "
                         f"{fmt(b2['durable_delivered_rps'])} | | {fmt(b2.get('durable_delivered_cpu_ms_per_req'), 3)} |")
        lines.append(f"| 202 after a durable journal commit (202s only) | {fmt(b2['durable_rps'])} | "
                     f"{b2['durable_p99_ms']:.2f} | {fmt(b2.get('durable_cpu_ms_per_req'), 3)} |")
        lines.append(f"| the same route without the journal | {fmt(b2['nondurable_rps'])} | "
                     f"{b2['nondurable_p99_ms']:.2f} | {fmt(b2.get('nondurable_cpu_ms_per_req'), 3)} |")
        if b2.get("nosync_delivered_rps") is not None:
            lines.append(f"| durable, fsync skipped (eatmydata), until the last is delivered | "
                         f"{fmt(b2['nosync_delivered_rps'])} | {b2['nosync_p99_ms']:.2f} | "
                         f"{fmt(b2.get('nosync_delivered_cpu_ms_per_req'), 3)} |")
        lines.append(f"| SQLite, one row per commit (WAL, synchronous=FULL) | {fmt(b2['sqlite_single_commit_rps'])} | | |")
        lines.append("")
        if b2.get("ratio") is not None:
            headline = (f"**{b2['ratio']:.2f}×**, the median of the rounds' ratios ("
                        f"{', '.join(f'{v:.2f}×' for v in b2['ratio_runs'] if v is not None)}), durable "
                        f"counted until its exchanges are delivered")
        else:
            headline = "not measured (a drain did not finish)"
        accept = ""
        if b2.get("accept_ratio") is not None:
            accept = (f" Counting the 202s alone, while deliveries may lag behind: {b2['accept_ratio']:.2f}× ("
                      f"{', '.join(f'{v:.2f}×' for v in b2['accept_ratio_runs'] if v is not None)}).")
        if b2.get("nosync_ratio") is not None:
            accept += (f" With fsync skipped (what writing the journal costs without waiting for the "
                       f"disk): {b2['nosync_ratio']:.2f}× ("
                       f"{', '.join(f'{v:.2f}×' for v in b2['nosync_ratio_runs'] if v is not None)}).")
        drains = b2.get("delivery_drain_s_runs") or [b2["delivery_drain_s"]]
        lines.append(f"Durable ÷ non-durable: {headline}.{accept} Durable ÷ SQLite "
                     f"single commits: {ratio(b2['durable_rps'], b2['sqlite_single_commit_rps'])}. "
                     f"{b2['journal_rows_added']} exchanges journaled for {b2['accepted']} 202s counted by wrk "
                     f"(every 202 journaled: {b2['every_202_journaled']}); the last delivered "
                     f"{', '.join(f'{d} s' for d in drains)} after each durable run ended ({b2['journal_states']}).")
        if "durable_idle_cores_runs" in b2:
            idle = [(label, b2.get(f"{key}_idle_cores_runs")) for key, label in
                    (("nondurable", "without the journal"), ("durable", "durable"), ("nosync", "fsync skipped"))]
            lines.append("")
            lines.append("Idle during each round's runs, in cores (the two cores' idle shares added): "
                         + "; ".join(f"{label} {', '.join(f'{v:.2f}' for v in runs)}" for label, runs in idle if runs)
                         + ". A route that leaves the cores idle under full load waits for something "
                           "other than the CPU (BENCHMARKS, thirteenth pass).")
        lines.append("")
    b3 = r.get("b3")
    if b3 and "sqlite_import_rows_per_s" in b3:
        lines.append(f"**B3 — CSV batch** ({fmt(b3['rows'])} rows, {b3['csv_mb']} MB)")
        lines.append("")
        lines.append("| | rows/s | seconds | peak RSS MB |")
        lines.append("| --- | ---: | ---: | ---: |")
        def archive(prefix):  # runs before the archive's mode was recorded used rollback journals
            return {"wal": "WAL", "rollback": "rollback-journal"}[b3.get(prefix + "_archive", "rollback")]

        if "bus_service" in b3:
            lines.append(f"| egovbus serve: csv drop-folder source, rows_per_exchange {fmt(b3['bus_chunk'])} → "
                         f"column checks per chunk → db, one INSERT per row (for_each; egov_decimal_it, "
                         f"egov_date_it; archive in {archive('bus')} mode; "
                         f"{fmt(b3['bus_cpu_ms_per_row'], 4)} ms CPU per row) | "
                         f"{fmt(b3['bus_rows_per_s'])} | {b3['bus_seconds']:.2f} | {b3['bus_peak_rss_mb']} |")
        if "bus_rollback_rows_per_s" in b3:
            lines.append(f"| egovbus serve: the same, archive in rollback-journal mode (as `sqlite3` creates it; "
                         f"{fmt(b3['bus_rollback_cpu_ms_per_row'], 4)} ms CPU per row) | "
                         f"{fmt(b3['bus_rollback_rows_per_s'])} | {b3['bus_rollback_seconds']:.2f} | "
                         f"{b3['bus_rollback_peak_rss_mb']} |")
        # The XSLT route of the source: a run of its own (xslt_*) since for_each, the headline
        # (bus_*) before it.
        xslt = "xslt" if "xslt_rows_per_s" in b3 else None
        if "bus_cpu_ms_per_row" in b3 and "bus_service" not in b3:
            xslt = "bus"
        if xslt:
            lines.append(f"| egovbus serve: the same source → XSLT per chunk → db (json_each, egov_decimal_it, "
                         f"egov_date_it; archive in {archive(xslt)} mode; "
                         f"{fmt(b3[xslt + '_cpu_ms_per_row'], 4)} ms CPU per row) | "
                         f"{fmt(b3[xslt + '_rows_per_s'])} | {b3[xslt + '_seconds']:.2f} | {b3[xslt + '_peak_rss_mb']} |")
        if "bus_cpu_ms_per_row" not in b3:  # results of runs before the source's chunk mode: the driver's figure
            lines.append(f"| egovbus: CSV reader → XSLT per {fmt(b3['bus_chunk'])}-row chunk → db adapter | "
                         f"{fmt(b3['bus_rows_per_s'])} | {b3['bus_seconds']:.2f} | {b3['bus_peak_rss_mb']} |")
        lines.append(f"| `sqlite3 .import` | {fmt(b3['sqlite_import_rows_per_s'])} | {b3['sqlite_import_seconds']:.2f} "
                     f"| {b3['sqlite_import_peak_rss_mb']} |")
        if "driver_rows_per_s" in b3:
            lines.append(f"| benchmark driver (`egovbus_bench_batch`): the same route, {fmt(b3['driver_chunk'])}-row "
                         f"chunks, no source | {fmt(b3['driver_rows_per_s'])} | {b3['driver_seconds']:.2f} | "
                         f"{b3['driver_peak_rss_mb']} |")
        for prefix, mode in (("source", "WAL"), ("source_rollback", "rollback-journal")):
            if f"{prefix}_rows_per_s" in b3:
                lines.append(f"| product path: csv drop-folder source → one exchange per row → XSLT → db "
                             f"(archive in {mode} mode; {fmt(b3[prefix + '_rows'])} rows; "
                             f"{fmt(b3[prefix + '_cpu_ms_per_row'], 3)} ms CPU per row) | "
                             f"{fmt(b3[prefix + '_rows_per_s'])} | {b3[prefix + '_seconds']:.2f} | "
                             f"{b3[prefix + '_peak_rss_mb']} |")
        lines.append("")
        rounds = ""
        if "bus_rows_per_s_runs" in b3:
            rounds = (f" The bus's rows/s are the median of {len(b3['bus_rows_per_s_runs'])} rounds alternating "
                      f"the two archive modes (WAL: {', '.join(fmt(v) for v in b3['bus_rows_per_s_runs'])}; "
                      f"rollback journal: {', '.join(fmt(v) for v in b3['bus_rollback_rows_per_s_runs'])}), "
                      f"peak RSS the highest of them.")
            if "sqlite_import_rows_per_s_runs" in b3:
                rounds += (f" `.import` ran in each round after them: "
                           f"{', '.join(fmt(v) for v in b3['sqlite_import_rows_per_s_runs'])} rows/s, "
                           f"the median reported.")
        lines.append(f"Bus ÷ `.import`: **{ratio(b3['bus_rows_per_s'], b3['sqlite_import_rows_per_s'])}**.{rounds}")
        lines.append("")
    b4 = r.get("b4")
    if b4 and "idle_rss_mb" in b4:
        lines.append(f"**B4 — footprint** ({b4['tenants']} tenants): idle RSS **{b4['idle_rss_mb']} MB**, "
                     f"start-up **{b4['start_ms']} ms** (exec to /readyz 200; runs {b4['start_ms_runs']}), "
                     f"reload **{b4['reload_ms']} ms** (SIGHUP to the new generation in /metrics; runs "
                     f"{b4['reload_ms_runs']}), RSS after 5 reloads {b4['rss_after_reloads_mb']} MB.")
        lines.append("")
    b5 = {k: v for k, v in r.get("b5", {}).items() if isinstance(v, dict) and "bus_rps" in v}
    if b5:
        lines.append("**B5 — payload sweep** (B1 at 64 connections; req/s, p99 ms)")
        lines.append("")
        lines.append("| JSON body | SOAP reply | egovbus | nginx proxy_pass | Node-RED | direct | bus ÷ proxy "
                     "| bus ÷ Node-RED | bus p99 | bus CPU ms/req |")
        lines.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for key, s in b5.items():
            lines.append(f"| {fmt(s['json_request_bytes'])} B | {fmt(s['soap_reply_bytes'])} B | {fmt(s['bus_rps'])} "
                         f"| {fmt(s['nginx_proxy_rps'])} | {fmt(s['nodered_rps'])} | {fmt(s['direct_rps'])} "
                         f"| {ratio(s['bus_rps'], s['nginx_proxy_rps'])} | {ratio(s['bus_rps'], s['nodered_rps'])} "
                         f"| {s['bus_p99_ms']:.2f} | {fmt(s.get('bus_cpu_ms_per_req'), 3)} |")
        lines.append("")
    t = r.get("targets")
    if t:
        lines.append("**Targets**")
        lines.append("")
        lines.append("| target | value | goal | |")
        lines.append("| --- | ---: | --- | --- |")
        for name, x in t.items():
            lines.append(f"| {name} | {x['value']} | {x['target']} | {'met' if x['met'] else '**missed**'} |")
        lines.append("")
    failed = [run["label"] for run in r.get("runs", []) if not run.get("ok")]
    if failed:
        lines.append("Runs with errors (non-2xx, timeouts or socket errors): " + ", ".join(failed) + ".")
        lines.append("")
    return "\n".join(lines)


def plots(r, out_dir):
    b1 = r.get("b1")
    if not b1 or "c64" not in b1 or not shutil_which("gnuplot"):
        return []
    with tempfile.TemporaryDirectory() as tmp:
        keys = sorted((k for k in b1 if k.startswith("c") and k[1:].isdigit()), key=lambda k: int(k[1:]))
        with open(os.path.join(tmp, "b1.dat"), "w") as f:
            f.write("# connections " + " ".join(f"{s}_rps {s}_p99" for s, _ in SYSTEMS) + "\n")
            for k in keys:
                f.write(k[1:] + " " + " ".join(f"{b1[k][s + '_rps']} {b1[k][s + '_p99_ms']}" for s, _ in SYSTEMS) + "\n")
        b5 = {k: v for k, v in r.get("b5", {}).items() if isinstance(v, dict) and "bus_rps" in v}
        with open(os.path.join(tmp, "b5.dat"), "w") as f:
            for i, (k, s) in enumerate(b5.items()):
                f.write(f"{i} \"{s['json_request_bytes'] / 1024:.1f} KB\" " +
                        " ".join(str(s[n + "_rps"]) for n, _ in SYSTEMS) + "\n")
        date = r["date"]
        load = r["machine"]["loadavg_start"][0]
        common = (f"set terminal pngcairo noenhanced size 900,540 font 'sans,10'\nset xrange [12:330]\nset grid\nset key outside right\n"
                  f"set logscale y\nset xtics ({', '.join(repr(k[1:]) + ' ' + k[1:] for k in keys)})\n"
                  "set logscale x 2\nset xlabel 'connections'\n")
        lines = ", ".join(f"'{tmp}/b1.dat' using 1:{2 + 2 * i + col} with linespoints lw 2 title '{title}'"
                          for i, (_, title) in enumerate(SYSTEMS) for col in [0])
        p99 = ", ".join(f"'{tmp}/b1.dat' using 1:{3 + 2 * i} with linespoints lw 2 title '{title}'"
                        for i, (_, title) in enumerate(SYSTEMS))
        made = [os.path.join(out_dir, n) for n in ("b1-throughput.png", "b1-p99.png")]
        script = common + (
            f"set output '{made[0]}'\nset title 'B1 mapped SOAP round trip: throughput ({date}, load {load:.1f}, 2 cores)'\n"
            f"set ylabel 'requests/s'\nplot {lines}\n"
            f"set output '{made[1]}'\nset title 'B1 mapped SOAP round trip: p99 latency ({date}, load {load:.1f})'\n"
            f"set ylabel 'p99 ms'\nplot {p99}\n")
        if b5:
            made.append(os.path.join(out_dir, "b5-throughput.png"))
            bars = ", ".join(f"'{tmp}/b5.dat' using {3 + i}:xtic(2) title '{title}'" for i, (_, title) in enumerate(SYSTEMS))
            script += (f"unset logscale x\nset autoscale x\nunset xtics\nset xtics\nset xlabel 'JSON request body'\n"
                       f"set style data histogram\nset style histogram clustered\nset style fill solid 0.8\n"
                       f"set output '{made[2]}'\nset title 'B5 payload sweep at 64 connections ({date})'\n"
                       f"set ylabel 'requests/s'\nplot {bars}\n")
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    return made


def shutil_which(name):
    from shutil import which
    return which(name)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        r = json.load(f)
    text = table(r)
    if "--no-write" in sys.argv:
        print(text)
        return 0
    made = plots(r, os.path.dirname(os.path.abspath(sys.argv[1])))
    doc_path = os.path.join(ROOT, "BENCHMARKS.md")
    with open(doc_path) as f:
        doc = f.read()
    if BEGIN not in doc or END not in doc:
        print(f"report: {doc_path} has no {BEGIN} ... {END} section", file=sys.stderr)
        return 1
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(doc_path, "w") as f:
        f.write(head + BEGIN + "\n" + text + "\n" + END + tail)
    print("report: updated BENCHMARKS.md" + "".join(f", {m}" for m in made))
    return 0


if __name__ == "__main__":
    sys.exit(main())
