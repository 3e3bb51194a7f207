// A third-party SOAP client (node-soap) for the soap inbound handler's interop test
// (soap_interop_test.cpp): loads the WSDL the bus serves, calls ElencoPosizioni on the SOAP
// 1.1 or 1.2 port, and prints one JSON line: {"result": ...} or {"fault": ..., "status": N}.
//   node soap_client.js WSDL_URL CODICE_FISCALE ANNO [1.1|1.2]
// With EGOV_API_KEY set, the WSDL request and the call carry `Authorization: Bearer <key>`.
'use strict';

const soap = require('soap');

const [wsdlUrl, codiceFiscale, anno, version = '1.1'] = process.argv.slice(2);
const soap12 = version === '1.2';

function print(value) {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

const key = process.env.EGOV_API_KEY;
const authorization = key ? { Authorization: `Bearer ${key}` } : {};

soap
  .createClientAsync(wsdlUrl, { forceSoap12Headers: soap12, wsdl_headers: authorization })
  .then((client) => {
    for (const [name, value] of Object.entries(authorization)) client.addHttpHeader(name, value);
    const port = client.TributiService[soap12 ? 'TributiSoap12' : 'TributiSoap'];
    port.ElencoPosizioni({ codiceFiscale, anno }, (error, result) => {
      if (!error) return print({ result });
      const body = error.root && error.root.Envelope && error.root.Envelope.Body;
      if (body && body.Fault) {
        return print({ fault: body.Fault, status: error.response && error.response.status });
      }
      process.stderr.write(`${error.stack || error}\n`);
      process.exit(2);
    });
  })
  .catch((error) => {
    process.stderr.write(`${error.stack || error}\n`);
    process.exit(2);
  });
