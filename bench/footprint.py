"""B4: start-up time, idle RSS and reload time with the 41 municipalities' tenants loaded."""
import csv
import os
import re
import signal
import statistics
import time
import unicodedata

from harness import CONF, MUNICIPALITIES, ROOT, log, request, status_kb, wait_until



class Footprint:
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


def slug(name):
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def write_tenants(folder):
    """One tenant file per municipality of the Città Metropolitana, on the benchmark profile."""
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
