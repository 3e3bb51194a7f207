// A PDND authorization server and ANPR e-services (C030, C020, C021, C015, C008) in one
// process, for the anpr adapter's tests and for demos. It checks what the real providers check
// (see ../../../shared/reference/anpr/README.md) with a third-party JOSE implementation (npm
// `jose`), and answers with the real shapes: PDND's problem+json with errors[].code on the
// token endpoint, RispostaE002OK / RispostaKO (listaErrori) and RFC 7807 gateway errors on the
// e-services.
//
//   node tools/pdnd-sim/server.js CONFIG.json
//
// CONFIG: {
//   "assertion_audience": "auth.uat.interop.pagopa.it/client-assertion",   (this default)
//   "clients": [{ "client_id": "...", "kid": "...", "public_key_file": "pem path",
//                 "purposes": { "<purposeId>": "C020", ... } }],
//   "quotas": { "C020": 2000 },             calls per client and e-service (a "day")
//   "registry": "registry.json",            residents; relative to this folder
//   "demo_data": "var/demo"                 optional: demo/generate.py's output; its citizens
//                                           become residents too (relative to CONFIG's folder)
// }
// Relative paths in CONFIG are relative to CONFIG's folder (registry: to this folder).
// Listens on 127.0.0.1 (EGOV_SIM_LISTEN=host:port to change it; port 0 by default) and prints
// the port alone on the first line of stdout. Every refusal carries X-Simulator-Reason (a
// real provider says less) so tests can tell which check refused.
//
// Control (tests and demos): GET /sim/stats (counters, refusals by reason, and `last_audit`:
// the audit claims of the last TrackingEvidence accepted); POST /sim/quota
// {"eservice":"C020","remaining":0,"retry_after":120}; POST /sim/token-limit {"remaining":0,
// "retry_after":30} (the token endpoint answers 429 once `remaining` more vouchers are issued);
// POST /sim/reset (counters, quotas and the token limit, not the jti memory).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');
const { createRequire } = require('module');

// jose is installed with the other test packages (tests/interop/package.json, `make deps`).
const jose = createRequire(path.join(__dirname, '../../tests/interop/package.json'))('jose');

const MAX_BODY = 1024 * 1024;
const IAT_MAX_AGE = 300;  // seconds: iat at most 5 minutes old
const IAT_MAX_SKEW = 5;   // seconds: iat at most 5 s in the future
const VOUCHER_TTL = 600;
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const PDND_PORT = '/govway/rest/in/MinInternoPortaANPR-PDND/';
const ESERVICES = {
  C030: 'C030-servizioAccertamentoIdUnicoNazionale',
  C020: 'C020-servizioAccertamentoResidenza',
  C021: 'C021-servizioAccertamentoStatoFamiglia',
  C015: 'C015-servizioAccertamentoGeneralita',
  C008: 'C008-servizioVerificaDichResidenza',
};

const configPath = process.argv[2];
if (!configPath) {
  console.error('usage: node server.js CONFIG.json');
  process.exit(2);
}
const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
const configDir = path.dirname(path.resolve(configPath));
const assertionAudience =
  config.assertion_audience || 'auth.uat.interop.pagopa.it/client-assertion';
const registry = JSON.parse(
  fs.readFileSync(path.resolve(__dirname, config.registry || 'registry.json'), 'utf8'));
if (config.demo_data) addDemoResidents(path.resolve(configDir, config.demo_data));

// The citizens demo/generate.py made (OUT/index.json, OUT/{istat}/data.json) as ANPR subjects:
// each their own family, the residence the generator gave them, an idANPR derived from the
// fiscal code (stable across runs).
function addDemoResidents(dir) {
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
  const places = {};
  for (const [istat, m] of Object.entries(index)) places[m.cadastral_code] = { istat, name: m.name };
  for (const istat of Object.keys(index)) {
    const data = JSON.parse(fs.readFileSync(path.join(dir, istat, 'data.json'), 'utf8'));
    for (const p of data.people) {
      const r = p.residence;
      const [specie, ...rest] = r.street.split(' ');
      const born = places[p.fiscal_code.slice(11, 15)];
      const hash = crypto.createHash('sha256').update(p.fiscal_code).digest('hex').toUpperCase();
      const comune = (code, name) => ({ nomeComune: name.toUpperCase(), codiceIstat: code,
                                        siglaProvinciaIstat: 'BA' });
      registry.soggetti[p.fiscal_code] = {
        idANPR: hash.replace(/[^A-Z]/g, 'X').slice(0, 2) + hash.slice(2, 7) + 'AA',
        generalita: {
          codiceFiscale: { codFiscale: p.fiscal_code, validitaCF: '1' },
          cognome: p.surname.toUpperCase(), nome: p.name.toUpperCase(), sesso: p.sex,
          dataNascita: p.born,
          luogoNascita: born ? { comune: comune(born.istat, born.name) } : undefined,
        },
        residenza: [{
          tipoIndirizzo: '1',
          indirizzo: {
            cap: r.postal_code,
            comune: comune(r.istat, r.municipality),
            toponimo: { specie: specie.toUpperCase(), denominazioneToponimo: rest.join(' ').toUpperCase() },
            numeroCivico: { numero: r.number },
          },
        }],
        famiglia: `F-${p.fiscal_code}`,
        legame: { codiceLegame: '1', descrizioneLegame: 'INTESTATARIO SCHEDA' },
      };
    }
  }
}

