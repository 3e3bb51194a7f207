#!/usr/bin/env python3
"""Generates the demo back-ends' data for the 41 municipalities, deterministically (fixed
seed per municipality), into OUT/{istat}/:

  data.json            what the SOAP vendor simulators and the ANPR simulator serve
  gestionale.sqlite    the database of a municipality on the db-sqlite profile
  export/*.csv         the nightly exports of a municipality on the csv-export profile
                       (';'-separated, Windows-1252, Italian dates and amounts)
  import/              the drop folder the bus writes into for csv-export municipalities

and OUT/pdnd/: each municipality's demo PDND client key pair ({istat}.pem, made once with
openssl, mode 600, never committed) and sim.json, the registry of clients, keys and purposes
the PDND/ANPR simulator (tools/pdnd-sim) is started with; it serves the citizens above.

Every municipality gets all three forms, so any of them can be bound to any profile.
Citizens have fiscal codes with valid check characters (computed here with the public
algorithm), Italian names and streets, tax positions with pagoPA notice numbers whose IUV
check digits are the mod-93 remainder, slots at the digital counter, bookings and welfare
applications.

Usage: generate.py OUT [--municipalities CSV]   (default: ../shared/data/comuni-...csv)
"""
import argparse
import csv
import json
import os
import random
import sqlite3
import subprocess
import tempfile
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_MUNICIPALITIES = HERE.parent.parent / "shared/data/comuni-citta-metropolitana-bari.csv"

SURNAMES = ["Rossi", "De Santis", "Lorusso", "Colella", "Amoruso", "Abbrescia", "Decaro",
            "Laforgia", "Lopez", "Cassano", "Di Cagno", "Morea", "Paparella", "Sciacovelli",
            "Tatò", "Volpe", "Zaccaro", "Bellomo", "Carbonara", "D'Alessandro", "Fanelli",
            "Giannuzzi", "Lacalamita", "Mastrolonardo", "Nitti", "Pastore", "Ranieri",
            "Scaringella", "Tricarico", "Vacca"]
MALE = ["Giuseppe", "Nicola", "Vito", "Michele", "Francesco", "Antonio", "Domenico", "Luca",
        "Savino", "Pasquale", "Onofrio", "Giovanni", "Marco", "Leonardo", "Cosimo"]
FEMALE = ["Maria", "Anna", "Rosa", "Angela", "Francesca", "Teresa", "Giulia", "Lucia",
          "Rosanna", "Isabella", "Chiara", "Antonella", "Grazia", "Vita", "Nunzia"]
STREETS = ["Via Roma", "Corso Vittorio Emanuele II", "Via Giuseppe Garibaldi", "Piazza Aldo Moro",
           "Via Sparano da Bari", "Via Dante Alighieri", "Corso Cavour", "Via Giacomo Matteotti",
           "Via Papa Giovanni XXIII", "Largo San Nicola", "Via Martiri della Libertà",
           "Via Alcide De Gasperi", "Via Principe Amedeo", "Via Santa Lucia", "Via XX Settembre"]
OFFICES = [("ANA", "Ufficio Anagrafe", ["Carta d'identità elettronica", "Cambio di residenza"]),
           ("TRI", "Ufficio Tributi", ["Informazioni TARI e IMU"]),
           ("SOC", "Segretariato Sociale", ["Colloquio servizi sociali"])]
SERVICES = ["tributi.posizioni", "pagamenti.avviso", "prenotazioni.disponibilita",
            "prenotazioni.prenota", "prenotazioni.annulla", "prenotazioni.elenco",
            "welfare.domanda", "welfare.stato", "anagrafe.residenza", "servizi.catalogo"]
DESKS = ["casa", "lavoro", "servizi-sociali"]
# The date the nightly exports were taken: decides which unpaid positions are overdue.
EXPORT_DATE = date(2026, 11, 25)
FIRST_SLOT_DAY = date(2026, 12, 1)

# --- codice fiscale (public algorithm: DM 23/12/1976) -----------------------------------
ODD = dict(zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
               [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18,
                20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23]))
