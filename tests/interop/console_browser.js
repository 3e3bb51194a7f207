// Drives the web console in headless Debian chromium with playwright-core (nothing
// downloaded): key, overview of the municipalities, one municipality, replay of a dead
// letter. Every step waits for a condition (bounded by the timeouts), never for a time.
// Environment: CONSOLE_URL, ADMIN_KEY, TENANT, DEAD_ID, REASON, CHROMIUM; SCREENSHOTS (a
// folder, optional) keeps a picture of each page for a human to look at.
'use strict';
const { chromium } = require('playwright-core');

const { CONSOLE_URL, ADMIN_KEY, TENANT, DEAD_ID, REASON, CHROMIUM, SCREENSHOTS } = process.env;
const origin = new URL(CONSOLE_URL).origin;

async function main() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const problems = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(30000);
    page.on('pageerror', (error) => problems.push('page error: ' + error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push('console error: ' + message.text());
    });
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(origin)) problems.push('request outside the bus: ' + request.url());
    });

    const response = await page.goto(CONSOLE_URL);
    if (response.status() !== 200) throw new Error('console answered ' + response.status());
    const csp = response.headers()['content-security-policy'] || '';
    if (!csp.includes("default-src 'none'")) throw new Error('no strict CSP: ' + csp);

    // The key, then the overview of every municipality.
    await page.fill('#admin-key', ADMIN_KEY);
    await page.click('#login-button');
    await page.waitForFunction(() => document.querySelectorAll('#overview-grid tr.tenant-row').length > 0);
    const rows = await page.locator('#overview-grid tr.tenant-row').count();
    const shown = await page.textContent('#tenant-count');
    if (rows !== 41 || shown !== '41') throw new Error(`expected 41 municipalities, saw ${rows} rows ("${shown}")`);
    const stored = await page.evaluate(() => sessionStorage.getItem('egovbus-admin-key'));
    if (stored !== ADMIN_KEY) throw new Error('the key is not kept in sessionStorage');
    // Health colours: the refused back-end makes the tenant's welfare service down.
    await page.waitForSelector(`#overview-grid tr.tenant-row[data-slug="${TENANT}"] td.health-down`);
    await page.waitForFunction(() => document.getElementById('charts').dataset.total !== undefined);
    console.log(`overview: ${rows} municipalities`);
    if (SCREENSHOTS) await page.screenshot({ path: SCREENSHOTS + '/overview.png', fullPage: true });

    // One municipality: its page, then its dead letter replayed with a reason.
    await page.click(`#overview-grid tr.tenant-row[data-slug="${TENANT}"] a.tenant-link`);
    await page.waitForSelector(`#tenant-title[data-slug="${TENANT}"]`);
    await page.waitForSelector('#routes-table tbody tr');
    await page.waitForSelector('#endpoints-table tbody tr');
    const row = `tr.dead-letter[data-id="${DEAD_ID}"]`;
    await page.waitForSelector(row);
    console.log(`opened ${TENANT}: dead letter ${DEAD_ID} listed`);
    await page.click(`${row} button.action-replay`);
    await page.fill(`${row} input.reason`, REASON);
    await page.click(`${row} button.confirm`);
    await page.waitForFunction(
      (id) => (document.getElementById('message').textContent || '').includes('Replay done: ' + id),
      DEAD_ID);
    const message = await page.textContent('#message');
    if (!message.includes('(by ')) throw new Error('unexpected answer: ' + message);
    console.log('replayed: ' + message);
    if (SCREENSHOTS) await page.screenshot({ path: SCREENSHOTS + '/tenant.png', fullPage: true });
    if (problems.length) throw new Error(problems.join('\n'));
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