const clients = new Map();
for (const c of config.clients || []) {
  const pem = fs.readFileSync(path.resolve(configDir, c.public_key_file), 'utf8');
  clients.set(c.client_id, { ...c, key: crypto.createPublicKey(pem) });
}

const stats = { token_requests: 0, tokens_issued: 0, eservice_calls: 0, eservice_ok: 0,
                refusals: {}, last_audit: null };
const quotas = new Map();        // "client|C020" -> remaining
const retryAfter = new Map();    // "client|C020" -> seconds to announce
const seenJti = new Map();       // jti -> expiry (s), for replay detection
let tokenLimit = null;           // {remaining, retry_after}: PDND's rate limit, when set
let voucherKeys;                 // the simulated PDND's own signing key pair

function now() {
  return Math.floor(Date.now() / 1000);
}

class Refusal extends Error {
  constructor(status, reason, body) {
    super(reason);
    this.status = status;
    this.reason = reason;
    this.body = body;
  }
}

// --- PDND token endpoint ---------------------------------------------------------------

function pdndError(reason) {
  return new Refusal(400, reason, {
    correlationId: crypto.randomUUID(),
    errors: [{ code: '015-0008', detail: 'Unable to generate a token for the given request' }],
    status: 400,
    title: 'The request contains bad syntax or cannot be fulfilled.',
    type: 'about:blank',
  });
}

function rememberJti(jti, exp, onReplay) {
  const t = now();
  for (const [k, e] of seenJti) if (e < t - IAT_MAX_AGE) seenJti.delete(k);
  if (seenJti.has(jti)) throw onReplay();
  seenJti.set(jti, exp);
}