MONTHS = "ABCDEHLMPRST"


def letters(text):
    return [c for c in text.upper().replace("À", "A").replace("Ò", "O") if "A" <= c <= "Z"]


def name_part(text, is_first_name):
    chars = letters(text)
    consonants = [c for c in chars if c not in "AEIOU"]
    vowels = [c for c in chars if c in "AEIOU"]
    if is_first_name and len(consonants) >= 4:
        return consonants[0] + consonants[2] + consonants[3]
    return "".join((consonants + vowels + ["X"] * 3)[:3])


def check_character(first15):
    total = 0
    for i, c in enumerate(first15):
        total += ODD[c] if i % 2 == 0 else (int(c) if c.isdigit() else ord(c) - ord("A"))
    return chr(ord("A") + total % 26)


def fiscal_code(surname, name, born, female, place_code):
    day = born.day + (40 if female else 0)
    body = (name_part(surname, False) + name_part(name, True) + f"{born.year % 100:02d}" +
            MONTHS[born.month - 1] + f"{day:02d}" + place_code)
    return body + check_character(body)


# --- pagoPA notice numbers: aux digit 3, segregation code, IUV with mod-93 check digits ----
# The SOAP vendors issue notice numbers themselves (numeroAvviso / NoticeCode); the database
# and CSV back-ends keep only the position number (the IUV base) and the bus builds the notice
# number from it with the tenant's aux digit and segregation code (params pagopa_aux_digit,
# pagopa_code; the segregation code of the demo is the last two digits of the ISTAT code).
# Demo transfer categories (pagoPA taxonomy form); check them against the official taxonomy
# before real use.
TAXONOMY = {"TARI": "9/0101108TS/", "IMU": "9/0101101IM/", "CANONE_UNICO": "9/0201133IM/"}
# The fees a citizen can ask a notice for (pagamenti.avviso with `service`): a fixed amount, or
# (amount_cents None) the amount the citizen gives. The back-ends that can create positions (the
# SQLite database, the two SOAP vendors) open one per fiscal code, fee and amount while unpaid.
FEES = [{"code": "CIE", "description": "Carta d'identita' elettronica - corrispettivo e diritti",
         "amount_cents": 2221, "taxonomy": "9/0101106SP/"},
        {"code": "MENSA", "description": "Mensa scolastica - ricarica del borsellino",
         "amount_cents": None, "taxonomy": "9/0201102SP/"}]


def segregation_code(istat):
    return f"{int(istat[3:]) % 100:02d}"


def iban(istat):
    """The municipality's demo treasury account: an Italian IBAN with valid check digits
    (ISO 13616 mod 97), fictitious bank and account."""
    bban = "X" + "03069" + "04010" + f"{int(istat):012d}"
    digits = "".join(str(int(c, 36)) for c in bban + "IT00")
    return f"IT{98 - int(digits) % 97:02d}{bban}"


def notice_number(segregation, sequence):
    base = f"{sequence:013d}"
    check = int("3" + segregation + base) % 93
    return "3" + segregation + base + f"{check:02d}"


def italian_amount(cents):
    euros, rest = divmod(cents, 100)
    return f"{euros:,}".replace(",", ".") + f",{rest:02d}"


def italian_date(iso):
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


