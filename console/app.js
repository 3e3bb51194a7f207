// The egovbus web console: vanilla JavaScript, no framework, nothing loaded from elsewhere.
// Every piece of data comes from the admin API (/admin/v1) with the admin key the operator
// typed in, kept in sessionStorage (this tab only). The DOM is built with textContent, never
// from HTML strings, so nothing read from the bus is interpreted as markup.
'use strict';

const KEY = 'egovbus-admin-key';
const REFRESH_MS = 5000;
let refreshTimer = null;

// --- small DOM helpers -----------------------------------------------------------------
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'value') node.value = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
const $ = (id) => document.getElementById(id);

function say(text, isError) {
  const box = $('message');
  box.textContent = text;
  box.className = isError ? 'error' : '';
  box.hidden = !text;
}

// --- the admin API ---------------------------------------------------------------------
async function api(path, options) {
  const key = sessionStorage.getItem(KEY);
  const init = Object.assign({ headers: {} }, options || {});
  init.headers = Object.assign({ Authorization: 'Bearer ' + key }, init.headers);
  const response = await fetch('/admin/v1' + path, init);
  const type = response.headers.get('Content-Type') || '';
  const body = type.includes('json') ? await response.json() : await response.text();
  if (!response.ok) {
    const detail = body && body.detail ? body.detail : String(response.status);
    if (response.status === 401) {
      sessionStorage.removeItem(KEY);
      showLogin();
    }
    throw new Error(detail + ' (HTTP ' + response.status + ')');
  }
  return body;
}
const q = encodeURIComponent;

// --- charts: exchanges and errors per 10 s, drawn on canvas ----------------------------
function drawBars(canvas, values, color, label) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 460, height = canvas.clientHeight || 140;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  const g = canvas.getContext('2d');
  g.scale(ratio, ratio);
  g.clearRect(0, 0, width, height);
  const max = Math.max(1, ...values);
  const left = 34, bottom = 16, plotH = height - bottom - 6, plotW = width - left - 4;
  g.strokeStyle = '#ccd';
  g.fillStyle = '#555';
  g.font = '10px sans-serif';
  for (const f of [0, 0.5, 1]) {
    const y = 6 + plotH * (1 - f);
    g.beginPath();
    g.moveTo(left, y);
    g.lineTo(width - 4, y);
    g.stroke();
    if (Number.isInteger(max * f)) g.fillText(String(max * f), 2, y + 3);
  }
  const step = plotW / values.length;
  g.fillStyle = color;
  values.forEach((v, i) => {
    const h = (v / max) * plotH;
    g.fillRect(left + i * step + 1, 6 + plotH - h, Math.max(1, step - 2), h);
  });
  g.fillStyle = '#555';
  g.fillText(label, left, height - 3);
}

function chartsBox(tenant) {
  const box = el('div', { class: 'charts', id: 'charts' },
    el('div', { class: 'chart' }, el('div', { class: 'title' }, 'Exchanges per 10 s (last 10 minutes)'),
      el('canvas', { id: 'chart-throughput' })),
    el('div', { class: 'chart' }, el('div', { class: 'title' }, 'Failed (red, deliveries included) and refused (amber) per 10 s'),
      el('canvas', { id: 'chart-errors' })));
  box.dataset.tenant = tenant || '';
  return box;
}

