// Why this file exists: it proves that a browser can use IMQ with nothing but the official SignalR
// JavaScript client (@microsoft/signalr, JSON and MessagePack protocols): it runs that client inside
// headless Chromium against a live IMQ node and walks through the client contract of docs/PROTOCOL.md.
//
// Usage: node tests/js/browser-test.mjs <baseUrl> <apiKey>
//   e.g. node tests/js/browser-test.mjs http://127.0.0.1:5080 test-api-key-0123456789
// Env: CHROMIUM_PATH (default /usr/bin/chromium).
// Prints one line per scenario and "N passed, M failed"; exit code 0 only if every scenario passed.
import { chromium } from 'playwright-core';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installHarness } from './harness.mjs';
import { Q, Q2, Q3, scenarios } from './scenarios.mjs';

const GLOBAL_TIMEOUT_MS = 60_000;
const here = path.dirname(fileURLToPath(import.meta.url));
const bundles = [
  path.join(here, 'node_modules/@microsoft/signalr/dist/browser/signalr.min.js'),
  path.join(here, 'node_modules/@microsoft/signalr-protocol-msgpack/dist/browser/signalr-protocol-msgpack.min.js'),
];

const [rawBaseUrl, apiKey] = process.argv.slice(2);
if (!rawBaseUrl || !apiKey) {
  console.error('usage: node tests/js/browser-test.mjs <baseUrl> <apiKey>');
  process.exit(2);
}
const baseUrl = rawBaseUrl.replace(/\/+$/, '');

// ---------------------------------------------------------------------------------------------
// Node side: REST setup (tokens, queues).

async function rest(method, urlPath, body) {
  const res = await fetch(baseUrl + urlPath, {
    method,
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) {
    throw new Error(`${method} ${urlPath} answered ${res.status}: ${text}`);
  }
  return text ? JSON.parse(text) : null;
}

async function mintToken(userId) {
  const { token } = await rest('POST', '/api/v1/tokens', { userId, ttlSeconds: 600 });
  if (typeof token !== 'string' || token.split('.').length !== 3) {
    throw new Error(`POST /api/v1/tokens for ${userId} did not return a JWT: ${JSON.stringify(token)}`);
  }
  return token;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  let browser;
  let passed = 0;
  let failed = 0;
  let timedOut = false;
  // The global bound: closing the browser makes the pending page.evaluate fail, the loop stops and
  // the summary is printed; should even that hang, the process exits anyway.
  const timer = setTimeout(() => {
    timedOut = true;
    console.log(`FAIL global timeout: the run took over ${GLOBAL_TIMEOUT_MS / 1000} s`);
    browser?.close().catch(() => {});
    setTimeout(() => {
      console.log(`${passed} passed, ${failed + 1} failed`);
      process.exit(1);
    }, 10_000).unref();
  }, GLOBAL_TIMEOUT_MS);

  try {
    const nonce = randomUUID();
    await rest('PUT', `/api/v1/queues/${encodeURIComponent(Q)}`, { mounts: [{ name: 'chat', type: 'message' }, { name: 'score', type: 'state' }] });
    await rest('PUT', `/api/v1/queues/${encodeURIComponent(Q3)}`, { mounts: [{ name: 'chat', type: 'message' }] });
    const tokens = {};
    for (const u of ['alice', 'bob', 'carol']) {
      tokens[u] = await mintToken(u);
    }
    const args = { tokens, apiKey, Q, Q2, Q3, nonce, nobody: `nobody-${nonce.slice(0, 8)}` };

    // about:blank is a "public" page to Chromium, and its Local Network Access checks (Chromium 14x+)
    // block its WebSockets to loopback: net::ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS. A real page
    // served from the app's origin is not affected; the test turns the check off.
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
        '--no-first-run', '--disable-component-update', '--disable-sync', '--disable-features=LocalNetworkAccessChecks'],
    });
    if (timedOut) {
      throw new Error('timed out while launching Chromium');
    }
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.goto('about:blank');
    for (const b of bundles) {
      await page.addScriptTag({ path: b });
    }
    const hubUrl = `${baseUrl}/imq`;
    await page.evaluate(installHarness, hubUrl);

    for (const [name, fn] of scenarios) {
      if (timedOut) {
        break;
      }
      const t0 = Date.now();
      try {
        await page.evaluate(fn, args);
        passed++;
        console.log(`ok   ${name} (${Date.now() - t0} ms)`);
      } catch (e) {
        if (timedOut) {
          break;
        }
        failed++;
        const message = String(e.message ?? e).replace(/^page\.evaluate: /, '').split('\n')[0];
        console.log(`FAIL ${name}: ${message}`);
      }
    }
    await page.evaluate(() => H.stopAll()).catch(() => {});
  } catch (e) {
    if (!timedOut) {
      failed++;
      console.log(`FAIL setup: ${e.message ?? e}`);
    }
  } finally {
    if (browser) {
      await browser.close().catch(() => {});
    }
    clearTimeout(timer);
  }
  console.log(`run took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (timedOut) {
    failed++;
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 && passed === scenarios.length ? 0 : 1;
}

await main();