# --- one municipality ----------------------------------------------------------------------
def municipality_data(row, all_rows):
    istat, name, cadastral = row["istat_code"], row["name"], row["cadastral_code"]
    rng = random.Random(int(istat))  # fixed seed: the same data on every run
    cap = row["cap"].split()[0]
    segregation = segregation_code(istat)
    people, seen = [], set()
    for n in range(24):
        female = rng.random() < 0.5
        surname, first = rng.choice(SURNAMES), rng.choice(FEMALE if female else MALE)
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 65))
        place = cadastral if rng.random() < 0.7 else rng.choice(all_rows)["cadastral_code"]
        cf = fiscal_code(surname, first, born, female, place)
        if cf in seen:
            continue
        seen.add(cf)
        moved_to = rng.choice(all_rows) if n % 8 == 7 else row  # some have moved away
        people.append({
            "fiscal_code": cf, "surname": surname, "name": first,
            "born": born.isoformat(), "sex": "F" if female else "M",
            "residence": {"istat": moved_to["istat_code"], "municipality": moved_to["name"],
                          "street": rng.choice(STREETS), "number": str(rng.randrange(1, 180)),
                          "postal_code": moved_to["cap"].split()[0]},
        })
    positions, sequence = [], int(istat) * 1000
    for person in people:
        for year in (2025, 2026):
            kinds = ["TARI"] + (["IMU"] if rng.random() < 0.4 else []) + \
                    (["CANONE_UNICO"] if rng.random() < 0.1 else [])
            for kind in kinds:
                sequence += 1
                cents = {"TARI": rng.randrange(9000, 48000), "IMU": rng.randrange(18000, 160000),
                         "CANONE_UNICO": rng.randrange(3000, 30000)}[kind]
                due = {"TARI": date(year, 7, 31), "IMU": date(year, 12, 16),
                       "CANONE_UNICO": date(year, 4, 30)}[kind]
                paid = due < EXPORT_DATE and rng.random() < 0.7
                status = "paid" if paid else ("overdue" if due < EXPORT_DATE else "unpaid")
                description = {"TARI": f"TARI {year} - tassa sui rifiuti, rata unica",
                               "IMU": f"IMU {year} - saldo, immobili diversi dall'abitazione principale",
                               "CANONE_UNICO": f"Canone unico patrimoniale {year} - occupazione suolo pubblico"}[kind]
                positions.append({
                    "id": f"{kind[:3]}{year}-{sequence:07d}", "fiscal_code": person["fiscal_code"],
                    "tax": kind, "year": year, "description": description, "amount_cents": cents,
                    "due_date": due.isoformat(), "status": status,
                    "number": sequence, "notice_number": notice_number(segregation, sequence),
                })
    offices = [{"code": code, "name": office,
                "address": f"{rng.choice(STREETS)} {rng.randrange(1, 60)}, {cap} {name}"}
               for code, office, _ in OFFICES]
    slots, day = [], FIRST_SLOT_DAY
    while day < FIRST_SLOT_DAY + timedelta(days=14):
        if day.weekday() < 5:
            for code, _, services in OFFICES:
                for minutes in range(9 * 60, 12 * 60 + 30, 30):
                    slots.append({"id": f"{code}-{day:%Y%m%d}-{minutes // 60:02d}{minutes % 60:02d}",
                                  "office": code, "service": rng.choice(services),
                                  "date": day.isoformat(),
                                  "time": f"{minutes // 60:02d}:{minutes % 60:02d}"})
        day += timedelta(days=1)
    bookings = []
    for i, slot in enumerate(rng.sample(slots, 12)):
        bookings.append({"id": f"PR-{istat}-{i + 1:04d}", "slot": slot["id"],
                         "fiscal_code": rng.choice(people)["fiscal_code"],
                         "status": "cancelled" if i % 6 == 5 else "confirmed"})
    applications = []
    for i in range(6):
        submitted = EXPORT_DATE - timedelta(days=rng.randrange(3, 200))
        applications.append({"id": f"WF-{istat}-{i + 1:04d}", "fiscal_code": rng.choice(people)["fiscal_code"],
                             "desk": rng.choice(DESKS), "submitted": submitted.isoformat(),
                             "status": rng.choice(["received", "in_review", "approved", "rejected"])})
    small = int(row["population_2011"]) < 5000  # no digital counter in the smallest towns
    services = [{"id": s, "available": not (small and s.startswith("prenotazioni."))} for s in SERVICES]
    return {"istat": istat, "name": name, "cadastral_code": cadastral, "postal_code": cap,
            "iban": iban(istat), "receipts": [], "fees": FEES,
            "people": people, "positions": positions, "offices": offices, "slots": slots,
            "bookings": bookings, "applications": applications, "services": services}