async function refreshCharts() {
  const box = $('charts');
  if (!box) return;
  const tenant = box.dataset.tenant;
  const stats = await api('/stats' + (tenant ? '?tenant=' + q(tenant) : ''));
  const exchanges = stats.buckets.map((b) => b.exchanges);
  // Failed: submissions the bus or a back-end failed, and failed delivery attempts.
  const failed = stats.buckets.map((b) => b.failed + b.delivery_failures);
  const deliveryFailures = stats.buckets.reduce((a, b) => a + b.delivery_failures, 0);
  const refused = stats.buckets.map((b) => b.refused);
  const total = exchanges.reduce((a, b) => a + b, 0);
  drawBars($('chart-throughput'), exchanges, '#0b63a3', total + ' exchanges');
  const errors = $('chart-errors');
  drawBars(errors, failed.map((f, i) => f + refused[i]), '#d99a00',
    failed.reduce((a, b) => a + b, 0) + ' failed (' + deliveryFailures + ' in delivery), ' +
    refused.reduce((a, b) => a + b, 0) + ' refused');
  // Failed over refused, in red, on the same scale.
  const g = errors.getContext('2d');
  const ratio = window.devicePixelRatio || 1;
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  const width = errors.clientWidth || 460, height = errors.clientHeight || 140;
  const max = Math.max(1, ...failed.map((f, i) => f + refused[i]));
  const plotH = height - 22, step = (width - 38) / failed.length;
  g.fillStyle = '#c62828';
  failed.forEach((v, i) => {
    const h = (v / max) * plotH;
    g.fillRect(34 + i * step + 1, 6 + plotH - h, Math.max(1, step - 2), h);
  });
  box.dataset.total = String(total);
}

// --- views -----------------------------------------------------------------------------
function healthBadge(health) {
  return el('span', { class: 'badge health-' + health, title: health }, health);
}

async function overview(view) {
  const data = await api('/tenants');
  const services = [...new Set(data.tenants.flatMap((t) => t.services.map((s) => s.service)))].sort();
  const counts = { ok: 0, degraded: 0, down: 0, idle: 0 };
  for (const t of data.tenants) counts[t.health] = (counts[t.health] || 0) + 1;
  const head = el('tr', {}, el('th', {}, 'Municipality'), el('th', {}, 'Health'),
    services.map((s) => el('th', { class: 'service', title: s }, s)));
  const rows = data.tenants.map((t) => {
    const byService = Object.fromEntries(t.services.map((s) => [s.service, s.health]));
    return el('tr', { class: 'tenant-row', 'data-slug': t.slug },
      el('th', {}, el('a', { href: '#/tenant/' + t.slug, class: 'tenant-link' }, t.name),
        el('span', { class: 'muted' }, ' ' + t.istat)),
      el('td', {}, healthBadge(t.health)),
      services.map((s) => el('td', {
        class: 'cell health-' + (byService[s] || 'none'),
        title: t.name + ' — ' + s + ': ' + (byService[s] || 'not offered'),
      })));
  });
  view.replaceChildren(
    el('h2', {}, el('span', { id: 'tenant-count' }, String(data.tenants.length)), ' municipalities × ',
      String(services.length), ' services'),
    await generationBar(),
    el('p', { class: 'legend' },
      ['ok', 'degraded', 'down', 'idle'].map((h) => el('span', {}, el('span', { class: 'badge health-' + h }), ' ' + h + ' (' + (counts[h] || 0) + ')')),
      el('span', { class: 'muted' }, 'health of the endpoints each service calls, over the last 5 minutes')),
    chartsBox(''),
    el('table', { class: 'grid', id: 'overview-grid' }, el('thead', {}, head), el('tbody', {}, rows)));
  await refreshCharts();
}

// The serving generation and a reload button: process-wide, so only for an admin of every
// tenant (a scoped key gets 403 and sees nothing here).
async function generationBar() {
  let generation;
  try {
    generation = await api('/generation');
  } catch (error) {
    return el('span', {});
  }
  const reload = el('button', {
    type: 'button', id: 'reload',
    onclick: async () => {
      try {
        const done = await api('/reload', { method: 'POST' });
        say('Config reloaded: generation ' + done.generation);
      } catch (error) {
        say('Reload refused: ' + error.message, true);
      }
    },
  }, 'Reload config');
  return el('p', { class: 'toolbar', id: 'generation' },
    'Generation ' + generation.generation + ' (' + generation.config + '): ' + generation.routes +
    ' routes, ' + generation.keys + ' active keys ', reload);
}

