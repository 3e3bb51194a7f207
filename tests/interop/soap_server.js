// A third-party SOAP stack (node-soap) serving tributi.wsdl, for the soap adapter's interop
// test (soap_interop_test.cpp). SOAP 1.1 on /tributi, SOAP 1.2 on /tributi12. Every request
// must carry a WS-Security UsernameToken with a PasswordDigest of the password given in
// EGOV_INTEROP_PASSWORD. Listens on 127.0.0.1, on a port the system picks, and prints that
// port alone on the first line of stdout. Stops on SIGTERM.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const soap = require('soap');

const password = process.env.EGOV_INTEROP_PASSWORD || '';
const wsdl = fs.readFileSync(path.join(__dirname, 'tributi.wsdl'), 'utf8');

const posizioni = {
  RSSMRA80A01A662A: [
    { tributo: 'TARI', anno: 2024, importo: '182.50', scadenza: '2024-07-31', stato: 'pagato' },
    { tributo: 'IMU', anno: 2024, importo: '410.00', scadenza: '2024-12-16', stato: 'da pagare' },
  ],
  VRDGPP80A01A662B: [],
};

// Throws the fault node-soap serialises for the envelope's version.
function clientFault(soap12, text) {
  if (soap12) {
    throw { Fault: { Code: { Value: 'soap:Sender' }, Reason: { Text: text }, statusCode: 400 } };
  }
  throw { Fault: { faultcode: 'soap:Client', faultstring: text, statusCode: 500 } };
}

// Positions the vendor refuses with a fault of its own: an error code and a description (which
// names the citizen, as such details do) in the fault's detail.
const sospese = { BLCMRA80A01A662C: 'TRB-042' };

function vendorFault(soap12, cf) {
  const detail = {
    erroreTributi: {
      attributes: { xmlns: 'urn:comune:tributi:errori' },
      codice: sospese[cf],
      descrizione: `posizione di ${cf} sospesa per ricorso pendente`,
    },
  };
  if (soap12) {
    throw {
      Fault: {
        Code: { Value: 'soap:Sender' },
        Reason: { Text: 'posizione sospesa' },
        Detail: detail,
        statusCode: 400,
      },
    };
  }
  throw {
    Fault: { faultcode: 'soap:Client', faultstring: 'posizione sospesa', detail, statusCode: 500 },
  };
}

function elencoPosizioni(soap12) {
  return (args) => {
    const cf = String(args.codiceFiscale);
    const anno = Number(args.anno);
    if (cf in sospese) vendorFault(soap12, cf);
    if (!(cf in posizioni)) clientFault(soap12, 'codice fiscale sconosciuto');
    return { posizione: posizioni[cf].filter((p) => p.anno === anno) };
  };
}

const services = {
  TributiService: {
    TributiSoap: { ElencoPosizioni: elencoPosizioni(false) },
    TributiSoap12: { ElencoPosizioni: elencoPosizioni(true) },
  },
};

// node-soap reads elements with attributes as { attributes, $value }.
const text = (value) => (value && typeof value === 'object' ? value.$value : value);

function authenticate(security) {
  const token = security && security.UsernameToken;
  if (!token || !password) return false;
  const type = token.Password && token.Password.attributes && token.Password.attributes.Type;
  if (!String(type).endsWith('#PasswordDigest')) return false;
  const expected = soap.passwordDigest(text(token.Nonce), text(token.Created), password);
  return token.Username === 'bus-bari' && text(token.Password) === expected;
}

const server = http.createServer((request, response) => {
  response.statusCode = 404;
  response.end();
});

server.listen(0, '127.0.0.1', () => {
  const soap11 = soap.listen(server, { path: '/tributi', services, xml: wsdl });
  const soap12 = soap.listen(server, {
    path: '/tributi12',
    services,
    xml: wsdl,
    forceSoap12Headers: true,
  });
  soap11.authenticate = authenticate;
  soap12.authenticate = authenticate;
  process.stdout.write(`${server.address().port}\n`);
});

// Exit at once: kept-alive connections from the bus would hold a graceful close open.
process.on('SIGTERM', () => process.exit(0));