# --- the three back-end forms --------------------------------------------------------------
SCHEMA = """
CREATE TABLE ente (denominazione TEXT NOT NULL);
CREATE TABLE posizioni (id TEXT PRIMARY KEY, cf TEXT NOT NULL, tributo TEXT NOT NULL,
  anno INTEGER NOT NULL, descrizione TEXT NOT NULL, importo_cent INTEGER NOT NULL,
  scadenza TEXT NOT NULL, stato TEXT NOT NULL CHECK (stato IN ('DAP', 'PAG', 'SCA', 'ANN')),
  numero INTEGER NOT NULL UNIQUE,  -- the position number: the IUV base of its pagoPA notice
  iban TEXT NOT NULL, tassonomia TEXT NOT NULL,
  servizio TEXT REFERENCES tariffe (codice));  -- the fee of a position opened on request
CREATE INDEX posizioni_cf ON posizioni (cf);
-- One open position per citizen, fee and amount: asking twice gives the same notice.
CREATE UNIQUE INDEX posizioni_aperta ON posizioni (cf, servizio, importo_cent)
  WHERE servizio IS NOT NULL AND stato = 'DAP';
-- The fees positions can be opened for; importo_cent NULL: the amount the citizen gives.
CREATE TABLE tariffe (codice TEXT PRIMARY KEY, descrizione TEXT NOT NULL, importo_cent INTEGER,
  tassonomia TEXT NOT NULL, iban TEXT NOT NULL);
CREATE TABLE contribuenti (cf TEXT PRIMARY KEY, cognome TEXT NOT NULL, nome TEXT NOT NULL,
  indirizzo TEXT, civico TEXT, cap TEXT, comune TEXT);
-- pagoPA receipts, registered once per receipt id (the bus delivers at least once).
CREATE TABLE ricevute (id_ricevuta TEXT PRIMARY KEY, numero INTEGER NOT NULL, ruolo TEXT NOT NULL,
  importo_cent INTEGER NOT NULL, data_pagamento TEXT, psp TEXT, esito TEXT NOT NULL,
  registrata TEXT NOT NULL);
CREATE TRIGGER ricevuta_pagata AFTER INSERT ON ricevute
  WHEN NEW.esito = 'OK' AND NEW.ruolo = 'creditor'
  BEGIN UPDATE posizioni SET stato = 'PAG' WHERE numero = NEW.numero; END;
CREATE TABLE uffici (codice TEXT PRIMARY KEY, nome TEXT NOT NULL, indirizzo TEXT NOT NULL);
CREATE TABLE slot (id TEXT PRIMARY KEY, ufficio TEXT NOT NULL REFERENCES uffici (codice),
  servizio TEXT NOT NULL, inizio TEXT NOT NULL);
CREATE TABLE prenotazioni (id TEXT PRIMARY KEY, richiesta TEXT UNIQUE, cf TEXT NOT NULL,
  slot_id TEXT NOT NULL REFERENCES slot (id),
  stato TEXT NOT NULL CHECK (stato IN ('confermata', 'annullata')), creata TEXT NOT NULL);
-- No slot is ever booked twice: the database refuses it, whatever the timing.
CREATE UNIQUE INDEX prenotazioni_un_slot ON prenotazioni (slot_id) WHERE stato = 'confermata';
CREATE INDEX prenotazioni_cf ON prenotazioni (cf);
CREATE TABLE domande (pratica TEXT PRIMARY KEY, cf TEXT NOT NULL, sportello TEXT NOT NULL,
  note TEXT, allegati TEXT, presentata TEXT NOT NULL, stato TEXT NOT NULL);
CREATE TABLE servizi (codice TEXT PRIMARY KEY, attivo INTEGER NOT NULL);
"""
DB_STATUS = {"unpaid": "DAP", "paid": "PAG", "overdue": "SCA", "cancelled": "ANN"}
DB_APPLICATION = {"received": "protocollata", "in_review": "istruttoria", "approved": "accolta",
                  "rejected": "respinta"}


