#!/usr/bin/env python3
"""`egovbus spid verify` on every vector make_vectors.py generates (with openssl and xmlsec1,
into a fresh temporary folder): valid Responses are accepted with the right identity, every
attack is refused (exit 1) for the reason it must be refused for.

Usage: spid_cli_test.py path/to/egovbus
"""
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BUS = os.path.abspath(sys.argv[1])
IDENTITY = '"fiscal_code":"RSSMRA80A01A662A","given_name":"Mario","family_name":"Rossi"'


def shifted(instant, minutes):
    t = datetime.datetime.strptime(instant, "%Y-%m-%dT%H:%M:%SZ")
    return (t + datetime.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    work = tempfile.mkdtemp(prefix="egovbus-spid-")
    try:
        subprocess.run([sys.executable, f"{HERE}/make_vectors.py", work], check=True)
        with open(f"{work}/vectors.json", encoding="utf-8") as f:
            v = json.load(f)
        now, expires = v["now"], v["expires"]
        base = ["--idp-metadata", v["metadata"], "--sp-entity-id", v["sp_entity_id"],
                "--acs", v["acs_url"]]
        at_now = base + ["--now", now]
        refused_wrapping = r"refused: the Response must hold exactly one Assertion, it holds 2"
        cases = [
            # name, vector, extra options, exit code, regex on the output
            ("valid", "valid", at_now, 0, IDENTITY + r',"spid_level":2,"issuer":"https://idp'),
            ("valid-base64", f"{work}/valid.b64", at_now, 0, IDENTITY),
            ("valid-request-id", "valid", at_now + ["--request-id", v["request_id"]], 0, IDENTITY),
            ("valid-l1", "valid-l1", at_now, 0, r'"spid_level":1'),
            ("valid-l3", "valid-l3", at_now, 0,
             r'"fiscal_code":"BNCLCU85T50A662U","given_name":"Lucia".*"spid_level":3'),
            ("valid-response-signed", "valid-response-signed", at_now, 0, IDENTITY),
            ("clock-skew-tolerated", "valid", base + ["--now", shifted(expires, 0)], 0, IDENTITY),
            ("comment-in-fiscal-number", "comment-in-fiscal-number", at_now, 0, IDENTITY),
            ("wrong-request-id", "valid", at_now + ["--request-id", "_other"], 1,
             r"InResponseTo is not the authentication request's ID"),
            ("unsigned-assertion", "unsigned-assertion", at_now, 1,
             r"refused: the Assertion is not signed"),
            ("signed-response-unsigned-assertion", "signed-response-unsigned-assertion", at_now, 1,
             r"refused: the Assertion is not signed"),
            ("other-key-in-keyinfo", "other-key", at_now, 1,
             r"refused: the Assertion is not signed by the identity provider's key"),
            ("response-signature-tampered", "response-signature-tampered", at_now, 1,
             r"refused: the Response was modified after it was signed"),
            ("tampered", "tampered", at_now, 1,
             r"refused: the Assertion was modified after it was signed"),
            ("wrap-evil-before", "wrap-evil-before", at_now, 1, refused_wrapping),
            ("wrap-evil-after", "wrap-evil-after", at_now, 1, refused_wrapping),
            ("wrap-evil-wrapping", "wrap-evil-wrapping", at_now, 1, refused_wrapping),
            ("wrap-hidden-in-extensions", "wrap-hidden-in-extensions", at_now, 1,
             refused_wrapping),
            ("wrap-hidden-in-object", "wrap-hidden-in-object", at_now, 1, refused_wrapping),
            ("wrap-signed-foreign-first", "wrap-signed-foreign-first", at_now, 1,
             r"refused: the Assertion's signature references \"#_foreign\", not the Assertion's ID"),
            ("doctype", "doctype", at_now, 1, r"refused: .*DOCTYPE is not allowed"),
            ("expired", "valid", base + ["--now", shifted(expires, 1)], 1,
             r"refused: the Assertion has expired"),
            ("expired-vector", "expired", at_now, 1, r"refused: the Assertion has expired"),
            ("expired-vector-in-its-time", "expired", base + ["--now", shifted(now, -90)], 0,
             IDENTITY),
            ("not-yet-valid-vector", "not-yet-valid", at_now, 1,
             r"refused: the Assertion is not valid yet \(NotBefore "),
            ("assertion-not-child", "assertion-not-child", at_now, 1,
             r"refused: the Assertion is not a child of the Response"),
            ("encrypted-assertion", "encrypted-assertion", at_now, 1,
             r"refused: encrypted assertions are not supported"),
            ("two-signatures", "two-signatures", at_now, 1,
             r"refused: the Assertion has more than one signature"),
            ("level-unknown", "level-unknown", at_now, 1,
             r"refused: the AuthnContextClassRef \"https://www.spid.gov.it/SpidL4\" is not a SPID level"),
            ("response-issuer-mismatch", "response-issuer-mismatch", at_now, 1,
             r"refused: the Response's Issuer is not the Assertion's"),
            ("subject-in-response-to", "subject-in-response-to",
             at_now + ["--request-id", v["request_id"]], 1,
             r"refused: the SubjectConfirmationData InResponseTo is not the authentication request's ID"),
            ("no-fiscal-number", "no-fiscal-number", at_now, 1,
             r"refused: the Assertion has no fiscalNumber attribute"),
            ("fiscal-number-not-italian", "fiscal-number-not-italian", at_now, 1,
             r"refused: the fiscalNumber is not an Italian one"),
            ("fiscal-number-invalid", "fiscal-number-invalid", at_now, 1,
             r"refused: the fiscalNumber is not a valid Italian fiscal code"),
            ("attribute-twice", "attribute-twice", at_now, 1,
             r"refused: the attribute \"fiscalNumber\" is given twice"),
            ("not-yet-valid", "valid", base + ["--now", shifted(now, -5)], 1,
             r"refused: the (Response|Assertion) is issued in the future"),
            ("wrong-audience", "wrong-audience", at_now, 1,
             r"refused: the Audience \"https://other.example/sp\" is not this service's entityID"),
            ("wrong-recipient", "wrong-recipient", at_now, 1,
             r"refused: the Recipient \"https://other.example/acs\" is not this service's ACS"),
            ("wrong-destination", "wrong-destination", at_now, 1,
             r"refused: the Destination \"https://other.example/acs\" is not this service's ACS"),
            ("duplicate-id", "duplicate-id", at_now, 1,
             r"refused: two elements have the ID \"_a-1\""),
            ("inclusive-c14n", "inclusive-c14n", at_now, 1,
             r"refused: the Assertion's signature: transform .*REC-xml-c14n-20010315.* is not allowed"),
            ("rsa-sha1", "rsa-sha1", at_now, 1,
             r"refused: the Assertion's signature: signature method .*rsa-sha1.* is not allowed"),
            ("status-failed", "status-failed", at_now, 1,
             r"refused: the identity provider answered .*status:Responder"),
            ("wrong-sp", "valid", ["--idp-metadata", v["metadata"], "--sp-entity-id",
                                   "https://other.example/sp", "--acs", v["acs_url"],
                                   "--now", now], 1, r"Audience .* is not this service's entityID"),
            ("metadata-missing", "valid", ["--idp-metadata", f"{work}/none.xml",
                                           "--sp-entity-id", "x", "--acs", "https://x"], 2,
             r"cannot read file"),
            ("options-missing", "valid", ["--idp-metadata", v["metadata"]], 2,
             r"--sp-entity-id ID is required"),
        ]
        failed = 0
        for name, vector, options, code, regex in cases:
            path = vector if vector.startswith("/") else v["files"][vector]
            run = subprocess.run([BUS, "spid", "verify", *options, path], capture_output=True,
                                 text=True)
            out = run.stdout + run.stderr
            if run.returncode != code or not re.search(regex, out):
                failed += 1
                print(f"FAIL {name}: exit {run.returncode} (wanted {code}), output:\n{out}")
        print(f"spid cli: {len(cases) - failed} passed, {failed} failed")
        return 1 if failed else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
