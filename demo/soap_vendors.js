// The two SOAP vendors of the demo, on a third-party SOAP stack (node-soap), serving the data
// demo/generate.py wrote:
//   /gestionale-a   vendor A, SOAP 1.1 (vendor-a.wsdl): one hosted service for many
//                   municipalities; each request names its municipality by codiceEnte
//                   (the cadastral code).
//   /municipium-b   vendor B, SOAP 1.2 (vendor-b.wsdl), WS-Security UsernameToken with a
//                   PasswordDigest of EGOV_DEMO_SOAPB_PASSWORD; the username bus-{istat}
//                   names the municipality.
// Bookings live in memory: a slot already booked is refused (the vendor's answer, checked
// and updated in one synchronous step, so two concurrent requests cannot both get it).
//
// Usage: node soap_vendors.js DATA_DIR PORT   (PORT 0: the system picks; printed on stdout)
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const soap = require('soap');

const [dataDir, portArg] = process.argv.slice(2);
const password = process.env.EGOV_DEMO_SOAPB_PASSWORD || '';
const index = JSON.parse(fs.readFileSync(path.join(dataDir, 'index.json'), 'utf8'));
const byCadastral = {};
for (const [istat, m] of Object.entries(index)) byCadastral[m.cadastral_code] = istat;

const municipalities = {};
function municipality(istat) {
  if (!istat || !index[istat]) return null;
  if (!municipalities[istat]) {
    const data = JSON.parse(fs.readFileSync(path.join(dataDir, istat, 'data.json'), 'utf8'));
    data.slotById = Object.fromEntries(data.slots.map((s) => [s.id, s]));
    data.officeName = Object.fromEntries(data.offices.map((o) => [o.code, o.name]));
    data.requests = {};  // booking request id -> booking: a repeated request is not a new booking
    municipalities[istat] = data;
  }
  return municipalities[istat];
}

function fault(soap12, text) {
  if (soap12) throw { Fault: { Code: { Value: 'soap:Sender' }, Reason: { Text: text }, statusCode: 400 } };
  throw { Fault: { faultcode: 'soap:Client', faultstring: text, statusCode: 500 } };
}

const isTaken = (m, slotId) => m.bookings.some((b) => b.slot === slotId && b.status === 'confirmed');

// Books a slot, or says why not; the same request id gets the same booking back.
function book(m, requestId, cf, slotId) {
  if (m.requests[requestId]) return { booking: m.requests[requestId] };
  const slot = m.slotById[slotId];
  if (!slot) return { refused: 'unknown' };
  if (isTaken(m, slotId)) return { refused: 'taken' };
  const booking = { id: `PR-${m.istat}-${String(m.bookings.length + 1).padStart(4, '0')}`,
                    slot: slotId, fiscal_code: cf, status: 'confirmed' };
  m.bookings.push(booking);
  m.requests[requestId] = booking;
  return { booking };
}

function cancel(m, cf, bookingId) {
  const booking = m.bookings.find((b) => b.id === bookingId && b.fiscal_code === cf && b.status === 'confirmed');
  if (!booking) return false;
  booking.status = 'cancelled';
  return true;
}

// A fee of the municipality's tariff (data.fees) for a taxpayer: the open position for the same
// fee and amount when there is one (asking twice gives the same notice), else a new position
// with the next number and its notice number (aux digit 3, the municipality's segregation
// code, IUV check digits mod 93). Positions live in memory, like bookings.
function openDebt(m, cf, feeCode, cents) {
  const fee = m.fees.find((f) => f.code === feeCode);
  if (!fee) return { refused: 'unknown-fee' };
  if (cents === null) cents = fee.amount_cents;
  if (cents === null) return { refused: 'amount-required' };
  if (fee.amount_cents !== null && cents !== fee.amount_cents) return { refused: 'amount-differs' };
  if (!(cents > 0)) return { refused: 'amount-required' };
  const open = m.positions.find((p) => p.fee === feeCode && p.fiscal_code === cf && p.amount_cents === cents
                                       && p.status === 'unpaid' && !m.receipts.some((r) => r.notice === p.notice_number && r.outcome === 'OK'));
  if (open) return { position: open, existing: true };
  const number = Math.max(...m.positions.map((p) => p.number)) + 1;
  const segregation = m.positions[0].notice_number.slice(1, 3);
  const digits = `3${segregation}${String(number).padStart(13, '0')}`;
  const due = new Date(Date.now() + 30 * 86400000).toISOString().slice(0, 10);
  const year = Number(due.slice(0, 4));
  const position = { id: `${feeCode}${year}-${String(number).padStart(7, '0')}`, fiscal_code: cf, tax: 'ALTRO',
                     fee: feeCode, taxonomy: fee.taxonomy, year, description: fee.description, amount_cents: cents,
                     due_date: due, status: 'unpaid', number,
                     notice_number: digits + String(BigInt(digits) % 93n).padStart(2, '0') };
  m.positions.push(position);
  return { position, existing: false };
}

