"""The benchmark's harness (bench.py, profile.py): where things are, the payloads, starting and
stopping the systems under test on loopback, and driving them with wrk."""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time


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


def core_ticks():
    """{"cpu0": [user, nice, system, idle, iowait, irq, softirq, ...], ...}: /proc/stat's
    per-core counters so far."""
    with open("/proc/stat") as f:
        return {row[0]: [int(v) for v in row[1:]] for row in (line.split() for line in f)
                if row[0].startswith("cpu") and row[0] != "cpu"}


def cores_idle_pct(before, after):
    """Each core's idle share (idle + iowait) between two core_ticks(), in %: a system under
    test that leaves a core idle while it is driven flat out is held back by something other
    than the CPU (BENCHMARKS, thirteenth pass)."""
    shares = {}
    for core, ticks in after.items():
        delta = [a - b for a, b in zip(ticks, before.get(core, ticks))]
        total = sum(delta[:8])  # steal included; guest time is already in user
        shares[core] = round(100 * (delta[3] + delta[4]) / total, 1) if total else None
    return shares


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


# --- load generation and the systems under test -----------------------------------------------

class Harness:
    """One run's temp folder, the services it started, the wrk runs it recorded. The benchmarks
    (mapped_calls, durable_accept, csv_batch, footprint) are mixins of bench.Bench on top of it."""

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
        cpu_before, cores_before = cpu_seconds(pids), core_ticks()
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=duration + 60)
        cpu_after, cores_after = cpu_seconds(pids), core_ticks()
        line = next((l for l in done.stdout.splitlines() if l.startswith("BENCH_JSON ")), None)
        if done.returncode != 0 or line is None:
            raise RuntimeError(f"wrk {label}: exit {done.returncode}\n{done.stdout}\n{done.stderr}")
        result = json.loads(line[len("BENCH_JSON "):])
        result["label"] = label
        result["connections"] = conns
        result["load1_before"] = round(load1, 2)
        result["cores_idle_pct"] = cores_idle_pct(cores_before, cores_after)
        if pids and result["requests"]:
            result["server_cpu_ms_per_req"] = round((cpu_after - cpu_before) * 1000 / result["requests"], 4)
        failed = sum(result["errors"].values())
        result["ok"] = failed == 0 and result["requests"] > 0
        if not result["ok"]:
            log(f"  {label}: {failed} errors {result['errors']}")
        if record:
            self.runs.append(result)
            idle = ", ".join(f"{core} {pct}%" for core, pct in result["cores_idle_pct"].items())
            log(f"  {label}: {result['rps']:.0f} req/s, p50 {result['latency_ms']['p50']:.2f} ms, "
                f"p99 {result['latency_ms']['p99']:.2f} ms (load {load1:.2f}; idle {idle})")
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
        """Two nginx instances on loopback: the SOAP back-end every system calls, and the
        proxy that does no work in front of it, each with its own workers and CPU time. Both
        run a worker per core by default, as Debian's own nginx.conf (BENCHMARKS, thirteenth
        pass): until that pass one instance of one worker was both, and the proxy ran on one
        core with the other 70% idle while the bus used two; a proxy of two workers in front
        of a back-end of one left both cores 13% idle, held by the back-end."""
        self.backend_port, self.proxy_port = free_port(), free_port()
        backend = f"""
  # The SOAP back-end: one fixed reply per size. The static module refuses POST (405), so
  # the 405 is turned into the file itself: the usual way to make nginx answer a POST
  # with a fixed body.
  server {{
    listen 127.0.0.1:{self.backend_port} backlog=4096;
    location /soap/ {{
      root {self.path("nginx", "www")};
      types {{ }}
      default_type "text/xml; charset=utf-8";
      error_page 405 =200 $uri;
    }}
  }}"""
        proxy = f"""
  # A proxy that does no work: proxy_pass to the back-end, connections kept alive.
  upstream soap_backend {{ server 127.0.0.1:{self.backend_port}; keepalive 512; }}
  server {{
    listen 127.0.0.1:{self.proxy_port} backlog=4096;
    location / {{
      proxy_pass http://soap_backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}"""
        self.nginx = self.start_nginx_instance("nginx", getattr(self.args, "backend_workers", "auto"),
                                                 backend)
        wait_until(lambda: request(self.backend_port, "GET", "/soap/0.5k.xml")[0] == 200, 10, "nginx")
        self.nginx_proxy = self.start_nginx_instance("nginx-proxy", getattr(self.args, "proxy_workers", "auto"),
                                                     proxy)
        wait_until(lambda: request(self.proxy_port, "GET", "/soap/0.5k.xml")[0] == 200, 10, "nginx proxy")

    def start_nginx_instance(self, name, workers, servers):
        prefix = self.path(name)
        for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.makedirs(os.path.join(prefix, "temp", d), exist_ok=True)
        conf = f"""
worker_processes {workers};
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
{servers}
}}
"""
        with open(os.path.join(prefix, "nginx.conf"), "w") as f:
            f.write(conf)
        return self.start(name, ["nginx", "-p", prefix + "/", "-e", prefix + "/error.log",
                                 "-c", prefix + "/nginx.conf"])

    def bus_env(self, journal, db):
        base = f"http://127.0.0.1:{self.backend_port}/soap"
        return dict(os.environ, BENCH_SOAP_URL=f"{base}/0.5k.xml", BENCH_SOAP_URL_10K=f"{base}/10k.xml",
                    BENCH_SOAP_URL_100K=f"{base}/100k.xml", BENCH_JOURNAL=journal, BENCH_DB=db,
                    BENCH_KEYS=self.path("keys.db"), BENCH_AUDIT=self.path("audit.db"))

    def create_db(self, file):
        subprocess.run(["sqlite3", file, "CREATE TABLE posizioni (codice_fiscale TEXT NOT NULL, "
                        "anno INTEGER NOT NULL, tributo TEXT NOT NULL, importo REAL NOT NULL, "
                        "scadenza TEXT NOT NULL, stato TEXT NOT NULL);"], check=True)

    def start_bus(self, name="bus", config=None, journal=None, wrapper=()):
        """A bus on a free port, its own journal and new API keys (self.bus_port, self.journal,
        self.bus_key); `wrapper` runs it under another command (B2's eatmydata)."""
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
        bus = self.start(name, [*wrapper, self.args.bin, "serve", "--config", config or os.path.join(CONF, "bus.yaml"),
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
                            SOAP_ACTION, self.nginx_proxy.pids()),
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
