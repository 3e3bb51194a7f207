// The pagoPA node's side of the creditor interface, played by a third-party SOAP stack:
// node-soap loads the official paForNode.wsdl (../shared/reference/pagopa, with its XSD
// imports) and calls every operation of it against a running bus.
//   node pagopa_node_client.js <paForNode.wsdl> <bus endpoint URL> <requests.json>
// requests.json: [{ "operation": "paVerifyPaymentNotice", "args": {...} }, ...]. Prints one
// JSON array: per request the parsed response (outcome, fault, ...) or {"error": text}.
// With EGOV_API_KEY set, every call carries `Authorization: Bearer <key>`.
'use strict';

const fs = require('fs');
const soap = require('soap');

async function main() {
  const [wsdl, endpoint, requestsFile] = process.argv.slice(2);
  const requests = JSON.parse(fs.readFileSync(requestsFile, 'utf8'));
  const client = await soap.createClientAsync(wsdl, { endpoint });
  if (process.env.EGOV_API_KEY) {
    client.addHttpHeader('Authorization', `Bearer ${process.env.EGOV_API_KEY}`);
  }
  const results = [];
  for (const { operation, args } of requests) {
    try {
      const [result] = await client[`${operation}Async`](args);
      results.push(result);
    } catch (error) {
      results.push({ error: String(error && error.message ? error.message : error) });
    }
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

main().catch((error) => {
  process.stdout.write(`${JSON.stringify([{ error: String(error) }])}\n`);
  process.exit(1);
});