def write_sqlite(data, path):
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    db.execute("PRAGMA journal_mode = OFF")  # a throwaway file until it is renamed
    db.execute("PRAGMA synchronous = OFF")
    db.executescript(SCHEMA)
    db.execute("INSERT INTO ente VALUES (?)", ("Comune di " + data["name"],))
    db.executemany("INSERT INTO tariffe VALUES (?,?,?,?,?)", [
        (f["code"], f["description"], f["amount_cents"], f["taxonomy"], data["iban"]) for f in data["fees"]])
    db.executemany("INSERT INTO posizioni VALUES (?,?,?,?,?,?,?,?,?,?,?,NULL)", [
        (p["id"], p["fiscal_code"], p["tax"], p["year"], p["description"], p["amount_cents"],
         p["due_date"], DB_STATUS[p["status"]], p["number"], data["iban"], TAXONOMY[p["tax"]])
        for p in data["positions"]])
    db.executemany("INSERT INTO contribuenti VALUES (?,?,?,?,?,?,?)", [
        (c["fiscal_code"], c["surname"], c["name"], c["residence"]["street"], c["residence"]["number"],
         c["residence"]["postal_code"], c["residence"]["municipality"]) for c in data["people"]])
    db.executemany("INSERT INTO uffici VALUES (?,?,?)",
                   [(o["code"], o["name"], o["address"]) for o in data["offices"]])
    db.executemany("INSERT INTO slot VALUES (?,?,?,?)", [
        (s["id"], s["office"], s["service"], f"{s['date']} {s['time']}") for s in data["slots"]])
    db.executemany("INSERT INTO prenotazioni VALUES (?,?,?,?,?,?)", [
        (b["id"], None, b["fiscal_code"], b["slot"],
         "annullata" if b["status"] == "cancelled" else "confermata", "2026-11-20 10:00:00")
        for b in data["bookings"]])
    db.executemany("INSERT INTO domande VALUES (?,?,?,?,?,?,?)", [
        (a["id"], a["fiscal_code"], a["desk"], None, "", a["submitted"], DB_APPLICATION[a["status"]])
        for a in data["applications"]])
    db.executemany("INSERT INTO servizi VALUES (?,?)",
                   [(s["id"], 1 if s["available"] else 0) for s in data["services"]])
    db.commit()
    db.close()
    os.replace(tmp, path)


CSV_STATUS = {"unpaid": "DA PAGARE", "paid": "PAGATO", "overdue": "SCADUTO", "cancelled": "ANNULLATO"}
CSV_APPLICATION = {"received": "PROTOCOLLATA", "in_review": "IN ISTRUTTORIA", "approved": "ACCOLTA",
                   "rejected": "RESPINTA"}