// Verifies a JWS of `client` and the claims every ModI/PDND token must have right.
async function verifyModi(token, client, audience, refuse, what) {
  let header;
  try {
    header = jose.decodeProtectedHeader(token);
  } catch (e) {
    throw refuse(`${what}: not a JWS`);
  }
  if (header.alg !== 'RS256') throw refuse(`${what}: alg must be RS256`);
  if (header.typ !== 'JWT') throw refuse(`${what}: typ must be JWT`);
  if (header.kid !== client.kid) throw refuse(`${what}: unknown kid`);
  let payload;
  try {
    ({ payload } = await jose.jwtVerify(token, client.key, {
      algorithms: ['RS256'], audience, clockTolerance: 0,
    }));
  } catch (e) {
    if (e.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw refuse(`${what}: signature`);
    if (e.code === 'ERR_JWT_EXPIRED') throw refuse(`${what}: exp`);
    if (e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && e.claim === 'aud')
      throw refuse(`${what}: aud`);
    throw refuse(`${what}: ${e.code || e.message}`);
  }
  const t = now();
  if ('nbf' in payload) throw refuse(`${what}: nbf is not allowed`);
  if (!Number.isInteger(payload.iat) || !Number.isInteger(payload.exp))
    throw refuse(`${what}: iat and exp must be integers`);
  if (t - payload.iat > IAT_MAX_AGE) throw refuse(`${what}: iat too old`);
  if (payload.iat - t > IAT_MAX_SKEW) throw refuse(`${what}: iat in the future`);
  if (payload.exp <= t) throw refuse(`${what}: exp`);
  if (payload.iss !== client.client_id) throw refuse(`${what}: iss`);
  if (payload.sub !== client.client_id) throw refuse(`${what}: sub`);
  if (typeof payload.jti !== 'string' || payload.jti === '') throw refuse(`${what}: jti missing`);
  return payload;
}

// The audience PDND puts in a voucher: the e-service's, as registered in the catalogue (its
// URL without -PDND in the port name). This process serves both, under one host.
function audienceOf(req, code) {
  return `http://${req.headers.host}/govway/rest/in/MinInternoPortaANPR/${ESERVICES[code]}/v1`;
}

async function token(req, body) {
  stats.token_requests++;
  if ((req.headers['content-type'] || '').split(';')[0].trim() !==
      'application/x-www-form-urlencoded')
    throw pdndError('content type must be application/x-www-form-urlencoded');
  const form = new URLSearchParams(body.toString('utf8'));
  if (form.get('grant_type') !== 'client_credentials') throw pdndError('grant_type');
  if (form.get('client_assertion_type') !== ASSERTION_TYPE)
    throw pdndError('client_assertion_type');
  const client = clients.get(form.get('client_id') || '');
  if (!client) throw pdndError('unknown client_id');
  if (tokenLimit && tokenLimit.remaining <= 0) {
    const refusal = new Refusal(429, 'token rate limit', {
      correlationId: crypto.randomUUID(), status: 429, title: 'Too Many Requests',
      detail: 'Too many requests for this client', type: 'about:blank',
    });
    refusal.retryAfter = tokenLimit.retry_after;
    throw refusal;
  }
  const assertion = form.get('client_assertion') || '';
  const claims =
    await verifyModi(assertion, client, assertionAudience, pdndError, 'client assertion');
  const code = client.purposes[claims.purposeId];
  if (!code) throw pdndError('client assertion: purposeId not of this client');
  const digest = claims.digest;
  if (!digest || digest.alg !== 'SHA256' || !/^[0-9a-f]{64}$/.test(digest.value || ''))
    throw pdndError('client assertion: digest {alg: SHA256, value: hex} required (AUDIT_REST_02)');
  rememberJti(claims.jti, claims.exp, () => pdndError('client assertion: jti replayed'));

  const t = now();
  const voucher = await new jose.SignJWT({
    client_id: client.client_id, purposeId: claims.purposeId, digest,
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'pdnd-sim' })
    .setIssuer('pdnd-sim.interop.pagopa.it')
    .setSubject(client.client_id)
    .setAudience(audienceOf(req, code))
    .setJti(crypto.randomUUID())
    .setIssuedAt(t)
    .setExpirationTime(t + VOUCHER_TTL)
    .sign(voucherKeys.privateKey);
  stats.tokens_issued++;
  if (tokenLimit) tokenLimit.remaining--;
  return { status: 200, type: 'application/json',
           body: { access_token: voucher, token_type: 'Bearer', expires_in: VOUCHER_TTL } };
}

// --- ANPR e-services -------------------------------------------------------------------

function gatewayError(status, title, reason) {
  return new Refusal(status, reason, {
    type: `https://govway.org/handling-errors/${status}/${title}.html`,
    title, status, detail: 'Richiesta non valida',
    govway_id: crypto.randomUUID(),
  });
}
const invalid = (reason) => gatewayError(400, 'InteroperabilityInvalidRequest', reason);

function anprKo(status, code, text, field, reason) {
  return new Refusal(status, reason || text, {
    idOperazioneANPR: String(Date.now()),
    listaErrori: [{
      codiceErroreAnomalia: code, tipoErroreAnomalia: 'E', testoErroreAnomalia: text,
      oggettoErroreAnomalia: field ? 'criteriRicerca' : undefined,
      campoErroreAnomalia: field, valoreErroreAnomalia: undefined,
    }],
  });
}

function residenzaOf(soggetto) {
  if (soggetto.residenza) return soggetto.residenza;
  const head = Object.values(registry.soggetti).find(
    (s) => s.famiglia === soggetto.famiglia && s.residenza);
  return head ? head.residenza : [];
}

function subject(code, soggetto) {
  const base = { generalita: soggetto.generalita, identificativi: { idANPR: soggetto.idANPR } };
  if (code === 'C030') return { identificativi: { idANPR: soggetto.idANPR } };
  if (code === 'C020') return { ...base, residenza: residenzaOf(soggetto) };
  if (code === 'C021') return { ...base, legameSoggetto: soggetto.legame };
  return base;
}

function answer(code, request) {
  const criteri = request.criteriRicerca || {};
  let soggetto;
  if (typeof criteri.codiceFiscale === 'string') {
    soggetto = registry.soggetti[criteri.codiceFiscale];
  } else if (typeof criteri.idANPR === 'string') {
    soggetto = Object.values(registry.soggetti).find((s) => s.idANPR === criteri.idANPR);
  } else {
    throw anprKo(400, 'EN145', 'Criteri di ricerca insufficienti', 'codiceFiscale');
  }
  if (!soggetto) {
    throw anprKo(404, 'EN122', 'Il soggetto non e\' presente in ANPR', undefined,
                 'subject not found');
  }
  let soggetti = [subject(code, soggetto)];
  if (code === 'C021') {
    soggetti = Object.values(registry.soggetti)
      .filter((s) => s.famiglia === soggetto.famiglia)
      .map((s) => subject(code, s));
  }
  return { idOperazioneANPR: String(Date.now()), listaSoggetti: { datiSoggetto: soggetti },
           listaAnomalie: [] };
}

function checkRichiesta(code, request) {
  const required = (ok, field) => {
    if (!ok) throw anprKo(400, 'EN001', `Campo obbligatorio mancante o errato: ${field}`, field);
  };
  required(request && typeof request === 'object', 'RichiestaE002');
  required(typeof request.idOperazioneClient === 'string' && request.idOperazioneClient,
           'idOperazioneClient');
  required(request.criteriRicerca && typeof request.criteriRicerca === 'object', 'criteriRicerca');
  const dati = request.datiRichiesta;
  required(dati && typeof dati === 'object', 'datiRichiesta');
  required(/^\d{4}-\d{2}-\d{2}$/.test(dati.dataRiferimentoRichiesta || ''),
           'dataRiferimentoRichiesta');
  required(typeof dati.motivoRichiesta === 'string' && dati.motivoRichiesta,
           'motivoRichiesta');
  required(dati.casoUso === code, 'casoUso');
}

async function eservice(req, body, code) {
  stats.eservice_calls++;
  const audience = audienceOf(req, code);

  // 1. The voucher: issued by this PDND, for this e-service, not expired.
  const auth = req.headers.authorization || '';
  if (!auth.startsWith('Bearer '))
    throw gatewayError(401, 'TokenAuthenticationFailed', 'voucher missing');
  let voucher;
  try {
    ({ payload: voucher } = await jose.jwtVerify(auth.slice(7), voucherKeys.publicKey, {
      algorithms: ['RS256'], audience, clockTolerance: 0,
    }));
  } catch (e) {
    throw gatewayError(401, 'TokenAuthenticationFailed', `voucher: ${e.code || e.message}`);
  }
  const client = clients.get(voucher.client_id);
  if (!client || client.purposes[voucher.purposeId] !== code)
    throw gatewayError(403, 'AuthorizationDeny', 'voucher: purpose not for this e-service');

  // 2. AUDIT_REST_02: the TrackingEvidence, and the voucher bound to it by its digest.
  const evidence = req.headers['agid-jwt-trackingevidence'];
  if (!evidence) throw invalid('Agid-JWT-TrackingEvidence missing');
  const audit = await verifyModi(evidence, client, audience, invalid, 'TrackingEvidence');
  if (audit.purposeId !== voucher.purposeId) throw invalid('TrackingEvidence: purposeId');
  for (const claim of ['userID', 'userLocation', 'LoA']) {
    if (typeof audit[claim] !== 'string' || audit[claim] === '')
      throw invalid(`TrackingEvidence: ${claim} missing`);
  }
  if (!Number.isInteger(audit.dnonce)) throw invalid('TrackingEvidence: dnonce missing');
  const evidenceDigest = crypto.createHash('sha256').update(evidence).digest('hex');
  if (!voucher.digest || voucher.digest.value !== evidenceDigest)
    throw invalid('voucher not bound to this TrackingEvidence');
  stats.last_audit = { eservice: code, purposeId: audit.purposeId, userID: audit.userID,
                       userLocation: audit.userLocation, LoA: audit.LoA };

  // 3. INTEGRITY_REST_02: Digest of the exact body, signed with the headers it names.
  const contentType = req.headers['content-type'];
  if (contentType !== 'application/json') throw invalid('Content-Type must be application/json');
  const digest = req.headers.digest;
  const expected = 'SHA-256=' + crypto.createHash('sha256').update(body).digest('base64');
  if (digest !== expected) throw invalid('Digest does not match the body');
  const signatureJws = req.headers['agid-jwt-signature'];
  if (!signatureJws) throw invalid('Agid-JWT-Signature missing');
  const signature = await verifyModi(signatureJws, client, audience, invalid, 'Agid-JWT-Signature');
  const signed = signature.signed_headers;
  if (!Array.isArray(signed)) throw invalid('Agid-JWT-Signature: signed_headers missing');
  const names = new Set();
  for (const entry of signed) {
    const keys = entry && typeof entry === 'object' ? Object.keys(entry) : [];
    if (keys.length !== 1) throw invalid('Agid-JWT-Signature: bad signed_headers entry');
    const name = keys[0];
    if (name !== name.toLowerCase()) throw invalid('signed_headers: names must be lower case');
    if (req.headers[name] !== entry[name])
      throw invalid(`signed_headers: ${name} differs from the header sent`);
    names.add(name);
  }
  if (!names.has('digest') || !names.has('content-type'))
    throw invalid('signed_headers must include digest and content-type');
  rememberJti(signature.jti, signature.exp,
              () => gatewayError(409, 'Conflict', 'Agid-JWT-Signature: jti replayed'));

  // 4. Quotas.
  const quotaKey = `${client.client_id}|${code}`;
  if (!quotas.has(quotaKey)) quotas.set(quotaKey, (config.quotas || {})[code] ?? 2000);
  if (quotas.get(quotaKey) <= 0) {
    const refusal = gatewayError(429, 'LimitExceeded', 'quota exceeded');
    refusal.retryAfter = retryAfter.get(quotaKey) ?? 3600;
    throw refusal;
  }
  quotas.set(quotaKey, quotas.get(quotaKey) - 1);

  // 5. The request itself.
  let request;
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw anprKo(400, 'EN001', 'Richiesta non leggibile', undefined, 'body is not JSON');
  }
  checkRichiesta(code, request);
  const reply = answer(code, request);
  stats.eservice_ok++;
  return { status: 200, type: 'application/json', body: reply };
}

