// Verifies, with a third-party JOSE implementation (npm jose), the ModI tokens the anpr
// adapter actually sent (captured by anpr_sim_test.cpp): the client assertion of the voucher
// request, Agid-JWT-TrackingEvidence, Agid-JWT-Signature, and the Digest of the body.
//
//   node verify_modi.js PUBLIC_KEY.pem CAPTURE.json     prints "ok", or the failure and exits 1
//
// CAPTURE: {client_id, kid, assertion_audience, audience, purpose_id, form, headers, body}
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const jose = require('jose');

function fail(message) {
  console.log(message);
  process.exit(1);
}
function expect(condition, message) {
  if (!condition) fail(message);
}
function sameSet(actual, expected, what) {
  const a = [...actual].sort().join(',');
  const e = [...expected].sort().join(',');
  expect(a === e, `${what}: claims ${a}, expected ${e}`);
}

async function verify(token, key, options, what) {
  const header = jose.decodeProtectedHeader(token);
  expect(header.alg === 'RS256', `${what}: alg ${header.alg}`);
  expect(header.typ === 'JWT', `${what}: typ ${header.typ}`);
  expect(header.kid === options.kid, `${what}: kid ${header.kid}`);
  const { payload } = await jose.jwtVerify(token, key, {
    algorithms: ['RS256'], audience: options.audience, issuer: options.client_id,
    subject: options.client_id, maxTokenAge: '5m', clockTolerance: 5,
  });
  expect(Number.isInteger(payload.iat) && Number.isInteger(payload.exp),
         `${what}: iat/exp not integers`);
  expect(!('nbf' in payload), `${what}: has nbf`);
  expect(typeof payload.jti === 'string' && payload.jti.length > 0, `${what}: no jti`);
  return payload;
}

async function main() {
  const key = crypto.createPublicKey(fs.readFileSync(process.argv[2], 'utf8'));
  const c = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
  const h = c.headers;
  const common = { kid: c.kid, client_id: c.client_id };

  const form = new URLSearchParams(c.form);
  expect(form.get('grant_type') === 'client_credentials', 'grant_type');
  expect(form.get('client_id') === c.client_id, 'client_id');
  expect(form.get('client_assertion_type') ===
         'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', 'client_assertion_type');

  const te = h['agid-jwt-trackingevidence'];
  const audit = await verify(te, key, { ...common, audience: c.audience }, 'TrackingEvidence');
  sameSet(Object.keys(audit), ['iss', 'sub', 'aud', 'iat', 'exp', 'jti', 'purposeId', 'dnonce',
                               'userID', 'userLocation', 'LoA'], 'TrackingEvidence');
  expect(audit.purposeId === c.purpose_id, 'TrackingEvidence purposeId');

  const assertion = await verify(form.get('client_assertion'), key,
                                 { ...common, audience: c.assertion_audience }, 'assertion');
  sameSet(Object.keys(assertion),
          ['iss', 'sub', 'aud', 'iat', 'exp', 'jti', 'purposeId', 'digest'], 'assertion');
  expect(assertion.purposeId === c.purpose_id, 'assertion purposeId');
  expect(assertion.digest.alg === 'SHA256', 'assertion digest.alg');
  expect(assertion.digest.value === crypto.createHash('sha256').update(te).digest('hex'),
         'assertion digest.value is not the hex SHA-256 of the TrackingEvidence sent');

  const digest = 'SHA-256=' + crypto.createHash('sha256').update(c.body, 'utf8').digest('base64');
  expect(h.digest === digest, `Digest ${h.digest}, body hashes to ${digest}`);
  const signature = await verify(h['agid-jwt-signature'], key,
                                 { ...common, audience: c.audience }, 'Agid-JWT-Signature');
  sameSet(Object.keys(signature), ['iss', 'sub', 'aud', 'iat', 'exp', 'jti', 'signed_headers'],
          'Agid-JWT-Signature');
  expect(JSON.stringify(signature.signed_headers) ===
         JSON.stringify([{ digest: h.digest }, { 'content-type': h['content-type'] }]),
         `signed_headers ${JSON.stringify(signature.signed_headers)}`);
  expect(h['content-type'] === 'application/json', 'content-type');
  console.log('ok');
}

main().catch((e) => fail(`${e.code || ''} ${e.message}`));