function submit(m, id, cf, desk) {
  if (!m.applications.some((a) => a.id === id)) {
    m.applications.push({ id, fiscal_code: cf, desk, submitted: new Date().toISOString().slice(0, 10),
                          status: 'received' });
  }
  return `${new Date().getFullYear()}/${String(m.applications.length).padStart(6, '0')}`;
}

// ---- vendor A: Italian names, Italian amounts and dates --------------------------------
const itDate = (iso) => iso.split('-').reverse().join('/');
const isoDate = (it) => it.split('/').reverse().join('-');
const itAmount = (cents) => `${Math.floor(cents / 100).toLocaleString('it-IT')},${String(cents % 100).padStart(2, '0')}`;
const statoA = { unpaid: 'N', paid: 'P', overdue: 'S', cancelled: 'A' };
const sportelloA = { casa: 'CASA', lavoro: 'LAVORO', 'servizi-sociali': 'SERVIZI_SOCIALI' };
const taxonomyA = { TARI: '9/0101108TS/', IMU: '9/0101101IM/', CANONE_UNICO: '9/0201133IM/' };
const statoDomandaA = { received: 'PROTOCOLLATA', in_review: 'IN_ISTRUTTORIA', approved: 'ACCOLTA', rejected: 'RESPINTA' };

function slotA(m, s) {
  return { idSlot: s.id, ufficio: m.officeName[s.office], servizio: s.service, data: itDate(s.date), ora: s.time };
}

function vendorA(args) {
  const m = municipality(byCadastral[args.codiceEnte]);
  if (!m) fault(false, `ente ${args.codiceEnte} non gestito`);
  return m;
}