function exchangesTable(exchanges) {
  return el('table', { class: 'exchanges' },
    el('thead', {}, el('tr', {}, ['Created', 'Tenant', 'Service', 'State', 'Attempts', 'Last error', 'Id']
      .map((h) => el('th', {}, h)))),
    el('tbody', {}, exchanges.map((e) => el('tr', { 'data-id': e.id },
      el('td', {}, e.created), el('td', {}, e.tenant), el('td', {}, e.service),
      el('td', { class: 'state' }, e.state), el('td', {}, String(e.attempts)),
      el('td', {}, e.last_error), el('td', { class: 'mono' }, el('a', { href: '#/exchange/' + e.id }, e.id))))));
}

function batchesTable(batches) {
  return el('table', { class: 'batches', id: 'batches-table' },
    el('thead', {}, el('tr', {}, ['File', 'Tenant', 'Source', 'State', 'Progress', 'Rows/s', 'Rejected', 'Updated']
      .map((h) => el('th', {}, h)))),
    el('tbody', {}, batches.map((b) => {
      const bar = el('progress', { max: b.rows_total > 0 ? b.rows_total : 1 });
      if (b.rows_total > 0) bar.value = b.rows_done; else if (b.state !== 'running') bar.value = 1;
      return el('tr', { 'data-id': b.id },
        el('td', {}, b.file), el('td', {}, b.tenant), el('td', {}, b.source), el('td', {}, b.state),
        el('td', {}, bar, ' ' + b.rows_done + ' / ' + (b.rows_total >= 0 ? b.rows_total : '?')),
        el('td', {}, b.rows_per_second.toFixed(1)), el('td', {}, String(b.rows_failed)), el('td', {}, b.updated));
    })));
}

// A button that opens a small form asking why; the reason goes with the action.
function reasonAction(label, onDone, act) {
  const cell = el('span', {});
  const open = el('button', {
    type: 'button', class: 'action-' + label.toLowerCase(),
    onclick: () => {
      const input = el('input', { type: 'text', class: 'reason', placeholder: 'reason (recorded)', required: true });
      const form = el('form', {
        class: 'inline',
        onsubmit: async (event) => {
          event.preventDefault();
          try {
            const result = await act(input.value);
            say(label + ' done: ' + result);
            await onDone();
          } catch (error) {
            say(label + ' failed: ' + error.message, true);
          }
        },
      }, input, el('button', { type: 'submit', class: 'confirm' }, 'Confirm ' + label.toLowerCase()));
      cell.replaceChildren(form);
      input.focus();
    },
  }, label);
  cell.append(open);
  return cell;
}

async function deadLetters(view, tenant) {
  const target = tenant ? $('dead-letters') : view;
  const reload = () => deadLetters(view, tenant);
  const data = await api('/dead-letters' + (tenant ? '?tenant=' + q(tenant) : ''));
  const act = (id, action) => async (reason) => {
    const r = await api('/dead-letters/' + q(id) + '/' + action, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ reason }),
    });
    return r.id + ' is ' + r.state + ' (by ' + r.by + ')';
  };
  const table = el('table', { class: 'dead-letters', id: 'dead-letters-table' },
    el('thead', {}, el('tr', {}, ['Updated', 'Tenant', 'Service', 'Attempts', 'Last error', 'Id', 'Action']
      .map((h) => el('th', {}, h)))),
    el('tbody', {}, data.dead_letters.map((d) => el('tr', { class: 'dead-letter', 'data-id': d.id },
      el('td', {}, d.updated), el('td', {}, d.tenant), el('td', {}, d.service), el('td', {}, String(d.attempts)),
      el('td', {}, d.last_error), el('td', { class: 'mono' }, el('a', { href: '#/exchange/' + d.id }, d.id)),
      el('td', {}, reasonAction('Replay', reload, act(d.id, 'replay')), ' ',
        reasonAction('Discard', reload, act(d.id, 'discard')))))));
  const content = [el('h3', {}, 'Dead letters (' + data.dead_letters.length + ')'),
    data.dead_letters.length ? table : el('p', { class: 'muted', id: 'no-dead-letters' }, 'No dead letters.')];
  if (tenant) target.replaceChildren(...content);
  else view.replaceChildren(el('h2', {}, 'Dead letters'),
    el('div', { class: 'toolbar' }, el('button', { type: 'button', onclick: reload }, 'Refresh')), ...content);
}

