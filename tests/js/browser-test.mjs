// Why this file exists: it proves that a browser can use IMQ with nothing but the official SignalR
// JavaScript client (@microsoft/signalr, JSON and MessagePack protocols): it runs that client inside
// headless Chromium against a live IMQ node and walks through the client contract of docs/PROTOCOL.md.
// Then, against the same node and in the same browser: IMQ's own JavaScript client (Imq.ClientSdk/js)
// in a page (sdk-scenarios.mjs), the browser chat sample served by the node (sample-scenarios.mjs), and
// the client's npm package from Node (node-scenarios.mjs). The node must serve the samples
// (Imq:Samples:Enabled) and keep a history of `historyLength` events (Imq:Engine:HistoryLength).
//
// Usage: node tests/js/browser-test.mjs <baseUrl> <apiKey> <historyLength>
//   e.g. node tests/js/browser-test.mjs http://127.0.0.1:5080 test-api-key-0123456789 10
// Env: CHROMIUM_PATH (default /usr/bin/chromium).
// Prints one line per scenario and "N passed, M failed"; exit code 0 only if every scenario passed.
import { chromium } from 'playwright-core';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installHarness } from './harness.mjs';
import { nodeScenarios } from './node-scenarios.mjs';
import { deadPort, startProxy } from './proxy.mjs';
import { sampleScenarios } from './sample-scenarios.mjs';
import { Q, Q2, Q3, scenarios } from './scenarios.mjs';
import { installSdkHarness } from './sdk-harness.mjs';
import { SQ, SQ2, SQ3, SQ4, sdkScenarios } from './sdk-scenarios.mjs';

const GLOBAL_TIMEOUT_MS = 90_000;
const here = path.dirname(fileURLToPath(import.meta.url));
const bundles = [
  path.join(here, 'node_modules/@microsoft/signalr/dist/browser/signalr.min.js'),
  path.join(here, 'node_modules/@microsoft/signalr-protocol-msgpack/dist/browser/signalr-protocol-msgpack.min.js'),
];

const sdkDir = path.join(here, '..', '..', 'Imq.ClientSdk', 'js', 'src');
const total = scenarios.length + sdkScenarios.length + sampleScenarios.length + nodeScenarios.length;

const [rawBaseUrl, apiKey, historyLength] = process.argv.slice(2);
if (!rawBaseUrl || !apiKey || !historyLength) {
  console.error('usage: node tests/js/browser-test.mjs <baseUrl> <apiKey> <historyLength>');
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

/** The SDK test page and the files it loads: the SignalR bundles pinned here and the client's source. */
function sdkFile(pathname) {
  const name = pathname.replace(/^\/__sdk\//, '');
  if (name === 'index.html') {
    return {
      contentType: 'text/html',
      body: '<!doctype html><meta charset="utf-8"><title>IMQ client test</title>'
        + '<script src="/__sdk/signalr.min.js"></script><script src="/__sdk/signalr-protocol-msgpack.min.js"></script>'
        + "<script type=\"module\">import * as imq from '/__sdk/src/index.js'; window.imq = imq;</script>",
    };
  }
  const file = name.startsWith('src/') ? path.join(sdkDir, path.basename(name)) : bundles.find((b) => path.basename(b) === name);
  if (!file || !fs.existsSync(file)) {
    return { status: 404, body: 'not found' };
  }
  return { contentType: 'text/javascript', body: fs.readFileSync(file, 'utf8') };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  let browser;
  let proxy;
  const ctx = {};
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

    const run = async (list, runOne) => {
      for (const [name, fn] of list) {
        if (timedOut) {
          break;
        }
        const t0 = Date.now();
        try {
          await runOne(fn);
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
    };

    await run(scenarios, (fn) => page.evaluate(fn, args));
    await page.evaluate(() => H.stopAll()).catch(() => {});
    await page.close();

    // IMQ's JavaScript client in a page of the node's origin; its files come from the repository.
    proxy = await startProxy(Number(new URL(baseUrl).port));
    const sdkArgs = {
      hub: `${baseUrl}/imq`, proxyHub: `http://127.0.0.1:${proxy.port}/imq`, deadHub: `http://127.0.0.1:${await deadPort()}/imq`,
      apiKey, SQ, SQ2, SQ3, SQ4, historyLength: Number(historyLength), run: nonce.slice(0, 8),
    };
    Object.assign(ctx, { run: sdkArgs.run, browser, baseUrl, apiKey, rest, mintToken, proxy, hub: sdkArgs.hub, proxyHub: sdkArgs.proxyHub });
    const sdkPage = await browser.newPage();
    sdkPage.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await sdkPage.exposeFunction('mintToken', mintToken);
    await sdkPage.exposeFunction('rest', rest);
    await sdkPage.exposeFunction('proxyCut', (mode) => proxy.cut(mode));
    await sdkPage.exposeFunction('proxyRefuse', (value) => proxy.refuse(value));
    await sdkPage.route(`${baseUrl}/__sdk/**`, (route) => route.fulfill(sdkFile(new URL(route.request().url()).pathname)));
    await sdkPage.goto(`${baseUrl}/__sdk/index.html`);
    await sdkPage.waitForFunction(() => window.imq, null, { timeout: 10_000 });
    await sdkPage.evaluate(installSdkHarness, sdkArgs);
    await run(sdkScenarios, (fn) => sdkPage.evaluate(fn, sdkArgs));
    await sdkPage.evaluate(() => T.closeAll()).catch(() => {});
    await sdkPage.close();

    await run(sampleScenarios, (fn) => fn(ctx));
    await run(nodeScenarios, (fn) => fn(ctx));
  } catch (e) {
    if (!timedOut) {
      failed++;
      console.log(`FAIL setup: ${e.message ?? e}`);
    }
  } finally {
    if (browser) {
      await browser.close().catch(() => {});
    }
    proxy?.close();
    if (ctx.tempDir) {
      fs.rmSync(ctx.tempDir, { recursive: true, force: true });
    }
    clearTimeout(timer);
  }
  console.log(`run took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (timedOut) {
    failed++;
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 && passed === total ? 0 : 1;
}

await main();
