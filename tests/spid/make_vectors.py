#!/usr/bin/env python3
"""Generates SPID test vectors with the openssl and xmlsec1 command-line tools (never with
egovbus's own code): an IdP key and certificate, its metadata, an attacker's key, and SAML
Responses - valid ones and every attack the verifier must refuse - into OUTDIR.

Usage: make_vectors.py OUTDIR [--now RFC3339]

Times: IssueInstant = NOW, the assertion is valid from NOW to NOW + 1h. OUTDIR/vectors.json
lists the files with the constants a test needs (sp_entity_id, acs_url, request_id, now).
Assertions are signed standalone (exclusive c14n makes the signature independent of where
the assertion is later put) and then placed into Responses by plain text substitution, so
the signed bytes are exactly what xmlsec1 wrote.
"""
import base64
import datetime
import json
import os
import subprocess
import sys

IDP = "https://idp.spid.example/saml"
SP = "https://egov.ba.it/spid"
ACS = "https://egov.ba.it/spid/acs"
REQUEST_ID = "_4d38c302617b5bf98951e65b4cf304711e2166df20"
FISCAL_CODE = "RSSMRA80A01A662A"
VICTIM = "VRDGPP75B02A662H"

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
DS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
INCL_C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"


def run(*args):
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"make_vectors: {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def signature_template(ref_id, transforms=(ENVELOPED, EXC_C14N), method=RSA_SHA256):
    t = "".join(f'<ds:Transform Algorithm="{a}"/>' for a in transforms)
    return (f'<ds:Signature xmlns:ds="{DS}"><ds:SignedInfo>'
            f'<ds:CanonicalizationMethod Algorithm="{EXC_C14N}"/>'
            f'<ds:SignatureMethod Algorithm="{method}"/>'
            f'<ds:Reference URI="#{ref_id}"><ds:Transforms>{t}</ds:Transforms>'
            f'<ds:DigestMethod Algorithm="{SHA256}"/><ds:DigestValue/></ds:Reference>'
            f'</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo>'
            f'</ds:Signature>')


def attribute(name, value):
    return (f'<saml:Attribute Name="{name}">'
            f'<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" '
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">'
            f'{value}</saml:AttributeValue></saml:Attribute>')


def assertion(times, aid, signature="", cf=FISCAL_CODE, level=2, audience=SP, recipient=ACS,
              given="Mario", family="Rossi", not_before=None, in_response_to=REQUEST_ID,
              attributes=None):
    t0, end = times
    if attributes is None:
        attributes = (attribute("fiscalNumber", "TINIT-" + cf) + attribute("name", given)
                      + attribute("familyName", family))
    return (f'<saml:Assertion xmlns:saml="{SAML}" ID="{aid}" Version="2.0" IssueInstant="{t0}">'
            f'<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity" '
            f'NameQualifier="{IDP}">{IDP}</saml:Issuer>{signature}'
            f'<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:'
            f'transient" NameQualifier="{IDP}">_nid-{aid}</saml:NameID>'
            f'<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
            f'<saml:SubjectConfirmationData InResponseTo="{in_response_to}" NotOnOrAfter="{end}" '
            f'Recipient="{recipient}"/></saml:SubjectConfirmation></saml:Subject>'
            f'<saml:Conditions NotBefore="{not_before or t0}" NotOnOrAfter="{end}">'
            f'<saml:AudienceRestriction>'
            f'<saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>'
            f'</saml:Conditions>'
            f'<saml:AuthnStatement AuthnInstant="{t0}" SessionIndex="_s-{aid}">'
            f'<saml:AuthnContext><saml:AuthnContextClassRef>https://www.spid.gov.it/SpidL{level}'
            f'</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>'
            f'<saml:AttributeStatement>{attributes}</saml:AttributeStatement></saml:Assertion>')


def response(times, body, signature="", extensions="", rid="_resp-1", destination=ACS,
             status="urn:oasis:names:tc:SAML:2.0:status:Success", issuer=IDP):
    t0, _ = times
    ext = f"<samlp:Extensions>{extensions}</samlp:Extensions>" if extensions else ""
    return (f'<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="{rid}" '
            f'Version="2.0" IssueInstant="{t0}" Destination="{destination}" '
            f'InResponseTo="{REQUEST_ID}">'
            f'<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{issuer}'
            f'</saml:Issuer>{signature}{ext}<samlp:Status><samlp:StatusCode Value="{status}"/>'
            f'</samlp:Status>{body}</samlp:Response>')