async function batches(view, tenant) {
  const data = await api('/batches' + (tenant ? '?tenant=' + q(tenant) : ''));
  const table = data.batches.length ? batchesTable(data.batches) : el('p', { class: 'muted' }, 'No batch files.');
  if (tenant) $('batches').replaceChildren(el('h3', {}, 'Batch files'), table);
  else view.replaceChildren(el('h2', {}, 'Batch files'), table);
}

async function tenantPage(view, slug) {
  const t = await api('/tenants/' + q(slug));
  const routes = el('table', { id: 'routes-table' },
    el('thead', {}, el('tr', {}, ['Service', 'Mode', 'Endpoints', 'Health'].map((h) => el('th', {}, h)))),
    el('tbody', {}, t.routes.map((r) => el('tr', {},
      el('td', {}, r.service), el('td', {}, r.mode), el('td', {}, r.endpoints.join(', ')),
      el('td', {}, healthBadge(r.health))))));
  const endpoints = el('table', { id: 'endpoints-table' },
    el('thead', {}, el('tr', {}, ['Endpoint', 'Type', 'Health', 'Breaker', 'In flight', 'Queued',
      'Calls (5 min)', 'Error rate', 'Mean ms', 'p95 ms'].map((h) => el('th', {}, h)))),
    el('tbody', {}, t.endpoints.map((e) => el('tr', { 'data-key': e.key },
      el('td', {}, e.key), el('td', {}, e.type), el('td', {}, healthBadge(e.health.status)),
      el('td', {}, e.health.breaker), el('td', {}, String(e.health.in_flight)), el('td', {}, String(e.health.queued)),
      el('td', {}, String(e.health.calls)), el('td', {}, (e.health.error_rate * 100).toFixed(0) + '%'),
      el('td', {}, e.health.latency_mean_ms.toFixed(1)), el('td', {}, e.health.latency_p95_ms.toFixed(1))))));
  const recent = await api('/exchanges?tenant=' + q(slug) + '&limit=20');
  view.replaceChildren(
    el('h2', { id: 'tenant-title', 'data-slug': t.slug }, t.name, el('span', { class: 'muted' }, ' ' + t.istat + ' · profile ' + t.profile)),
    chartsBox(t.slug),
    el('h3', {}, 'Routes'), routes,
    el('h3', {}, 'Endpoints'), endpoints,
    el('div', { id: 'dead-letters' }),
    el('div', { id: 'batches' }),
    el('h3', {}, 'Recent exchanges (journaled)'),
    recent.exchanges.length ? exchangesTable(recent.exchanges) : el('p', { class: 'muted' }, 'None.'));
  await Promise.all([deadLetters(view, t.slug), batches(view, t.slug), refreshCharts()]);
}

async function exchangesPage(view) {
  const form = el('form', { class: 'toolbar', id: 'exchange-search' },
    el('input', { name: 'tenant', placeholder: 'tenant (slug or ISTAT)' }),
    el('input', { name: 'service', placeholder: 'service' }),
    el('select', { name: 'state' }, ['', 'queued', 'delivering', 'delivered', 'dead', 'discarded'].map((s) => el('option', { value: s }, s || 'any state'))),
    el('input', { name: 'since', placeholder: 'since 2026-11-26T08:00:00Z' }),
    el('input', { name: 'until', placeholder: 'until' }),
    el('button', { type: 'submit' }, 'Search'));
  const results = el('div', {});
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) params.set(k, v);
    try {
      const data = await api('/exchanges?' + params.toString());
      results.replaceChildren(data.exchanges.length ? exchangesTable(data.exchanges) : el('p', { class: 'muted' }, 'No exchange.'));
    } catch (error) {
      say(error.message, true);
    }
  });
  view.replaceChildren(el('h2', {}, 'Exchanges'), form, results);
  form.requestSubmit();
}