// --- HTTP ------------------------------------------------------------------------------

function control(req, body) {
  if (req.method === 'GET' && req.url === '/sim/stats')
    return { status: 200, type: 'application/json', body: stats };
  if (req.method === 'POST' && req.url === '/sim/quota') {
    const q = JSON.parse(body.toString('utf8'));
    for (const client of clients.keys()) {
      quotas.set(`${client}|${q.eservice}`, q.remaining);
      if (q.retry_after !== undefined) retryAfter.set(`${client}|${q.eservice}`, q.retry_after);
    }
    return { status: 204 };
  }
  if (req.method === 'POST' && req.url === '/sim/token-limit') {
    const q = JSON.parse(body.toString('utf8'));
    tokenLimit = { remaining: q.remaining, retry_after: q.retry_after ?? 60 };
    return { status: 204 };
  }
  if (req.method === 'POST' && req.url === '/sim/reset') {
    quotas.clear();
    retryAfter.clear();
    tokenLimit = null;
    Object.assign(stats, { token_requests: 0, tokens_issued: 0, eservice_calls: 0,
                           eservice_ok: 0, refusals: {}, last_audit: null });
    return { status: 204 };
  }
  return null;
}

async function route(req, body) {
  if (req.url.startsWith('/sim/')) {
    const reply = control(req, body);
    if (reply) return reply;
  }
  if (req.method === 'POST' && req.url === '/token.oauth2') return token(req, body);
  if (req.url.startsWith(PDND_PORT)) {
    const rest = req.url.slice(PDND_PORT.length);
    for (const [code, name] of Object.entries(ESERVICES)) {
      if (req.method === 'POST' && rest === `${name}/v1/anpr-service-e002`)
        return eservice(req, body, code);
      if (req.method === 'GET' && rest === `${name}/v1/status`)
        return { status: 200, type: 'application/json', body: { status: 'OK' } };
    }
  }
  throw gatewayError(404, 'UnknownResource', `no such resource: ${req.method} ${req.url}`);
}