class Signer:
    def __init__(self, out):
        self.out = out
        self.count = 0

    def sign(self, xml, key, id_attrs):
        """Signs the first ds:Signature template of `xml` with xmlsec1; returns the signed
        document without its XML declaration."""
        self.count += 1
        src = os.path.join(self.out, f".template-{self.count}.xml")
        dst = os.path.join(self.out, f".signed-{self.count}.xml")
        with open(src, "w", encoding="utf-8") as f:
            f.write(xml)
        args = ["xmlsec1", "--sign", "--privkey-pem", f"{self.out}/{key}.key,{self.out}/{key}.crt"]
        for element in id_attrs:
            args += ["--id-attr:ID", element]
        run(*args, "--output", dst, src)
        with open(dst, encoding="utf-8") as f:
            signed = f.read()
        os.remove(src)
        os.remove(dst)
        if signed.startswith("<?xml"):
            signed = signed[signed.index("?>") + 2:]
        return signed.strip()

    def assertion(self, xml, key="idp"):
        return self.sign(xml, key, [f"{SAML}:Assertion"])

    def response(self, xml, key="idp"):
        return self.sign(xml, key, [f"{SAMLP}:Response", f"{SAML}:Assertion"])


def certificate_base64(path):
    pem = open(path, encoding="ascii").read()
    body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return "".join(body.split())