async function exchangePage(view, id) {
  const e = await api('/exchanges/' + q(id));
  const payload = el('div', { id: 'payload' });
  const ask = el('form', {
    class: 'inline',
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        const full = await api('/exchanges/' + q(id) + '?payload=true&reason=' + q(reason.value));
        payload.replaceChildren(el('pre', { class: 'payload' }, full.payload));
        say('Payload shown; your reading was recorded in the audit trail.');
      } catch (error) {
        say(error.message, true);
      }
    },
  });
  const reason = el('input', { type: 'text', placeholder: 'why you need the payload (audited)', required: true, size: 40 });
  ask.append(reason, el('button', { type: 'submit' }, 'Show payload'));
  view.replaceChildren(
    el('h2', {}, 'Exchange ', el('span', { class: 'mono' }, e.id)),
    el('table', {}, el('tbody', {}, ['tenant', 'service', 'state', 'client', 'attempts', 'created', 'updated', 'last_error', 'trace_id']
      .map((k) => el('tr', {}, el('th', {}, k), el('td', { 'data-field': k }, String(e[k])))))),
    el('h3', {}, 'History'),
    el('table', { id: 'history' }, el('tbody', {}, e.history.map((h) => el('tr', { class: 'event-' + h.kind },
      el('td', {}, h.at), el('td', {}, h.kind),
      el('td', {}, h.kind === 'attempt' ? '#' + h.attempt + ' ' + h.outcome + ' ' + h.error : 'by ' + h.by + ': ' + h.reason))))),
    el('h3', {}, 'Payload'), el('p', { class: 'muted' }, e.payload_note || ''), ask, payload);
}

// --- routing ---------------------------------------------------------------------------
async function render() {
  clearInterval(refreshTimer);
  if (!sessionStorage.getItem(KEY)) return showLogin();
  $('login').hidden = true;
  $('nav').hidden = false;
  const view = $('view');
  const hash = location.hash.replace(/^#\/?/, '');
  const [page, arg] = [hash.split('/')[0], decodeURIComponent(hash.split('/').slice(1).join('/'))];
  try {
    if (page === '' ) {
      await overview(view);
      refreshTimer = setInterval(() => overview(view).catch((e) => say(e.message, true)), REFRESH_MS);
    } else if (page === 'tenant') {
      await tenantPage(view, arg);
      refreshTimer = setInterval(() => Promise.all([refreshCharts(), batches(view, arg)]).catch((e) => say(e.message, true)), REFRESH_MS);
    } else if (page === 'dead-letters') {
      await deadLetters(view, '');
    } else if (page === 'batches') {
      await batches(view, '');
      refreshTimer = setInterval(() => batches(view, '').catch((e) => say(e.message, true)), REFRESH_MS);
    } else if (page === 'exchanges') {
      await exchangesPage(view);
    } else if (page === 'exchange') {
      await exchangePage(view, arg);
    } else {
      view.replaceChildren(el('p', {}, 'No such page.'));
    }
    document.body.dataset.ready = page || 'overview';
  } catch (error) {
    say(error.message, true);
  }
}

function showLogin() {
  clearInterval(refreshTimer);
  $('nav').hidden = true;
  $('view').replaceChildren();
  $('login').hidden = false;
  $('admin-key').focus();
}

document.addEventListener('DOMContentLoaded', () => {
  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, $('admin-key').value.trim());
    $('admin-key').value = '';
    say('');
    render();
  });
  $('logout').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    say('');
    showLogin();
  });
  window.addEventListener('hashchange', () => { say(''); render(); });
  render();
});