const servicesA = {
  ElencoPosizioni(args) {
    const m = vendorA(args);
    const anno = args.anno ? Number(args.anno) : null;
    return { posizione: m.positions.filter((p) => p.fiscal_code === args.codiceFiscale && (!anno || p.year === anno))
      .map((p) => ({ idPosizione: p.id, tributo: p.tax, anno: p.year, descrizione: p.description,
                     importo: itAmount(p.amount_cents), scadenza: itDate(p.due_date), stato: statoA[p.status] })) };
  },
  DatiAvviso(args) {
    const m = vendorA(args);
    const p = m.positions.find((x) => x.id === args.idPosizione && x.fiscal_code === args.codiceFiscale);
    if (!p) return { esito: 'POSIZIONE_INESISTENTE' };
    return { esito: 'OK', avviso: { idPosizione: p.id, numeroAvviso: p.notice_number, importo: itAmount(p.amount_cents),
                                    scadenza: itDate(p.due_date), causale: p.description, pagato: p.status === 'paid' ? 'S' : 'N' } };
  },
  ApriPosizione(args) {
    const m = vendorA(args);
    let cents = null;
    if (args.importo !== undefined && args.importo !== null && args.importo !== '') {
      const match = /^(\d{1,3}(?:\.\d{3})*|\d+),(\d{2})$/.exec(String(args.importo));
      if (!match) fault(false, `importo ${args.importo} non valido`);
      cents = Number(match[1].replace(/\./g, '')) * 100 + Number(match[2]);
    }
    const result = openDebt(m, args.codiceFiscale, args.codiceTariffa, cents);
    if (result.refused) {
      return { esito: { 'unknown-fee': 'TARIFFA_INESISTENTE', 'amount-required': 'IMPORTO_MANCANTE', 'amount-differs': 'IMPORTO_ERRATO' }[result.refused] };
    }
    const p = result.position;
    return { esito: result.existing ? 'GIA_APERTA' : 'APERTA',
             avviso: { idPosizione: p.id, numeroAvviso: p.notice_number, importo: itAmount(p.amount_cents),
                       scadenza: itDate(p.due_date), causale: p.description, pagato: 'N' } };
  },
  CercaAvviso(args) {
    const m = vendorA(args);
    const p = m.positions.find((x) => x.notice_number === args.numeroAvviso);
    if (!p) return { esito: 'NON_TROVATO' };
    const who = m.people.find((c) => c.fiscal_code === p.fiscal_code);
    const paid = m.receipts.some((r) => r.notice === p.notice_number && r.outcome === 'OK');
    return { esito: 'TROVATO', avviso: {
      idPosizione: p.id, numeroAvviso: p.notice_number, tributo: p.tax, importo: itAmount(p.amount_cents),
      scadenza: itDate(p.due_date), causale: p.description, stato: paid ? 'P' : statoA[p.status],
      iban: m.iban, tassonomia: p.taxonomy || taxonomyA[p.tax], codiceFiscale: p.fiscal_code,
      nominativo: `${who.surname} ${who.name}` } };
  },
  // Registered once per receipt id: the bus delivers at least once.
  RegistraPagamento(args) {
    const m = vendorA(args);
    if (m.receipts.some((r) => r.id === args.idRicevuta)) return { esito: 'GIA_REGISTRATO' };
    if (!m.positions.some((x) => x.notice_number === args.numeroAvviso)) {
      fault(false, `avviso ${args.numeroAvviso} inesistente`);
    }
    m.receipts.push({ id: args.idRicevuta, notice: args.numeroAvviso, outcome: args.esito,
                      amount: args.importo, role: args.ruolo });
    return { esito: 'REGISTRATO' };
  },
  SlotLiberi(args) {
    const m = vendorA(args);
    return { slot: m.slots.filter((s) => !isTaken(m, s.id) && (!args.servizio || s.service === args.servizio)
                                    && (!args.data || itDate(s.date) === args.data)).map((s) => slotA(m, s)) };
  },
  Prenota(args) {
    const m = vendorA(args);
    const result = book(m, args.idRichiesta, args.codiceFiscale, args.idSlot);
    if (result.refused) return { esito: result.refused === 'taken' ? 'POSTO_NON_DISPONIBILE' : 'SLOT_INESISTENTE' };
    return { esito: 'CONFERMATA', prenotazione: { idPrenotazione: result.booking.id, ...slotA(m, m.slotById[result.booking.slot]) } };
  },
  AnnullaPrenotazione(args) {
    const m = vendorA(args);
    return { esito: cancel(m, args.codiceFiscale, args.idPrenotazione) ? 'ANNULLATA' : 'NON_TROVATA',
             idPrenotazione: args.idPrenotazione };
  },
  ElencoPrenotazioni(args) {
    const m = vendorA(args);
    return { prenotazione: m.bookings.filter((b) => b.fiscal_code === args.codiceFiscale).map((b) => ({
      idPrenotazione: b.id, ...slotA(m, m.slotById[b.slot]), stato: b.status === 'confirmed' ? 'CONFERMATA' : 'ANNULLATA' })) };
  },
  InviaDomanda(args) {
    const m = vendorA(args);
    const desk = Object.keys(sportelloA).find((k) => sportelloA[k] === args.sportello);
    if (!desk) fault(false, `sportello ${args.sportello} sconosciuto`);
    return { esito: 'OK', protocollo: submit(m, args.pratica, args.codiceFiscale, desk) };
  },
  StatoDomande(args) {
    const m = vendorA(args);
    return { domanda: m.applications.filter((a) => a.fiscal_code === args.codiceFiscale && (!args.pratica || a.id === args.pratica))
      .map((a) => ({ pratica: a.id, sportello: sportelloA[a.desk], dataPresentazione: itDate(a.submitted), stato: statoDomandaA[a.status] })) };
  },
  ServiziAttivi(args) {
    const m = vendorA(args);
    return { denominazione: `Comune di ${m.name}`,
             servizio: m.services.map((s) => ({ codice: s.id, attivo: s.available ? 'S' : 'N' })),
             ufficio: m.offices.map((o) => ({ codice: o.code, nome: o.name, indirizzo: o.address })) };
  },
};

