#!/usr/bin/env python3
"""The import job of the csv-export municipalities, as their software would run it (here every
half second instead of nightly): reads the files the bus dropped into DATA_DIR/{istat}/import/
(prenotazioni-*.csv: PRENOTA / ANNULLA rows; domande-*.csv: welfare applications; ricevute-*.csv:
pagoPA receipts), applies them (a slot already booked is refused: the booking is exported as
RIFIUTATA; a receipt with esito OK marks its position PAGATO, once per id_ricevuta), moves each file to
import/processed/, and publishes new exports by atomic rename, which the bus's csv lookups
pick up on their next call.

Usage: csv_backend.py DATA_DIR"""
import csv
import json
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import write_exports  # noqa: E402

STATE = {}


def municipality(folder):
    if folder not in STATE:
        STATE[folder] = json.loads((folder / "data.json").read_text(encoding="utf-8"))
    return STATE[folder]


def apply_booking(data, row):
    bookings = data["bookings"]
    if row["operazione"] == "PRENOTA":
        if any(b.get("request") == row["pratica"] for b in bookings):
            return  # the bus delivers at least once: a file seen again changes nothing
        slot_ids = {s["id"] for s in data["slots"]}
        taken = any(b["slot"] == row["id_slot"] and b["status"] == "confirmed" for b in bookings)
        if row["id_slot"] not in slot_ids:
            return
        bookings.append({"id": f"PR-{data['istat']}-{len(bookings) + 1:04d}", "slot": row["id_slot"],
                         "fiscal_code": row["codice_fiscale"], "request": row["pratica"],
                         "status": "rejected" if taken else "confirmed"})
    elif row["operazione"] == "ANNULLA":
        for b in bookings:
            if b["id"] == row["id_prenotazione"] and b["fiscal_code"] == row["codice_fiscale"] \
                    and b["status"] == "confirmed":
                b["status"] = "cancelled"


def apply_application(data, row):
    if any(a["id"] == row["pratica"] for a in data["applications"]):
        return
    data["applications"].append({"id": row["pratica"], "fiscal_code": row["codice_fiscale"],
                                 "desk": row["sportello"].lower().replace("_", "-"),
                                 "submitted": date.today().isoformat(), "status": "received"})


def apply_receipt(data, row):
    receipts = data.setdefault("receipts", [])
    if any(r["id_ricevuta"] == row["id_ricevuta"] for r in receipts):
        return  # delivered again: registered once
    receipts.append({k: row[k] for k in ("id_ricevuta", "numero", "ruolo", "importo", "data_pagamento",
                                         "psp", "esito")})


def run_once(data_dir):
    # In the order they arrived: the first request for a slot gets it.
    for dropped in sorted(Path(data_dir).glob("*/import/*.csv"), key=lambda p: (p.stat().st_mtime_ns, p.name)):
        folder = dropped.parent.parent
        data = municipality(folder)
        with open(dropped, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f, delimiter=";"))
        for row in rows:
            if dropped.name.startswith("prenotazioni-"):
                apply_booking(data, row)
            elif dropped.name.startswith("domande-"):
                apply_application(data, row)
            elif dropped.name.startswith("ricevute-"):
                apply_receipt(data, row)
        write_exports(data, folder / "export")
        (dropped.parent / "processed").mkdir(exist_ok=True)
        dropped.rename(dropped.parent / "processed" / dropped.name)
        print(f"csv-backend: imported {dropped.name} for {data['name']}", flush=True)


if __name__ == "__main__":
    while True:
        run_once(sys.argv[1])
        time.sleep(0.5)
