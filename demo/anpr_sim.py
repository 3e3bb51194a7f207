#!/usr/bin/env python3
"""A demo stand-in for ANPR's e-service C020 (servizioAccertamentoResidenza): answers
POST /anpr-service-e002 with RispostaE002OK for the people demo/generate.py created, and
RispostaKO (404, application/problem+json) for anyone else. It checks the request's shape
(idOperazioneClient, criteriRicerca, datiRichiesta with casoUso C020) but not the PDND voucher
nor the ModI headers: that is the anpr adapter's job and simulator.

Usage: anpr_sim.py DATA_DIR PORT   (PORT 0: the system picks; printed on stdout)"""
import json
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PEOPLE = {}


def load(data_dir):
    index = json.loads((Path(data_dir) / "index.json").read_text(encoding="utf-8"))
    for istat in index:
        data = json.loads((Path(data_dir) / istat / "data.json").read_text(encoding="utf-8"))
        for person in data["people"]:
            PEOPLE[person["fiscal_code"]] = person


def subject(person):
    street = person["residence"]["street"]
    specie, _, name = street.partition(" ")
    return {
        "generalita": {"codiceFiscale": {"codFiscale": person["fiscal_code"], "validitaCF": "1"},
                       "cognome": person["surname"].upper(), "nome": person["name"].upper(),
                       "sesso": person["sex"], "dataNascita": person["born"]},
        "residenza": [{"tipoIndirizzo": "1", "indirizzo": {
            "cap": person["residence"]["postal_code"],
            "comune": {"nomeComune": person["residence"]["municipality"].upper(),
                       "codiceIstat": person["residence"]["istat"], "siglaProvinciaIstat": "BA"},
            "toponimo": {"specie": specie.upper(), "denominazioneToponimo": name.upper()},
            "numeroCivico": {"numero": person["residence"]["number"]}}}],
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path != "/anpr-service-e002":
            return self.reply(404, {"title": "Not Found"}, "application/problem+json")
        try:
            request = json.loads(body)
            cf = request["criteriRicerca"]["codiceFiscale"]
            ok = bool(request["idOperazioneClient"]) and request["datiRichiesta"]["casoUso"] == "C020" \
                and request["datiRichiesta"]["motivoRichiesta"] and request["datiRichiesta"]["dataRiferimentoRichiesta"]
        except (ValueError, KeyError, TypeError):
            ok = False
        operation = str(uuid.uuid4())
        if not ok:
            return self.reply(400, {"idOperazioneANPR": operation, "listaErrori": [{
                "codiceErroreAnomalia": "EN122", "tipoErroreAnomalia": "E",
                "testoErroreAnomalia": "richiesta non valida"}]}, "application/problem+json")
        if cf not in PEOPLE:
            return self.reply(404, {"idOperazioneANPR": operation, "listaErrori": [{
                "codiceErroreAnomalia": "EN122", "tipoErroreAnomalia": "E",
                "testoErroreAnomalia": "soggetto non presente in ANPR"}]}, "application/problem+json")
        self.reply(200, {"idOperazioneANPR": operation,
                         "listaSoggetti": {"datiSoggetto": [subject(PEOPLE[cf])]}, "listaAnomalie": []})

    def reply(self, status, body, content_type="application/json"):
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        pass


if __name__ == "__main__":
    load(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2]) if len(sys.argv) > 2 else 8102), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
