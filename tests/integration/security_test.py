#!/usr/bin/env python3
"""Security over real sockets and the real command line:
- `egovbus key create|list|revoke`: a key is printed once; 401 without or with a wrong key,
  403 out of scope (an unknown tenant alike), a revoked key refused after SIGHUP;
- the audit trail: `egovbus audit verify` passes, then fails naming the record after each
  tampering done with sqlite3 (modify, delete, reorder, cut the tail);
- the bus's log holds no key and no whole fiscal code;
- mutual TLS: certificates made here with the openssl CLI; a mapped client certificate is
  served, none / another CA's / TLS 1.1 are refused at the handshake.
Loopback only; nothing asserted about time.

Usage: security_test.py path/to/egovbus
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

BUS = os.path.abspath(sys.argv[1])
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CF = "RSSMRA80A01A662A"
PROFILE = ("routes:\n"
           "  - service: tributi.posizioni\n    steps: [ { call: echo } ]\n"
           "  - service: anagrafe.certificato\n    steps: [ { call: echo } ]\n")
passed, failed = 0, 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args):
    return subprocess.run([BUS, *args], capture_output=True, text=True)


def make_config(work, extra=""):
    write(f"{work}/conf/bus.yaml",
          f"listen: 127.0.0.1:0\npaths: {{ mappings: {ROOT}/mappings, schemas: {ROOT}/schemas }}\n"
          "clients:\n  molfetta-app: { tenants: [molfetta], services: [\"tributi.*\"] }\n" + extra)
    write(f"{work}/conf/profiles/p.yaml", PROFILE)
    for istat, slug in (("072006", "bari"), ("072029", "molfetta")):
        write(f"{work}/conf/tenants/{slug}.yaml",
              f'tenant: {{ istat: "{istat}", slug: {slug}, name: X }}\nprofile: p\n'
              "endpoints: { echo: { type: memory } }\n")
    return f"{work}/conf/bus.yaml"


def start(config, port, log, ready=None):
    bus = subprocess.Popen([BUS, "serve", "--config", config, "--listen", f"127.0.0.1:{port}"],
                           stdout=log, stderr=log)
    for _ in range(2000):
        if bus.poll() is not None:
            break
        try:
            if (ready or (lambda: request(port, "/readyz")[0] == 200))():
                return bus
        except (OSError, ssl.SSLError):
            time.sleep(0.01)
    raise SystemExit("the bus did not start")


def request(port, path, key=None, context=None):
    if context:
        c = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
    else:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Authorization": "Bearer " + key} if key else {}
    c.request("GET", path, None, headers)
    r = c.getresponse()
    return r.status, r.read().decode()


def keys_and_audit():
    work = tempfile.mkdtemp(prefix="egovbus-security-")
    config = make_config(work, "audit: { path: ../var/audit.db, services: [\"anagrafe.*\"] }\n")
    created = cli("key", "create", "--client", "portal", "--tenant", "bari", "--service", "*",
                  "--config", config)
    key = created.stdout.strip()
    check("key create prints the key alone", created.returncode == 0 and
          key.startswith("egk_") and len(key) == 81 and "\n" not in key, created.stderr)
    check("key create says it is shown once", "shown once" in created.stderr)
    declared = cli("key", "create", "--client", "molfetta-app", "--config", config).stdout.strip()
    undeclared = cli("key", "create", "--client", "nobody", "--config", config)
    check("key create refuses an undeclared client without scope", undeclared.returncode == 2,
          undeclared.stderr)
    unknown = cli("key", "create", "--client", "x", "--tenant", "roma", "--service", "*",
                  "--config", config)
    check("key create refuses an unknown tenant", unknown.returncode == 1 and "roma" in unknown.stderr)
    listed = cli("key", "list", "--config", config)
    check("key list shows ids, never keys", listed.returncode == 0 and key[4:16] in listed.stdout
          and key[17:] not in listed.stdout, listed.stdout)

    port = free_port()
    log_path = f"{work}/bus.log"
    log = open(log_path, "ab")
    bus = start(config, port, log)
    base = f"/api/v1/bari/tributi/posizioni?codice_fiscale={CF}"
    check("no key: 401", request(port, base)[0] == 401)
    check("wrong key: 401", request(port, base, key[:-1] + ("0" if key[-1] != "0" else "1"))[0] == 401)
    check("key: 200", request(port, base, key)[0] == 200)
    out_of_scope = request(port, f"/api/v1/molfetta/tributi/posizioni?codice_fiscale={CF}", key)
    unknown_tenant = request(port, "/api/v1/roma/tributi/posizioni", key)
    check("out of scope: 403", out_of_scope[0] == 403)
    check("unknown tenant: 403 with the same detail", unknown_tenant[0] == 403 and
          json.loads(unknown_tenant[1])["detail"] == json.loads(out_of_scope[1])["detail"])
    check("declared client: its tenant", request(port, "/api/v1/molfetta/tributi/posizioni", declared)[0] == 200)
    check("declared client: not its services",
          request(port, "/api/v1/molfetta/anagrafe/certificato", declared)[0] == 403)
    request(port, "/api/v1/bari/anagrafe/certificato", key)  # audited by audit.services
    request(port, base, key)  # a third audited call, so a record can be removed from the middle
    check("metrics need an admin key", request(port, "/metrics", key)[0] == 403)

    revoked = cli("key", "revoke", key[4:16], "--config", config)
    check("key revoke", revoked.returncode == 0, revoked.stderr)
    bus.send_signal(signal.SIGHUP)
    refused = False
    for _ in range(2000):
        if request(port, base, key)[0] == 401:
            refused = True
            break
        time.sleep(0.01)
    check("a revoked key is refused after SIGHUP", refused)
    bus.send_signal(signal.SIGTERM)
    bus.wait()
    log.close()

    with open(log_path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    check("log: refusals are logged", '"status":401' in text and '"status":403' in text)
    check("log: no key", key[17:] not in text and declared[17:] not in text)
    check("log: no whole fiscal code", CF not in text)

    audit = f"{work}/var/audit.db"
    verified = cli("audit", "verify", "--config", config)
    # Three or more (two calls with a fiscal code, one of a service in audit.services): calls
    # made while the revocation was being reloaded are audited too.
    records = re.search(r": ok: (\d+) records, head (\d+)", verified.stdout)
    check("audit verify: intact", verified.returncode == 0 and records and int(records.group(1)) >= 3,
          verified.stdout + verified.stderr)
    last = int(records.group(2)) if records else 0
    with open(audit, "rb") as f:
        check("audit: no fiscal code in the trail", CF.encode() not in f.read())

    def tampered(name, sql, expect):
        shutil.copy(audit, f"{work}/var/audit.orig")
        subprocess.run(["sqlite3", audit, "DROP TRIGGER IF EXISTS audit_records_no_update;"
                        "DROP TRIGGER IF EXISTS audit_records_no_delete;" + sql], check=True)
        result = cli("audit", "verify", "--config", config)
        check(f"audit verify finds {name}", result.returncode == 1 and expect in result.stdout,
              result.stdout + result.stderr)
        shutil.copy(f"{work}/var/audit.orig", audit)

    tampered("a modified record", "UPDATE audit_records SET client = 'x' WHERE seq = 2;", "record 2:")
    tampered("a deleted record", "DELETE FROM audit_records WHERE seq = 2;", "record 2:")
    tampered("reordered records",
             "UPDATE audit_records SET seq = 100 WHERE seq = 1; UPDATE audit_records SET seq = 1 WHERE seq = 2;"
             "UPDATE audit_records SET seq = 2 WHERE seq = 100;", "record 1:")
    tampered("a cut tail", f"DELETE FROM audit_records WHERE seq = {last};", f"record {last}:")
    check("audit verify: intact again", cli("audit", "verify", "--config", config).returncode == 0)
    shutil.rmtree(work, ignore_errors=True)


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(d):
    for ca in ("ca", "other-ca"):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{ca}.key", "-out",
                f"{ca}.pem", "-days", "2", "-subj", f"/CN=test {ca}", cwd=d)
    write(f"{d}/server.ext", "subjectAltName=IP:127.0.0.1\n")
    leaves = (("server", "ca", "/CN=127.0.0.1", "server.ext"),
              ("client", "ca", "/O=Comune di Bari/CN=portal-mtls", None),
              ("stranger", "other-ca", "/O=Comune di Bari/CN=portal-mtls", None))
    for name, ca, subject, ext in leaves:
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
                f"{name}.csr", "-subj", subject, cwd=d)
        args = ["x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
                "-CAcreateserial", "-out", f"{name}.pem", "-days", "2"]
        if ext:
            args += ["-extfile", ext]
        openssl(*args, cwd=d)


def tls_context(d, cert=None, maximum=None):
    context = ssl.create_default_context(cafile=f"{d}/ca.pem")
    if cert:
        context.load_cert_chain(f"{d}/{cert}.pem", f"{d}/{cert}.key")
    if maximum:
        context.maximum_version = maximum
    return context


def refused(port, context):
    try:
        status, _ = request(port, "/api/v1/bari/tributi/posizioni", context=context)
        return status == 401  # TLS 1.3 reports a missing certificate after the handshake
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
        return True


def mutual_tls():
    work = tempfile.mkdtemp(prefix="egovbus-tls-")
    certs = f"{work}/certs"
    os.makedirs(certs)
    make_certificates(certs)
    config = make_config(work)
    with open(config, encoding="utf-8") as f:
        text = f.read()
    text = text.replace("listen: 127.0.0.1:0\n",
                        "listen:\n  address: 127.0.0.1:0\n  tls: { cert: ../certs/server.pem, "
                        "key: ../certs/server.key, client_ca: ../certs/ca.pem }\n")
    text += ("  portal-mtls: { tenants: [bari], services: [\"*\"],\n"
             "                 certificates: [ { subject: \"CN=portal-mtls,O=Comune di Bari\" } ] }\n")
    write(config, text)
    port = free_port()
    log = open(f"{work}/bus.log", "ab")
    good = tls_context(certs, "client")
    bus = start(config, port, log, lambda: request(port, "/readyz", context=good)[0] == 200)
    status, body = request(port, f"/api/v1/bari/tributi/posizioni?codice_fiscale={CF}", context=good)
    check("mTLS: a mapped client certificate is served", status == 200, body)
    check("mTLS: its scope applies",
          request(port, "/api/v1/molfetta/tributi/posizioni", context=good)[0] == 403)
    check("mTLS: no client certificate is refused", refused(port, tls_context(certs)))
    check("mTLS: a certificate of another CA is refused", refused(port, tls_context(certs, "stranger")))
    check("mTLS: TLS 1.2 works", request(port, "/healthz", context=tls_context(
        certs, "client", ssl.TLSVersion.TLSv1_2))[0] == 200)
    # TLS 1.1: the client is allowed to offer it (security level 0), the bus must refuse.
    old = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_1",
                          "-cipher", "DEFAULT:@SECLEVEL=0", "-cert", f"{certs}/client.pem",
                          "-key", f"{certs}/client.key", "-CAfile", f"{certs}/ca.pem"],
                         input="", capture_output=True, text=True, timeout=30)
    check("mTLS: TLS 1.1 is refused", old.returncode != 0 and
          "alert protocol version" in (old.stdout + old.stderr), old.stdout + old.stderr)
    plain = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2",
                            "-cert", f"{certs}/client.pem", "-key", f"{certs}/client.key",
                            "-CAfile", f"{certs}/ca.pem"],
                           input="", capture_output=True, text=True, timeout=30)
    check("mTLS: the same s_client with TLS 1.2 connects", "Verify return code: 0" in plain.stdout,
          plain.stdout + plain.stderr)
    bus.send_signal(signal.SIGTERM)
    bus.wait()
    shutil.rmtree(work, ignore_errors=True)


keys_and_audit()
mutual_tls()
print(f"security: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