// ---- vendor B: its own schema; amounts in cents, ISO dates, the tenant from WS-Security ----
const kindB = { TARI: 1, IMU: 2, CANONE_UNICO: 3, ALTRO: 9 };
const stateB = { unpaid: 'OPEN', paid: 'PAID', overdue: 'EXPIRED', cancelled: 'VOID' };
const areaB = { casa: 'HOUSING', lavoro: 'WORK', 'servizi-sociali': 'SOCIAL' };
const appStateB = { received: 'SUBMITTED', in_review: 'PROCESSING', approved: 'GRANTED', rejected: 'DENIED' };
const text = (value) => (value && typeof value === 'object' ? value.$value : value);

function vendorB(headers) {
  const username = headers && headers.Security && headers.Security.UsernameToken && headers.Security.UsernameToken.Username;
  const m = municipality(String(text(username) || '').replace(/^bus-/, ''));
  if (!m) fault(true, 'unknown entity');
  return m;
}
function bookingB(m, b) {
  const s = m.slotById[b.slot];
  return { BookingId: b.id, SlotId: s.id, Desk: m.officeName[s.office], Service: s.service,
           Start: `${s.date}T${s.time}:00`, State: b.status === 'confirmed' ? 'BOOKED' : 'CANCELLED' };
}

const servicesB = {
  GetDebtPositions(args, cb, headers) {
    const m = vendorB(headers);
    const year = args.Year ? Number(args.Year) : null;
    return { Debt: m.positions.filter((p) => p.fiscal_code === args.TaxpayerId && (!year || p.year === year))
      .map((p) => ({ Code: p.id, Kind: kindB[p.tax], Year: p.year, Reason: p.description, AmountCents: p.amount_cents,
                     DueDate: p.due_date, State: stateB[p.status] })) };
  },
  GetPaymentNotice(args, cb, headers) {
    const m = vendorB(headers);
    const p = m.positions.find((x) => x.id === args.DebtCode && x.fiscal_code === args.TaxpayerId);
    if (!p) return { Found: false };
    return { Found: true, Notice: { DebtCode: p.id, NoticeCode: p.notice_number, AmountCents: p.amount_cents,
                                    DueDate: p.due_date, Reason: p.description, State: stateB[p.status] } };
  },
  // pagoPA: the notice by the code vendor B issued, PAID once a successful receipt is recorded.
  FindNotice(args, cb, headers) {
    const m = vendorB(headers);
    const p = m.positions.find((x) => x.notice_number === args.NoticeCode);
    if (!p) return { Found: false };
    const who = m.people.find((c) => c.fiscal_code === p.fiscal_code);
    const paid = m.receipts.some((r) => r.notice === p.notice_number && r.outcome === 'OK');
    return { Found: true, Notice: {
      DebtCode: p.id, NoticeCode: p.notice_number, AmountCents: p.amount_cents, DueDate: p.due_date,
      Reason: p.description, State: paid ? 'PAID' : stateB[p.status], Kind: kindB[p.tax], PayeeIban: m.iban,
      CategoryCode: p.taxonomy || taxonomyA[p.tax], TaxpayerId: p.fiscal_code,
      TaxpayerName: who ? `${who.surname} ${who.name}` : p.fiscal_code } };
  },
  // Recorded once per ReceiptId: the bus delivers at least once.
  RecordPayment(args, cb, headers) {
    const m = vendorB(headers);
    if (m.receipts.some((r) => r.id === args.ReceiptId)) return { Outcome: 'DUPLICATE' };
    if (!m.positions.some((x) => x.notice_number === args.NoticeCode)) fault(true, `unknown notice ${args.NoticeCode}`);
    if (args.Role !== 'CREDITOR' && args.Role !== 'BENEFICIARY') fault(true, `unknown role ${args.Role}`);
    const succeeded = args.Succeeded === true || args.Succeeded === 'true';
    m.receipts.push({ id: args.ReceiptId, notice: args.NoticeCode, outcome: succeeded && args.Role === 'CREDITOR' ? 'OK' : 'KO',
                      amount_cents: Number(args.AmountCents), role: args.Role });
    return { Outcome: 'RECORDED' };
  },
  OpenDebt(args, cb, headers) {
    const m = vendorB(headers);
    const cents = args.AmountCents === undefined || args.AmountCents === null ? null : Number(args.AmountCents);
    const result = openDebt(m, args.TaxpayerId, args.FeeCode, cents);
    if (result.refused) return { Outcome: { 'unknown-fee': 'UNKNOWN_FEE', 'amount-required': 'AMOUNT_REQUIRED', 'amount-differs': 'AMOUNT_MISMATCH' }[result.refused] };
    const p = result.position;
    return { Outcome: result.existing ? 'EXISTING' : 'OPENED', Notice: {
      DebtCode: p.id, NoticeCode: p.notice_number, AmountCents: p.amount_cents, DueDate: p.due_date,
      Reason: p.description, State: stateB[p.status] } };
  },
  ListFreeSlots(args, cb, headers) {
    const m = vendorB(headers);
    // node-soap reads an xsd:date into a Date (UTC midnight).
    const day = args.Day instanceof Date ? args.Day.toISOString().slice(0, 10) : args.Day;
    return { Slot: m.slots.filter((s) => !isTaken(m, s.id) && (!args.Service || s.service === args.Service) && (!day || s.date === day))
      .map((s) => ({ SlotId: s.id, Desk: m.officeName[s.office], Service: s.service, Start: `${s.date}T${s.time}:00` })) };
  },
  BookSlot(args, cb, headers) {
    const m = vendorB(headers);
    const result = book(m, args.RequestId, args.TaxpayerId, args.SlotId);
    if (result.refused) return { Outcome: result.refused === 'taken' ? 'TAKEN' : 'UNKNOWN_SLOT' };
    return { Outcome: 'BOOKED', Booking: bookingB(m, result.booking) };
  },
  CancelBooking(args, cb, headers) {
    const m = vendorB(headers);
    return { Outcome: cancel(m, args.TaxpayerId, args.BookingId) ? 'CANCELLED' : 'NOT_FOUND', BookingId: args.BookingId };
  },
  ListBookings(args, cb, headers) {
    const m = vendorB(headers);
    return { Booking: m.bookings.filter((b) => b.fiscal_code === args.TaxpayerId).map((b) => bookingB(m, b)) };
  },
  SubmitApplication(args, cb, headers) {
    const m = vendorB(headers);
    const desk = Object.keys(areaB).find((k) => areaB[k] === args.Area);
    if (!desk) fault(true, `unknown area ${args.Area}`);
    return { ProtocolNumber: submit(m, args.PracticeId, args.TaxpayerId, desk) };
  },
  GetApplications(args, cb, headers) {
    const m = vendorB(headers);
    return { Application: m.applications.filter((a) => a.fiscal_code === args.TaxpayerId && (!args.PracticeId || a.id === args.PracticeId))
      .map((a) => ({ PracticeId: a.id, Area: areaB[a.desk], SubmittedOn: a.submitted, State: appStateB[a.status] })) };
  },
  GetEnabledServices(args, cb, headers) {
    const m = vendorB(headers);
    return { EntityName: `Comune di ${m.name}`,
             Feature: m.services.map((s) => ({ Name: s.id, Enabled: s.available })),
             Desk: m.offices.map((o) => ({ Code: o.code, Name: o.name, Address: o.address })) };
  },
};

function authenticateB(security) {
  const token = security && security.UsernameToken;
  if (!token || !password) return false;
  const type = token.Password && token.Password.attributes && token.Password.attributes.Type;
  if (!String(type).endsWith('#PasswordDigest')) return false;
  return text(token.Password) === soap.passwordDigest(text(token.Nonce), text(token.Created), password);
}

const server = http.createServer((request, response) => {
  response.statusCode = 404;
  response.end();
});
server.listen(Number(portArg || 0), '127.0.0.1', () => {
  const wsdl = (name) => fs.readFileSync(path.join(__dirname, name), 'utf8');
  soap.listen(server, { path: '/gestionale-a', xml: wsdl('vendor-a.wsdl'),
                        services: { GestionaleAService: { GestionaleAPort: servicesA } } });
  const b = soap.listen(server, { path: '/municipium-b', xml: wsdl('vendor-b.wsdl'), forceSoap12Headers: true,
                                  services: { MunicipiumBService: { MunicipiumBPort: servicesB } } });
  b.authenticate = authenticateB;
  process.stdout.write(`${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