def write_csv(path, header, rows):
    """Atomically, as the municipality's nightly job publishes an export."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="windows-1252", newline="") as f:
        writer = csv.writer(f, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    os.replace(tmp, path)


def slot_index(data):
    return {s["id"]: s for s in data["slots"]}


def write_exports(data, folder):
    folder.mkdir(parents=True, exist_ok=True)
    office = {o["code"]: o["name"] for o in data["offices"]}
    names = {c["fiscal_code"]: f'{c["surname"]} {c["name"]}' for c in data["people"]}
    paid = {r["numero"] for r in data.get("receipts", []) if r["esito"] == "OK"}
    write_csv(folder / "posizioni.csv",
              ["codice_fiscale", "id_posizione", "tributo", "anno", "descrizione", "importo",
               "scadenza", "stato", "numero", "iban", "tassonomia", "nominativo"],
              [[p["fiscal_code"], p["id"], p["tax"], p["year"], p["description"],
                italian_amount(p["amount_cents"]), italian_date(p["due_date"]),
                CSV_STATUS["paid" if str(p["number"]) in paid else p["status"]], p["number"],
                data["iban"], TAXONOMY[p["tax"]], names[p["fiscal_code"]]]
               for p in data["positions"]])
    write_slots_export(data, folder)
    slots = slot_index(data)
    write_csv(folder / "prenotazioni.csv",
              ["codice_fiscale", "id_prenotazione", "id_slot", "ufficio", "servizio", "data", "ora",
               "stato"],
              [[b["fiscal_code"], b["id"], b["slot"], office[slots[b["slot"]]["office"]],
                slots[b["slot"]]["service"], italian_date(slots[b["slot"]]["date"]),
                slots[b["slot"]]["time"],
                {"confirmed": "CONFERMATA", "cancelled": "ANNULLATA", "rejected": "RIFIUTATA"}[b["status"]]]
               for b in data["bookings"]])
    write_csv(folder / "domande.csv",
              ["codice_fiscale", "pratica", "sportello", "data_presentazione", "stato"],
              [[a["fiscal_code"], a["id"], a["desk"].upper().replace("-", "_"),
                italian_date(a["submitted"]), CSV_APPLICATION[a["status"]]] for a in data["applications"]])
    rows = [[data["cadastral_code"], "ENTE", "", "Comune di " + data["name"], "", "S"]]
    rows += [[data["cadastral_code"], "SERVIZIO", s["id"], "", "", "S" if s["available"] else "N"]
             for s in data["services"]]
    rows += [[data["cadastral_code"], "UFFICIO", o["code"], o["name"], o["address"], "S"]
             for o in data["offices"]]
    write_csv(folder / "servizi.csv", ["ente", "tipo", "codice", "nome", "indirizzo", "attivo"], rows)


def write_slots_export(data, folder):
    office = {o["code"]: o["name"] for o in data["offices"]}
    taken = {b["slot"] for b in data["bookings"] if b["status"] == "confirmed"}
    write_csv(folder / "slot.csv", ["stato", "id_slot", "ufficio", "servizio", "data", "ora"],
              [["OCCUPATO" if s["id"] in taken else "LIBERO", s["id"], office[s["office"]],
                s["service"], italian_date(s["date"]), s["time"]] for s in data["slots"]])


# --- PDND: one client per municipality (its key pair, its purpose for ANPR C020) ------------
def pdnd_client(istat):
    return {"client_id": f"egov-demo-{istat}", "kid": f"kid-{istat}",
            "purposes": {f"purpose-{istat}-c020": "C020"}}


def write_pdnd(out, istats):
    """Keys are made once and kept (a run of `make run` reuses them); sim.json every time."""
    folder = out / "pdnd"
    folder.mkdir(parents=True, exist_ok=True)
    missing = [i for i in istats if not (folder / f"{i}.pem").exists() or not (folder / f"{i}.pub.pem").exists()]
    for batch in range(0, len(missing), 2):  # two openssl processes at a time
        jobs = []
        for istat in missing[batch:batch + 2]:
            key = folder / f"{istat}.pem"
            command = (f"umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
                       f"-out '{key}.tmp' 2>/dev/null && openssl pkey -in '{key}.tmp' -pubout "
                       f"-out '{folder}/{istat}.pub.pem' && mv '{key}.tmp' '{key}'")
            jobs.append(subprocess.Popen(["sh", "-c", command]))
        for job in jobs:
            if job.wait() != 0:
                raise SystemExit("openssl failed to make a demo PDND key")
    clients = [dict(pdnd_client(i), public_key_file=f"{i}.pub.pem") for i in istats]
    (folder / "sim.json").write_text(json.dumps({"demo_data": "..", "clients": clients}, indent=1),
                                     encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--municipalities", default=str(DEFAULT_MUNICIPALITIES))
    args = parser.parse_args()
    with open(args.municipalities, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = Path(args.out)
    index = {}
    for row in rows:
        data = municipality_data(row, rows)
        folder = out / row["istat_code"]
        (folder / "import").mkdir(parents=True, exist_ok=True)
        (folder / "data.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        write_sqlite(data, folder / "gestionale.sqlite")
        write_exports(data, folder / "export")
        index[row["istat_code"]] = {"name": row["name"], "cadastral_code": row["cadastral_code"]}
    (out / "index.json").write_text(json.dumps(index, ensure_ascii=False, indent=1), encoding="utf-8")
    write_pdnd(out, list(index))
    print(f"demo data for {len(rows)} municipalities in {out}")


if __name__ == "__main__":
    main()
