// The back-end of the pagopa-soap profile for tests and benchmarks: node-soap serving
// posizioni.wsdl at /posizioni, as a municipality's payments product would. Positions are
// fixed (see `positions`); CreaPosizione adds one per (codiceFiscale, servizio).
// RegistraPagamento records receipts: GET /ricevute answers {idRicevuta: deliveries}, and
// GET /guasto?n=N makes the next N RegistraPagamento calls fail with a Server fault.
// SLOW_MS (default 3000) is how long position 7 takes to answer. Listens on 127.0.0.1, on a
// port the system picks, printed alone on the first line of stdout. Stops on SIGTERM.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const soap = require('soap');

const wsdl = fs.readFileSync(path.join(__dirname, 'posizioni.wsdl'), 'utf8');
const slowMs = Number(process.env.SLOW_MS || 3000);

const mario = {
  tipo: 'F', codiceFiscale: 'RSSMRA80A01A662A', nominativo: 'Mario Rossi',
  indirizzo: 'Via Sparano', civico: '10', cap: '70121', comune: 'Bari', provincia: 'BA',
  email: 'mario.rossi@example.it',
};
const voce = (importo, causale, extra = {}) => ({
  importo, iban: 'IT60X0542811101000000123456', causale, tassonomia: '9/0101108TS/', ...extra,
});
const payable = (numero, importo, voci, extra = {}) => ({
  numero, stato: 'DA_PAGARE', importo, scadenza: '31/12/2030', causale: 'TARI 2026 - rata unica',
  ufficio: 'Ufficio Tributi', debitore: mario, voce: voci, ...extra,
});

const positions = new Map([
  // TARI and, for the Città Metropolitana, TEFA: one transfer each.
  [1, payable(1, '120,00', [voce('100,00', 'TARI 2026'),
    voce('20,00', 'TEFA 2026', { ente: '80000190729', iban: 'IT15V0200802450000103355066' })])],
  [2, { ...payable(2, '50,00', [voce('50,00', 'TARI')]), stato: 'PAGATA' }],
  [3, { ...payable(3, '50,00', [voce('50,00', 'TARI')]), stato: 'SCADUTA' }],
  [4, { ...payable(4, '50,00', [voce('50,00', 'TARI')]), stato: 'ANNULLATA' }],
  [5, { ...payable(5, '50,00', [voce('50,00', 'TARI')]), stato: 'IN_PAGAMENTO' }],
  // Only postal accounts (Poste Italiane, ABI 07601): allCCP.
  [6, payable(6, '35,50', [voce('35,50', 'Mensa', { iban: 'IT57B0760103200000012345678' })],
    { causale: 'Mensa scolastica marzo' })],
  [7, payable(7, '10,00', [voce('10,00', 'Lenta')])],
  // Transfers that do not add up to the amount: the bus must not pass this on.
  [8, payable(8, '50,00', [voce('40,00', 'Errata')])],
  // Six transfers: one more than pagoPA allows.
  [10, payable(10, '6,00', [1, 2, 3, 4, 5, 6].map((i) => voce('1,00', `Quota ${i}`)))],
]);

const services = { TARI_2026: '182,50', MENSA_2026: '45,00' };
const created = new Map();  // "cf|servizio" -> numero
let nextNumero = 1000;
const receipts = {};
let failures = 0;

function serverFault(text) {
  throw { Fault: { faultcode: 'soap:Server', faultstring: text, statusCode: 500 } };
}

const implementation = {
  PosizioniService: {
    PosizioniSoap: {
      CercaPosizione(args, callback) {
        const numero = Number(args.numero);
        if (numero === 9) {
          callback({ Fault: { faultcode: 'soap:Server', faultstring: 'archivio non disponibile', statusCode: 500 } });
          return;
        }
        const found = positions.get(numero);
        const answer = found ? { esito: 'TROVATA', posizione: found } : { esito: 'NON_TROVATA' };
        setTimeout(() => callback(null, answer), numero === 7 ? slowMs : 0);
      },
      CreaPosizione(args) {
        const servizio = String(args.servizio);
        if (!(servizio in services)) return { esito: 'SERVIZIO_SCONOSCIUTO' };
        const key = `${args.codiceFiscale}|${servizio}`;
        if (!created.has(key)) {
          const numero = nextNumero++;
          created.set(key, numero);
          positions.set(numero, payable(numero, services[servizio], [voce(services[servizio], servizio)],
            { causale: servizio.replace('_', ' '), debitore: { ...mario, codiceFiscale: String(args.codiceFiscale) } }));
        }
        return { esito: 'OK', posizione: positions.get(created.get(key)) };
      },
      RegistraPagamento(args) {
        if (failures > 0) {
          failures -= 1;
          serverFault('registro pagamenti non disponibile');
        }
        const id = String(args.idRicevuta);
        receipts[id] = (receipts[id] || 0) + 1;
        return { esito: 'OK' };
      },
    },
  },
};

const server = http.createServer((request, response) => {
  const url = new URL(request.url, 'http://127.0.0.1');
  if (url.pathname === '/ricevute') {
    response.setHeader('Content-Type', 'application/json');
    response.end(JSON.stringify(receipts));
    return;
  }
  if (url.pathname === '/guasto') {
    failures = Number(url.searchParams.get('n') || 0);
    response.end('ok');
    return;
  }
  response.statusCode = 404;
  response.end();
});

server.listen(0, '127.0.0.1', () => {
  soap.listen(server, { path: '/posizioni', services: implementation, xml: wsdl });
  process.stdout.write(`${server.address().port}\n`);
});

process.on('SIGTERM', () => process.exit(0));
