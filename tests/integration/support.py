"""Real peers for the integration tests: the bus as a process, a recording back-end, a
throwaway PostgreSQL server and nginx, all on loopback with ephemeral ports and temporary
folders. Nothing here asserts time; callers wait for conditions with bounded loops."""
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


# port -> the API key a Bus made for itself; request() sends it unless given another
# Authorization header.
KEYS = {}


def make_key(binary, config, env=None, client="it", tenants=("*",)):
    """A new API key in the key store of `config` (`egovbus key create`)."""
    argv = [binary, "key", "create", "--client", client, "--config", config]
    for tenant in tenants:
        argv += ["--tenant", tenant]
    argv += ["--service", "*"]
    made = subprocess.run(argv, capture_output=True, text=True, env=env)
    if made.returncode != 0:
        raise SystemExit(f"egovbus key create failed ({made.returncode}): {made.stderr}")
    return made.stdout.strip()


def request(port, method, path, body=None, headers=None, timeout=15):
    """(status, headers dict with lower-case names, parsed JSON body or raw text)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = dict(headers or {})
    if port in KEYS and not any(k.lower() == "authorization" for k in h):
        h["Authorization"] = "Bearer " + KEYS[port]
    if body is not None:
        h.setdefault("Content-Type", "application/json")
        body = json.dumps(body) if not isinstance(body, (str, bytes)) else body
    c.request(method, path, body, h)
    r = c.getresponse()
    raw = r.read()
    c.close()
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        data = raw.decode("utf-8", "replace")
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def wait_until(condition, attempts=3000, pause=0.02):
    for _ in range(attempts):
        if condition():
            return True
        time.sleep(pause)
    return condition()


class Bus:
    """`egovbus serve` as a child process."""

    def __init__(self, binary, config, log_path, env=None):
        self.binary, self.config, self.log_path = binary, config, log_path
        self.env = dict(os.environ, **(env or {}))
        self.port = free_port()
        self.process = None
        self.key = None  # an API key for every tenant, made at the first start

    def start(self):
        if self.key is None:
            self.key = make_key(self.binary, self.config, self.env)
        KEYS[self.port] = self.key
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [self.binary, "serve", "--config", self.config, "--listen", f"127.0.0.1:{self.port}"],
            stdout=log, stderr=log, env=self.env)
        log.close()
        ok = wait_until(self._ready, attempts=1500)
        if not ok:
            raise SystemExit(f"bus did not become ready; see {self.log_path}")
        return self

    def _ready(self):
        if self.process.poll() is not None:
            raise SystemExit(f"bus exited with {self.process.returncode}; see {self.log_path}")
        try:
            return request(self.port, "GET", "/readyz", timeout=2)[0] == 200
        except OSError:
            return False

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # peers killed mid-request on purpose: resets are expected


class Backend:
    """A back-end that can go down and come back on the same port. `handle(handler, body)`
    is called per request and returns (status, JSON object)."""

    def __init__(self, handle):
        self.port = free_port()
        self.handle = handle
        self.server = None
        self.lock = threading.Lock()
        self.connections = set()

    def start(self):
        backend = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                with backend.lock:
                    backend.connections.add(self.connection)

            def finish(self):
                with backend.lock:
                    backend.connections.discard(self.connection)
                super().finish()

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, answer = backend.handle(self, body)
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.server = QuietServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        """Down as a crashed server is: no listener, and kept-alive connections cut."""
        self.server.shutdown()
        self.server.server_close()
        with self.lock:
            for connection in list(self.connections):
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"


def _as_server_user():
    """initdb and postgres refuse root: run them as the `postgres` user then."""
    if os.geteuid() != 0:
        return None, None
    user = pwd.getpwnam("postgres")

    def demote():
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
    return demote, user


class Postgres:
    """A fresh PostgreSQL cluster in a temporary folder, on 127.0.0.1 and a free port, with
    one role (password over TCP) owning one database."""
    USER, PASSWORD, DATABASE = "egov", "journal-pw", "egov"

    def __init__(self):
        self.bin = os.environ.get("EGOV_PG_BINDIR", "/usr/lib/postgresql/15/bin")
        self.folder = tempfile.mkdtemp(prefix="egovbus-it-pg-")
        self.port = free_port()
        self.demote, user = _as_server_user()
        if user:
            os.chown(self.folder, user.pw_uid, user.pw_gid)

    def _run(self, *argv):
        log = open(os.path.join(self.folder, "tools.log"), "ab")
        code = subprocess.call(list(argv), stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                               cwd=self.folder, preexec_fn=self.demote)
        log.close()
        if code != 0:
            with open(os.path.join(self.folder, "tools.log"), errors="replace") as f:
                raise SystemExit(f"{argv[0]} failed ({code}):\n{f.read()[-3000:]}")

    def start(self):
        data = os.path.join(self.folder, "data")
        if not os.path.exists(data):
            self._run(f"{self.bin}/initdb", "-D", data, "-U", "postgres", "--auth-local=trust",
                      "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync")
        self._run(f"{self.bin}/pg_ctl", "-D", data, "-l", os.path.join(self.folder, "server.log"),
                  "-w", "-t", "60", "-o",
                  f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off",
                  "start")
        return self

    def create(self):
        psql = [f"{self.bin}/psql", "-h", self.folder, "-p", str(self.port), "-U", "postgres",
                "-v", "ON_ERROR_STOP=1", "-q"]
        self._run(*psql, "-c", f"CREATE ROLE {self.USER} LOGIN PASSWORD '{self.PASSWORD}'",
                  "-c", f"CREATE DATABASE {self.DATABASE} OWNER {self.USER}")
        return self

    def dsn(self):
        return (f"host=127.0.0.1 port={self.port} user={self.USER} password={self.PASSWORD} "
                f"dbname={self.DATABASE}")

    def stop(self):
        self._run(f"{self.bin}/pg_ctl", "-D", os.path.join(self.folder, "data"), "-m", "fast",
                  "-w", "-t", "60", "stop")

    def remove(self):
        try:
            self.stop()
        except SystemExit:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


NGINX_CONF = """worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 512; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  upstream egovbus {{
{servers}
    keepalive 16;
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://egovbus;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_connect_timeout 2s;
      proxy_read_timeout 30s;
      # An instance that is down (connection refused) or draining (503) is skipped. A POST
      # that reached an instance which then died is not resent: the client gets 502 and
      # retries with its Idempotency-Key.
      proxy_next_upstream error timeout http_503;
      proxy_next_upstream_tries 2;
    }}
  }}
}}
"""


class Nginx:
    """Debian's nginx as a load balancer in front of bus instances, config in a temp folder."""

    def __init__(self, upstream_ports):
        self.binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(self.binary):
            raise SystemExit("nginx not found (apt-get install nginx)")
        self.folder = tempfile.mkdtemp(prefix="egovbus-it-nginx-")
        os.chmod(self.folder, 0o755)
        self.port = free_port()
        servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;"
                            for p in upstream_ports)
        write(f"{self.folder}/nginx.conf",
              NGINX_CONF.format(dir=self.folder, servers=servers, port=self.port))
        self.process = None

    def start(self):
        log = open(f"{self.folder}/stderr.log", "ab")
        self.process = subprocess.Popen(
            [self.binary, "-p", self.folder, "-e", f"{self.folder}/error.log",
             "-c", f"{self.folder}/nginx.conf"], stdout=log, stderr=log)
        log.close()

        def ready():
            if self.process.poll() is not None:
                with open(f"{self.folder}/error.log", errors="replace") as f:
                    raise SystemExit(f"nginx exited: {f.read()[-2000:]}")
            try:
                return request(self.port, "GET", "/healthz", timeout=2)[0] == 200
            except OSError:
                return False
        if not wait_until(ready, attempts=1500):
            raise SystemExit("nginx did not become ready")
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
