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
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
CONF = os.path.join(BENCH, "conf")
WRK_SCRIPT = os.path.join(BENCH, "wrk", "post.lua")
NODE_RED_DIR = os.path.join(BENCH, "node-red")
MUNICIPALITIES = os.path.join(ROOT, "..", "shared", "data", "comuni-citta-metropolitana-bari.csv")

SOAP_ACTION = "urn:bench:tributi#aggiorna"
CF = "RSSMRA80A01A662A"
# B5 sizes: the JSON request body (the SOAP request and reply carry the same rows).
SIZES = [("0.5k", 512), ("10k", 10 * 1024), ("100k", 100 * 1024)]
BUS_SERVICE = {"0.5k": "posizioni/aggiorna", "10k": "posizioni/aggiorna-10k",
               "100k": "posizioni/aggiorna-100k"}
# B1's call without its two mappings (secondary, 64 connections): the JSON body goes to the
# back-end as its XML representation and the SOAP reply comes back as XML (Accept), so the
# figure is the bus's own plumbing: HTTP, JSON -> XML, the envelope, curl, the reply's parse,
# the audit record, the log line.
BUS_CALL_ONLY = "posizioni/passa"
SYSTEMS = ["direct", "nginx_proxy", "bus", "nodered"]


def log(*args):
    print("[bench]", *args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=None, headers=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_until(check, timeout, what, interval=0.002):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(interval)
    raise RuntimeError(f"{what}: not ready after {timeout}s")


def ready(port, path="/readyz"):
    return request(port, "GET", path, timeout=1)[0] == 200


def proc_stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return fields  # fields[0] is the state (field 3)


def cpu_seconds(pids):
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = proc_stat(pid)
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
        except (OSError, IndexError):
            pass
    return total


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def child_pids(pid):
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(proc_stat(entry)[1]) == pid:
                    pids.append(int(entry))
            except (OSError, IndexError):
                pass
    return pids


class Service:
    """A process this harness started; stopped with SIGTERM (then SIGKILL) by its own pid."""

    def __init__(self, name, argv, log_path, env=None, cwd=None):
        self.name = name
        self.log_path = log_path
        self.log_file = open(log_path, "ab")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, stdout=self.log_file, stderr=subprocess.STDOUT,
                                     env=env, cwd=cwd, start_new_session=True)

    @property
    def pid(self):
        return self.proc.pid

    def pids(self):
        return [self.pid] + child_pids(self.pid)

    def check_alive(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log_path}")

    def stop(self, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()


# --- payloads -------------------------------------------------------------------------------

def row(i):
    return {"tributo": ["TARI", "IMU", "TASI", "COSAP"][i % 4], "importo": f"{100 + i % 900}.{i % 100:02d}",
            "scadenza": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "descrizione": f"Rata {1 + i % 4} di 4, avviso n. {2024000 + i}"}


def request_body(target_bytes):
    """The JSON request whose size is closest to target_bytes, and its number of rows."""
    rows, best = [], None
    while True:
        body = json.dumps({"codice_fiscale": CF, "anno": "2024", "righe": rows}, separators=(",", ":"))
        if best is None or abs(len(body) - target_bytes) < abs(len(best[0]) - target_bytes):
            best = (body, len(rows))
        if len(body) > target_bytes:
            return best
        rows.append(row(len(rows)))


def esc(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def envelope(payload):
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            + payload + '</soap:Body></soap:Envelope>')


def soap_request(n):
    """What the bus's request mapping sends for n rows (the body of the direct and proxy runs)."""
    rows = "".join(f"<Riga><Tributo>{r['tributo']}</Tributo><Importo>{r['importo']}</Importo>"
                   f"<Scadenza>{r['scadenza']}</Scadenza><Descrizione>{esc(r['descrizione'])}</Descrizione></Riga>"
                   for r in map(row, range(n)))
    return envelope('<tns:AggiornaPosizioni xmlns:tns="urn:bench:tributi"><Ente>C_A662</Ente>'
                    f'<CodiceFiscale>{CF}</CodiceFiscale><Anno>2024</Anno><Righe>{rows}</Righe>'
                    '</tns:AggiornaPosizioni>')


def soap_reply(n):
    """The back-end's fixed answer for n rows, and the JSON the bus and Node-RED must make of it."""
    rows = [row(i) for i in range(n)]
    states = ["aggiornata", "invariata"]
    body = "".join(f"<Posizione><Tributo>{r['tributo']}</Tributo><Importo>{r['importo']}</Importo>"
                   f"<Scadenza>{r['scadenza']}</Scadenza><Stato>{states[i % 2]}</Stato></Posizione>"
                   for i, r in enumerate(rows))
    xml = envelope('<tns:AggiornaPosizioniResponse xmlns:tns="urn:bench:tributi"><Esito>OK</Esito>'
                   f'<Protocollo>2024/0001234</Protocollo><Posizioni>{body}</Posizioni>'
                   '</tns:AggiornaPosizioniResponse>')
    expected = {"esito": "OK", "protocollo": "2024/0001234",
                "posizioni": [{"tributo": r["tributo"], "importo": float(r["importo"]),
                               "scadenza": r["scadenza"], "stato": states[i % 2]}
                              for i, r in enumerate(rows)]}
    return xml, expected


# --- load generation ------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="egovbus-bench-")
        os.chmod(self.tmp, 0o755)  # nginx workers run as nobody when started by root
        self.services = []
        self.runs = []
        self.results = {}
        self.payloads = {}
        self.failed = []

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def start(self, name, argv, env=None, cwd=None):
        service = Service(name, argv, self.path(f"{name}.log"), env=env, cwd=cwd)
        self.services.append(service)
        return service

    def stop(self, service):
        service.stop()
        self.services.remove(service)

    def stop_all(self):
        for service in reversed(list(self.services)):
            try:
                service.stop()
            except Exception as e:  # keep stopping the others
                log(f"stopping {service.name}: {e}")
        self.services.clear()

    def wrk(self, label, port, path, body_file, conns, duration, content_type="application/json",
            soap_action=None, delay_ms=None, pids=(), record=True, accept=None):
        env = dict(os.environ, BENCH_BODY=body_file, BENCH_CONTENT_TYPE=content_type,
                   BENCH_SOAP_ACTION=soap_action or "", BENCH_DELAY_MS=str(delay_ms or ""),
                   BENCH_ACCEPT=accept or "",
                   BENCH_API_KEY=getattr(self, "bus_key", "") if port == getattr(self, "bus_port", None) else "")
        argv = ["wrk", f"-t{min(2, conns)}", f"-c{conns}", f"-d{duration}s", "--latency",
                "--timeout", "10s", "-s", WRK_SCRIPT, f"http://127.0.0.1:{port}{path}"]
        load1 = os.getloadavg()[0]
        cpu_before = cpu_seconds(pids)
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=duration + 60)
        cpu_after = cpu_seconds(pids)
        line = next((l for l in done.stdout.splitlines() if l.startswith("BENCH_JSON ")), None)
        if done.returncode != 0 or line is None:
            raise RuntimeError(f"wrk {label}: exit {done.returncode}\n{done.stdout}\n{done.stderr}")
        result = json.loads(line[len("BENCH_JSON "):])
        result["label"] = label
        result["connections"] = conns
        result["load1_before"] = round(load1, 2)
        if pids and result["requests"]:
            result["server_cpu_ms_per_req"] = round((cpu_after - cpu_before) * 1000 / result["requests"], 4)
        failed = sum(result["errors"].values())
        result["ok"] = failed == 0 and result["requests"] > 0
        if not result["ok"]:
            log(f"  {label}: {failed} errors {result['errors']}")
        if record:
            self.runs.append(result)
            log(f"  {label}: {result['rps']:.0f} req/s, p50 {result['latency_ms']['p50']:.2f} ms, "
                f"p99 {result['latency_ms']['p99']:.2f} ms (load {load1:.2f})")
        return result

    def measure(self, label, port, path, body_file, conns, pids=(), **kw):
        self.wrk(label + " warm-up", port, path, body_file, conns, self.args.warmup, pids=pids,
                 record=False, **kw)
        return self.wrk(label, port, path, body_file, conns, self.args.duration, pids=pids, **kw)

    # --- the systems under test ---------------------------------------------------------------

    def write_payloads(self):
        www = self.path("nginx", "www", "soap")
        os.makedirs(www)
        os.makedirs(self.path("bodies"))
        for size, target in SIZES:
            body, n = request_body(target)
            reply, expected = soap_reply(n)
            files = {"json": self.path("bodies", f"{size}.json"),
                     "soap": self.path("bodies", f"{size}.soap.xml")}
            with open(files["json"], "w") as f:
                f.write(body)
            with open(files["soap"], "w") as f:
                f.write(soap_request(n))
            with open(os.path.join(www, f"{size}.xml"), "w") as f:
                f.write(reply)
            self.payloads[size] = dict(files, rows=n, json_bytes=len(body), reply=reply.encode(),
                                       reply_bytes=len(reply.encode()), expected=expected)
        for root, dirs, files in os.walk(self.path("nginx")):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
            for f in files:
                os.chmod(os.path.join(root, f), 0o644)
        with open(self.path("bodies", "domanda.json"), "w") as f:
            json.dump({"codice_fiscale": CF, "sportello": "casa",
                       "allegati": [{"nome": "isee-2024.pdf"}, {"nome": "documento.pdf"}]}, f)

    def start_nginx(self):
        self.backend_port, self.proxy_port = free_port(), free_port()
        prefix = self.path("nginx")
        for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.makedirs(os.path.join(prefix, "temp", d), exist_ok=True)
        conf = f"""
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {prefix}/temp/body;
  proxy_temp_path {prefix}/temp/proxy;
  fastcgi_temp_path {prefix}/temp/fastcgi;
  uwsgi_temp_path {prefix}/temp/uwsgi;
  scgi_temp_path {prefix}/temp/scgi;
  client_max_body_size 2m;
  client_body_buffer_size 256k;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  # The SOAP back-end: one fixed reply per size. The static module refuses POST (405), so
  # the 405 is turned into the file itself: the usual way to make nginx answer a POST
  # with a fixed body.
  server {{
    listen 127.0.0.1:{self.backend_port} backlog=4096;
    location /soap/ {{
      root {prefix}/www;
      types {{ }}
      default_type "text/xml; charset=utf-8";
      error_page 405 =200 $uri;
    }}
  }}
  # A proxy that does no work: proxy_pass to the back-end, connections kept alive.
  upstream soap_backend {{ server 127.0.0.1:{self.backend_port}; keepalive 512; }}
  server {{
    listen 127.0.0.1:{self.proxy_port} backlog=4096;
    location / {{
      proxy_pass http://soap_backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
"""
        with open(os.path.join(prefix, "nginx.conf"), "w") as f:
            f.write(conf)
        self.nginx = self.start("nginx", ["nginx", "-p", prefix + "/", "-e", prefix + "/error.log",
                                          "-c", prefix + "/nginx.conf"])
        wait_until(lambda: request(self.backend_port, "GET", "/soap/0.5k.xml")[0] == 200, 10, "nginx")
        wait_until(lambda: request(self.proxy_port, "GET", "/soap/0.5k.xml")[0] == 200, 10, "nginx proxy")

    def bus_env(self, journal, db):
        base = f"http://127.0.0.1:{self.backend_port}/soap"
        return dict(os.environ, BENCH_SOAP_URL=f"{base}/0.5k.xml", BENCH_SOAP_URL_10K=f"{base}/10k.xml",
                    BENCH_SOAP_URL_100K=f"{base}/100k.xml", BENCH_JOURNAL=journal, BENCH_DB=db,
                    BENCH_KEYS=self.path("keys.db"), BENCH_AUDIT=self.path("audit.db"))

    def create_db(self, file):
        subprocess.run(["sqlite3", file, "CREATE TABLE posizioni (codice_fiscale TEXT NOT NULL, "
                        "anno INTEGER NOT NULL, tributo TEXT NOT NULL, importo REAL NOT NULL, "
                        "scadenza TEXT NOT NULL, stato TEXT NOT NULL);"], check=True)

    def start_bus(self, name="bus", config=None, journal=None):
        self.bus_port = free_port()
        self.journal = journal or self.path(f"{name}-journal.db")
        if not os.path.exists(self.path("archivio.db")):
            self.create_db(self.path("archivio.db"))
        env = self.bus_env(self.journal, self.path("archivio.db"))
        # Every call to the bus carries this API key; /metrics needs the admin key.
        self.bus_key = subprocess.run(
            [self.args.bin, "key", "create", "--client", "bench", "--tenant", "*", "--service", "*",
             "--config", config or os.path.join(CONF, "bus.yaml")],
            env=env, check=True, capture_output=True, text=True).stdout.strip()
        self.bus_admin_key = subprocess.run(
            [self.args.bin, "key", "create", "--client", "bench-ops", "--admin",
             "--config", config or os.path.join(CONF, "bus.yaml")],
            env=env, check=True, capture_output=True, text=True).stdout.strip()
        started = time.monotonic()
        bus = self.start(name, [self.args.bin, "serve", "--config", config or os.path.join(CONF, "bus.yaml"),
                                "--listen", f"127.0.0.1:{self.bus_port}"], env=env)
        wait_until(lambda: bus.check_alive() or ready(self.bus_port), 30, name)
        bus.start_ms = (time.monotonic() - started) * 1000
        return bus

    def start_node_red(self):
        self.node_red_port = free_port()
        user_dir = self.path("node-red")
        os.makedirs(user_dir)
        env = dict(os.environ, BENCH_NODE_RED_PORT=str(self.node_red_port),
                   BENCH_SOAP_BASE=f"http://127.0.0.1:{self.backend_port}", NODE_ENV="production")
        red = os.path.join(NODE_RED_DIR, "node_modules", "node-red", "red.js")
        self.node_red = self.start("node-red", ["node", red, "--settings", os.path.join(NODE_RED_DIR, "settings.js"),
                                                "--userDir", user_dir], env=env)

        def flow_answers():
            self.node_red.check_alive()
            return request(self.node_red_port, "POST", "/posizioni/0.5k", b"{}",
                           {"Content-Type": "application/json"})[0] in (200, 500, 502)
        wait_until(flow_answers, 60, "node-red", interval=0.2)

    def targets(self, size):
        """Per system: (port, path, body file, content type, SOAPAction, pids)."""
        p = self.payloads[size]
        return {
            "direct": (self.backend_port, f"/soap/{size}.xml", p["soap"], "text/xml; charset=utf-8",
                       SOAP_ACTION, self.nginx.pids()),
            "nginx_proxy": (self.proxy_port, f"/soap/{size}.xml", p["soap"], "text/xml; charset=utf-8",
                            SOAP_ACTION, self.nginx.pids()),
            "bus": (self.bus_port, f"/api/v1/bari/{BUS_SERVICE[size]}", p["json"], "application/json",
                    None, [self.bus.pid]),
            "nodered": (self.node_red_port, f"/posizioni/{size}", p["json"], "application/json", None,
                        [self.node_red.pid]),
        }

    def check_answers(self):
        """Every system answers every size correctly before anything is measured."""
        for size, _ in SIZES:
            p = self.payloads[size]
            for system, (port, path, body_file, ctype, action, _) in self.targets(size).items():
                headers = {"Content-Type": ctype}
                if action:
                    headers["SOAPAction"] = action
                if port == getattr(self, "bus_port", None):
                    headers["Authorization"] = "Bearer " + self.bus_key
                with open(body_file, "rb") as f:
                    status, answer = request(port, "POST", path, f.read(), headers)
                if status != 200:
                    raise RuntimeError(f"{system} {size}: HTTP {status}: {answer[:500]!r}")
                if system in ("direct", "nginx_proxy"):
                    ok = answer == p["reply"]
                else:
                    ok = json.loads(answer) == p["expected"]
                if not ok:
                    raise RuntimeError(f"{system} {size}: unexpected answer {answer[:500]!r}")
        with open(self.payloads["0.5k"]["json"], "rb") as f:
            status, answer = request(self.bus_port, "POST", f"/api/v1/bari/{BUS_CALL_ONLY}", f.read(),
                                     {"Content-Type": "application/json", "Accept": "application/xml",
                                      "Authorization": "Bearer " + self.bus_key})
        if status != 200 or b"AggiornaPosizioniResponse" not in answer:
            raise RuntimeError(f"bus call only: HTTP {status}: {answer[:500]!r}")
        log("checked: direct, nginx_proxy, bus and nodered answer every size as expected")

    # --- B1, B5 -----------------------------------------------------------------------------

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

    # --- B2 ---------------------------------------------------------------------------------

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

    # --- B3 ---------------------------------------------------------------------------------

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

    # --- B4 ---------------------------------------------------------------------------------

    def b4(self):
        folder = self.path("b4")
        tenants = os.path.join(folder, "tenants")
        os.makedirs(tenants)
        count = write_tenants(tenants)
        with open(os.path.join(CONF, "bus.yaml")) as f:
            text = f.read()
        text = re.sub(r"^paths:\n(  .*\n)+", "paths:\n"
                      f"  tenants: {tenants}\n  profiles: {CONF}/profiles\n"
                      f"  mappings: {CONF}/mappings\n  schemas: {ROOT}/schemas\n", text, flags=re.M)
        config = os.path.join(folder, "bus.yaml")
        with open(config, "w") as f:
            f.write(text)
        out = self.results.setdefault("b4", {"tenants": count})
        starts, idle = [], []
        for i in range(3):
            bus = self.start_bus(f"b4-bus-{i}", config=config)
            starts.append(bus.start_ms)
            time.sleep(2)
            idle.append(status_kb(bus.pid, "VmRSS") / 1024)
            if i < 2:
                self.stop(bus)
        reloads = []
        for _ in range(5):
            reloads.append(self.reload_ms(bus))
        out.update(start_ms=round(statistics.median(starts), 1), start_ms_runs=[round(s, 1) for s in starts],
                   idle_rss_mb=round(statistics.median(idle), 1),
                   reload_ms=round(statistics.median(reloads), 1), reload_ms_runs=[round(r, 1) for r in reloads],
                   rss_after_reloads_mb=round(status_kb(bus.pid, "VmRSS") / 1024, 1))
        self.stop(bus)
        log(f"  B4: {count} tenants, start {out['start_ms']} ms, idle RSS {out['idle_rss_mb']} MB, "
            f"reload {out['reload_ms']} ms")

    def reload_ms(self, bus):
        """SIGHUP to the new generation serving, seen in /metrics (polled every 2 ms)."""
        def generation():
            _, text = request(self.bus_port, "GET", "/metrics",
                              headers={"Authorization": "Bearer " + self.bus_admin_key})
            return float(re.search(rb"^egov_config_generation\S* (\S+)", text, re.M).group(1))
        before = generation()
        started = time.monotonic()
        bus.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: generation() > before, 30, "reload")
        return (time.monotonic() - started) * 1000

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
        for service in [s for s in self.services if s is not self.nginx]:
            self.stop(service)


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


def slug(name):
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def write_tenants(folder):
    """One tenant file per municipality of the Città Metropolitana, on the benchmark profile."""
    import csv
    count = 0
    with open(MUNICIPALITIES, newline="", encoding="utf-8") as f:
        for m in csv.DictReader(f):
            with open(os.path.join(CONF, "tenants", "072006-bari.yaml")) as t:
                template = t.read()
            header = (f'tenant: {{ istat: "{m["istat_code"]}", slug: {slug(m["name"])}, '
                      f'name: "{m["name"]}" }}\n')
            body = re.sub(r"^tenant: .*\n", header, template, flags=re.M)
            body = body.replace('ente: "C_A662"', f'ente: "C_{m["cadastral_code"]}"')
            with open(os.path.join(folder, f'{m["istat_code"]}-{slug(m["name"])}.yaml'), "w") as out:
                out.write(body)
            count += 1
    return count


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
                           "quick": args.quick, "only": args.only}}
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