function send(res, reply, reason) {
  const headers = {};
  if (reason) headers['X-Simulator-Reason'] = reason;
  if (reply.retryAfter !== undefined) headers['Retry-After'] = String(reply.retryAfter);
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  headers['Content-Type'] = reply.type;
  res.writeHead(reply.status, headers);
  res.end(JSON.stringify(reply.body));
}

function serve(req, res) {
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) {
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', async () => {
    const body = Buffer.concat(chunks);
    try {
      send(res, await route(req, body));
    } catch (e) {
      if (!(e instanceof Refusal)) {
        console.error(e);
        send(res, { status: 500, type: 'application/problem+json',
                    body: { type: 'about:blank', title: 'Internal', status: 500 } }, 'bug');
        return;
      }
      stats.refusals[e.reason] = (stats.refusals[e.reason] || 0) + 1;
      send(res, { status: e.status, type: 'application/problem+json', body: e.body,
                  retryAfter: e.retryAfter }, e.reason);
    }
  });
}

async function main() {
  voucherKeys = await jose.generateKeyPair('RS256');
  const [host, port] = (process.env.EGOV_SIM_LISTEN || '127.0.0.1:0').split(':');
  const server = http.createServer(serve);
  server.listen(Number(port), host, () => {
    process.stdout.write(`${server.address().port}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
  process.on('SIGINT', () => server.close(() => process.exit(0)));
}

main();
