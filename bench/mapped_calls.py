"""B1 (the mapped SOAP round trip at 16, 64 and 256 connections, and paced at half load) and B5
(the same at three body sizes): the bus against the back-end called directly, nginx
`proxy_pass` and Node-RED."""
import statistics

from harness import BUS_CALL_ONLY, SIZES, SYSTEMS, log, status_kb



class MappedCalls:
    def b1(self):
        out = self.results.setdefault("b1", {})
        for conns in self.args.concurrency:
            key = f"c{conns}"
            log(f"B1 at {conns} connections")
            for system in SYSTEMS:
                port, path, body, ctype, action, pids = self.targets("0.5k")[system]
                r = self.measure(f"b1 {system} c{conns}", port, path, body, conns, pids=pids,
                                 content_type=ctype, soap_action=action)
                out.setdefault(key, {})
                out[key][f"{system}_rps"] = round(r["rps"], 1)
                for q in ("p50", "p99", "p99_9"):
                    out[key][f"{system}_{q}_ms"] = r["latency_ms"][q]
                if "server_cpu_ms_per_req" in r:
                    out[key][f"{system}_cpu_ms_per_req"] = r["server_cpu_ms_per_req"]
                out[key][f"{system}_cores_idle_pct"] = r["cores_idle_pct"]
                out[key][f"{system}_ok"] = r["ok"]
            if conns == 64:
                r = self.measure("b1 bus call only c64", self.bus_port, f"/api/v1/bari/{BUS_CALL_ONLY}",
                                 self.payloads["0.5k"]["json"], conns, pids=[self.bus.pid],
                                 accept="application/xml")
                out[key]["bus_call_only_rps"] = round(r["rps"], 1)
                out[key]["bus_call_only_p99_ms"] = r["latency_ms"]["p99"]
                if "server_cpu_ms_per_req" in r:
                    out[key]["bus_call_only_cpu_ms_per_req"] = r["server_cpu_ms_per_req"]
                out[key]["bus_call_only_ok"] = r["ok"]
        out["bus_rss_after_mb"] = round(status_kb(self.bus.pid, "VmRSS") / 1024, 1)
        self.half_load()

    def half_load(self):
        """p99 of the bus and of the back-end called directly, both paced at half of the bus's
        best throughput (wrk's delay() hook: each connection waits about conns/rate between
        requests; the achieved rate is recorded). `--rounds` alternations of direct then bus;
        the figures are the medians, the p99 above direct the median of the rounds' differences
        (the two runs of a round are measured back to back, on the same machine state)."""
        out = self.results["b1"]
        best = max(v["bus_rps"] for k, v in out.items() if k.startswith("c"))
        rate, conns = best / 2, 32
        h = out["half_load"] = {"target_rps": round(rate, 1), "connections": conns,
                                "rounds": self.args.rounds}
        log(f"B1 paced at {rate:.0f} req/s (half of the bus's best), {self.args.rounds} rounds")
        runs = {"direct": [], "bus": []}
        for _ in range(self.args.rounds):
            for system in ("direct", "bus"):
                port, path, body, ctype, action, pids = self.targets("0.5k")[system]
                delay = conns * 1000 / rate
                probe = self.wrk(f"half-load {system} calibration", port, path, body, conns, 3,
                                 content_type=ctype, soap_action=action, delay_ms=delay, record=False)
                delay = max(0.1, delay * probe["rps"] / rate)  # one correction for the latency
                runs[system].append(self.wrk(f"half-load {system}", port, path, body, conns,
                                             self.args.duration, content_type=ctype,
                                             soap_action=action, delay_ms=delay, pids=pids))
        for system, measured in runs.items():
            h[f"{system}_rps"] = round(statistics.median(r["rps"] for r in measured), 1)
            for q in ("p50", "p99", "p99_9"):
                h[f"{system}_{q}_ms"] = statistics.median(r["latency_ms"][q] for r in measured)
            h[f"{system}_p99_ms_runs"] = [r["latency_ms"]["p99"] for r in measured]
        h["bus_p99_above_direct_ms_runs"] = [
            round(b["latency_ms"]["p99"] - d["latency_ms"]["p99"], 3)
            for d, b in zip(runs["direct"], runs["bus"])]
        h["bus_p99_above_direct_ms"] = round(statistics.median(h["bus_p99_above_direct_ms_runs"]), 3)

    def b5(self):
        out = self.results.setdefault("b5", {})
        conns = 64
        for size, _ in SIZES:
            log(f"B5 {size} bodies at {conns} connections")
            key = "kb" + size.rstrip("k").replace(".", "_")
            p = self.payloads[size]
            out[key] = {"json_request_bytes": p["json_bytes"], "soap_reply_bytes": p["reply_bytes"],
                        "rows": p["rows"], "connections": conns}
            for system in SYSTEMS:
                port, path, body, ctype, action, pids = self.targets(size)[system]
                r = self.measure(f"b5 {system} {size}", port, path, body, conns, pids=pids,
                                 content_type=ctype, soap_action=action)
                out[key][f"{system}_rps"] = round(r["rps"], 1)
                out[key][f"{system}_p99_ms"] = r["latency_ms"]["p99"]
                if "server_cpu_ms_per_req" in r:
                    out[key][f"{system}_cpu_ms_per_req"] = r["server_cpu_ms_per_req"]
                out[key][f"{system}_ok"] = r["ok"]