def metadata(out):
    cert = certificate_base64(f"{out}/idp.crt")
    return (f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            f'xmlns:ds="{DS}" entityID="{IDP}">'
            f'<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" '
            f'WantAuthnRequestsSigned="true"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>'
            f'<ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>'
            f'</md:KeyDescriptor><md:SingleSignOnService '
            f'Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
            f'Location="https://idp.spid.example/sso"/></md:IDPSSODescriptor>'
            f'</md:EntityDescriptor>\n')


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    if len(sys.argv) not in (2, 4) or (len(sys.argv) == 4 and sys.argv[2] != "--now"):
        sys.exit(__doc__)
    out = os.path.abspath(sys.argv[1])
    os.makedirs(out, exist_ok=True)
    if len(sys.argv) == 4:
        now = datetime.datetime.strptime(sys.argv[3], "%Y-%m-%dT%H:%M:%SZ")
    else:
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
    times = (rfc3339(now), rfc3339(now + datetime.timedelta(hours=1)))

    for name, cn in (("idp", "SPID test IdP"), ("evil", "Attacker")):
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "3650",
            "-subj", f"/CN={cn}", "-keyout", f"{out}/{name}.key", "-out", f"{out}/{name}.crt")
    with open(f"{out}/idp-metadata.xml", "w", encoding="utf-8") as f:
        f.write(metadata(out))

    s = Signer(out)
    files = {}

    def write(name, text):
        with open(f"{out}/{name}.xml", "w", encoding="utf-8") as f:
            f.write(text)
        files[name] = f"{out}/{name}.xml"

    def signed(aid="_a-1", **kw):
        return s.assertion(assertion(times, aid, signature_template(aid), **kw))

    good = signed()
    write("valid", response(times, good))
    write("valid-l3", response(times, signed("_a-l3", level=3, cf="BNCLCU85T50A662U",
                                             given="Lucia", family="Bianchi")))
    write("valid-l1", response(times, signed("_a-l1", level=1)))
    write("valid-response-signed",
          s.response(response(times, good, signature=signature_template("_resp-1"))))

    # The Response's own signature, when present, must verify too.
    both = s.response(response(times, good, signature=signature_template("_resp-1")))
    write("response-signature-tampered",
          both.replace(f'Destination="{ACS}"', f'Destination="{ACS}/other"', 1))

    write("unsigned-assertion", response(times, assertion(times, "_a-1")))
    write("signed-response-unsigned-assertion",
          s.response(response(times, assertion(times, "_a-1"),
                              signature=signature_template("_resp-1"))))
    write("other-key", response(times, s.assertion(
        assertion(times, "_a-1", signature_template("_a-1")), key="evil")))

    evil = assertion(times, "_evil", cf=VICTIM)
    write("wrap-evil-before", response(times, evil + good))
    write("wrap-evil-after", response(times, good + evil))
    # The evil assertion wraps the signed one (inside its Subject) and carries its signature.
    sig_start = good.index("<ds:Signature")
    sig_end = good.index("</ds:Signature>") + len("</ds:Signature>")
    stolen_signature = good[sig_start:sig_end]
    good_unsigned = good[:sig_start] + good[sig_end:]
    wrapping = assertion(times, "_evil", stolen_signature, cf=VICTIM).replace(
        "<saml:Subject>", "<saml:Subject>" + good_unsigned, 1)
    write("wrap-evil-wrapping", response(times, wrapping))
    # The signed assertion hidden in Extensions, its signature moved onto the evil one (so the
    # signature itself still verifies: it covers the hidden original).
    write("wrap-hidden-in-extensions",
          response(times, assertion(times, "_evil", stolen_signature, cf=VICTIM),
                   extensions=good_unsigned))
    # The signed assertion hidden in a ds:Object of the evil assertion's signature.
    in_object = stolen_signature.replace("</ds:Signature>", f"<ds:Object>{good_unsigned}</ds:Object>"
                                         "</ds:Signature>")
    write("wrap-hidden-in-object",
          response(times, assertion(times, "_evil", in_object, cf=VICTIM)))
    # A foreign element signed by the IdP's key comes first; its signature is moved onto an
    # evil (only) assertion: the signature verifies, but does not cover the assertion.
    foreign = s.sign(f'<ext:Notice xmlns:ext="urn:example:ext" ID="_foreign">'
                     f'{signature_template("_foreign")}<ext:Text>hello</ext:Text></ext:Notice>',
                     "idp", ["urn:example:ext:Notice"])
    f_start = foreign.index("<ds:Signature")
    f_end = foreign.index("</ds:Signature>") + len("</ds:Signature>")
    write("wrap-signed-foreign-first",
          response(times, assertion(times, "_evil", foreign[f_start:f_end], cf=VICTIM),
                   extensions=foreign[:f_start] + foreign[f_end:]))

    write("tampered", response(times, good.replace(FISCAL_CODE, VICTIM, 1)))
    write("comment-in-fiscal-number", response(times, good.replace(
        "TINIT-" + FISCAL_CODE, f"TINIT-{FISCAL_CODE[:8]}<!-- {VICTIM} -->{FISCAL_CODE[8:]}", 1)))
    write("doctype", '<?xml version="1.0"?>\n<!DOCTYPE samlp:Response [\n'
          '  <!ENTITY cf SYSTEM "file:///etc/passwd">\n]>\n'
          + response(times, good).replace("<saml:Issuer Format", "<saml:Issuer a='&cf;' Format", 1))
    write("wrong-audience", response(times, signed(audience="https://other.example/sp")))
    write("wrong-recipient", response(times, signed(recipient="https://other.example/acs")))
    write("wrong-destination", response(times, good, destination="https://other.example/acs"))
    write("duplicate-id", response(times, good,
                                   extensions='<x:Note xmlns:x="urn:example:ext" ID="_a-1"/>'))
    # Signed in place: inclusive c14n takes in the Response's namespaces.
    write("inclusive-c14n", s.response(response(times, assertion(
        times, "_a-1", signature_template("_a-1", transforms=(ENVELOPED, INCL_C14N))))))
    write("rsa-sha1", response(times, s.assertion(
        assertion(times, "_a-1", signature_template("_a-1", method=RSA_SHA1)))))
    write("status-failed", response(times, good,
                                    status="urn:oasis:names:tc:SAML:2.0:status:Responder"))

    # Expired: issued two hours ago, valid for one hour (signed as the IdP signed it then).
    past = (rfc3339(now - datetime.timedelta(hours=2)), rfc3339(now - datetime.timedelta(hours=1)))
    write("expired", response(past, s.assertion(
        assertion(past, "_a-old", signature_template("_a-old")))))
    # Conditions that start ten minutes from now (the IssueInstant is now).
    write("not-yet-valid", response(times, signed(
        "_a-later", not_before=rfc3339(now + datetime.timedelta(minutes=10)))))
    # The only Assertion, signed and intact, but not a child of the Response.
    write("assertion-not-child", response(times, "", extensions=good))
    write("encrypted-assertion", response(times, (
        '<saml:EncryptedAssertion><xenc:EncryptedData '
        'xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#'
        'Element"><xenc:CipherData><xenc:CipherValue>AAAA</xenc:CipherValue></xenc:CipherData>'
        '</xenc:EncryptedData></saml:EncryptedAssertion>')))
    # The signature element twice (both copies verify on their own).
    write("two-signatures", response(times, good[:sig_end] + stolen_signature + good[sig_end:]))
    write("level-unknown", response(times, signed("_a-l4", level=4)))
    write("response-issuer-mismatch",
          response(times, good, issuer="https://idp.other.example/saml"))
    write("subject-in-response-to",
          response(times, signed("_a-irt", in_response_to="_another-request")))
    write("no-fiscal-number", response(times, signed(
        "_a-nocf", attributes=attribute("name", "Mario") + attribute("familyName", "Rossi"))))
    write("fiscal-number-not-italian", response(times, signed(
        "_a-de", attributes=attribute("fiscalNumber", "TINDE-" + FISCAL_CODE))))
    write("fiscal-number-invalid", response(times, signed(
        "_a-bad", cf=FISCAL_CODE[:-1] + "B")))
    write("attribute-twice", response(times, signed(
        "_a-twice", attributes=attribute("fiscalNumber", "TINIT-" + FISCAL_CODE)
        + attribute("fiscalNumber", "TINIT-" + VICTIM))))

    with open(f"{out}/vectors.json", "w", encoding="utf-8") as f:
        json.dump({"now": times[0], "expires": times[1], "sp_entity_id": SP, "acs_url": ACS,
                   "request_id": REQUEST_ID, "idp": IDP, "fiscal_code": FISCAL_CODE,
                   "metadata": f"{out}/idp-metadata.xml", "files": files}, f, indent=1)
    # Base64 too, as the portal receives the Response from the IdP's HTTP-POST binding.
    with open(f"{out}/valid.b64", "w", encoding="ascii") as f:
        f.write(base64.b64encode(open(files["valid"], "rb").read()).decode())


if __name__ == "__main__":
    main()
