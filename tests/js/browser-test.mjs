// Why this file exists: it proves that a browser can use IMQ with nothing but the official SignalR
// JavaScript client (@microsoft/signalr, JSON and MessagePack protocols): it runs that client inside
// headless Chromium against a live IMQ node and walks through the client contract of DESIGN section 3.
//
// Usage: node tests/js/browser-test.mjs <baseUrl> <apiKey>
//   e.g. node tests/js/browser-test.mjs http://127.0.0.1:5080 test-api-key-0123456789
// Env: CHROMIUM_PATH (default /usr/bin/chromium).
// Prints one line per scenario and "N passed, M failed"; exit code 0 only if every scenario passed.
import { chromium } from 'playwright-core';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
// Page side: a small harness around HubConnection that records every IMQ event of each connection
// and lets scenarios wait for events (with a timeout) and assert errors. Runs inside Chromium.

function installHarness(hubUrl) {
  const EVENTS = ['Welcome', 'Message', 'State', 'Presence', 'Joined', 'Left', 'Mounted', 'Unmounted', 'Direct', 'SessionEnded'];
  const H = { hubUrl, clients: {} };
  window.H = H;

  const wake = (c) => {
    for (const w of [...c.waiters]) {
      w();
    }
  };

  H.connect = async (label, token, protocol) => {
    const builder = new signalR.HubConnectionBuilder()
      .withUrl(hubUrl, {
        skipNegotiation: true,
        transport: signalR.HttpTransportType.WebSockets,
        accessTokenFactory: () => token,
      })
      .configureLogging(signalR.LogLevel.None);
    if (protocol === 'msgpack') {
      builder.withHubProtocol(new signalR.protocols.msgpack.MessagePackHubProtocol());
    }
    const conn = builder.build();
    const c = { label, protocol, conn, events: [], waiters: [], closed: null };
    for (const name of EVENTS) {
      conn.on(name, (...args) => {
        c.events.push({ name, args, used: false });
        wake(c);
      });
    }
    conn.onclose((err) => {
      c.closed = { error: err ? String(err) : null };
      wake(c);
    });
    H.clients[label] = c;
    await conn.start();
    const welcome = (await H.take(label, 'Welcome')).args[0];
    if (c.events[0].name !== 'Welcome') {
      throw new Error(`${label}: the first event was ${c.events[0].name}, not Welcome`);
    }
    return welcome;
  };

  H.client = (label) => {
    const c = H.clients[label];
    if (!c) {
      throw new Error(`no connection '${label}' (an earlier scenario failed?)`);
    }
    return c;
  };

  H.describe = (c) =>
    c.events.slice(-8).map((e) => `${e.name}${e.used ? '*' : ''}(${JSON.stringify(e.args).slice(0, 160)})`).join(', ');

  /** Resolves with check()'s first non-undefined value, re-checked on every event and on close. */
  H.until = (label, check, what, timeoutMs = 5000) => {
    const c = H.client(label);
    return new Promise((resolve, reject) => {
      let timer;
      const waiter = () => {
        let value;
        try {
          value = check(c);
        } catch (e) {
          finish();
          reject(e);
          return;
        }
        if (value !== undefined) {
          finish();
          resolve(value);
        }
      };
      const finish = () => {
        clearTimeout(timer);
        c.waiters = c.waiters.filter((w) => w !== waiter);
      };
      timer = setTimeout(() => {
        finish();
        reject(new Error(`${label}: timed out after ${timeoutMs} ms waiting for ${what}; last events: ${H.describe(c)}`));
      }, timeoutMs);
      c.waiters.push(waiter);
      waiter();
    });
  };

  /** Takes (marks used) the first not yet used event `name` whose arguments satisfy pred. */
  H.take = (label, name, pred = () => true, what = name, timeoutMs = 5000) =>
    H.until(
      label,
      (c) => {
        const e = c.events.find((x) => !x.used && x.name === name && pred(...x.args));
        if (e) {
          e.used = true;
          return e;
        }
        return undefined;
      },
      what,
      timeoutMs,
    );

  H.closed = (label, timeoutMs = 5000) =>
    H.until(label, (c) => c.closed ?? undefined, 'the connection to close', timeoutMs);

  H.invoke = (label, method, ...args) => H.client(label).conn.invoke(method, ...args);

  /** Invokes and expects an error whose message contains `expected`. */
  H.expectError = async (label, expected, method, ...args) => {
    let result;
    try {
      result = await H.invoke(label, method, ...args);
    } catch (e) {
      const message = String(e && e.message ? e.message : e);
      if (!message.includes(expected)) {
        throw new Error(`${label} ${method}: expected an error containing '${expected}', got: ${message}`);
      }
      return message;
    }
    throw new Error(`${label} ${method}: expected an error containing '${expected}', got the result ${JSON.stringify(result)}`);
  };

  H.deepEqual = (a, b) => {
    if (a === b) {
      return true;
    }
    if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) {
      return false;
    }
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && H.deepEqual(a[k], b[k]));
  };

  H.assert = (cond, message) => {
    if (!cond) {
      throw new Error(message);
    }
  };

  H.stopAll = async () => {
    await Promise.all(Object.values(H.clients).map((c) => c.conn.stop().catch(() => {})));
  };
}

// ---------------------------------------------------------------------------------------------
// Scenarios. Each runs in the page (page.evaluate) with window.H and the arguments `a`; they build
// on each other in order (connections and memberships carry over).

const Q = '/room/js1';
const Q2 = '/room/js2';
const Q3 = '/room/js3';

const scenarios = [
  ['Welcome first: alice (JSON), bob (MessagePack), a server (API key)', async (a) => {
    const expectWelcome = (w, userId, role, label) => {
      H.assert(w && typeof w === 'object', `${label}: Welcome has no object argument: ${JSON.stringify(w)}`);
      H.assert(w.userId === userId, `${label}: Welcome.userId is ${JSON.stringify(w.userId)}, expected ${JSON.stringify(userId)}`);
      H.assert(w.role === role, `${label}: Welcome.role is ${JSON.stringify(w.role)}, expected ${role}`);
      H.assert(typeof w.connectionId === 'string' && w.connectionId.length > 0, `${label}: Welcome.connectionId is ${JSON.stringify(w.connectionId)}`);
    };
    expectWelcome(await H.connect('alice', a.tokens.alice, 'json'), 'alice', 'user', 'alice');
    expectWelcome(await H.connect('bob', a.tokens.bob, 'msgpack'), 'bob', 'user', 'bob');
    expectWelcome(await H.connect('server', a.apiKey, 'msgpack'), null, 'server', 'server');
  }],

  ['Join: camelCase snapshots on both protocols', async (a) => {
    const check = (s, label, mustHave) => {
      H.assert(s && typeof s === 'object', `${label}: Join returned ${JSON.stringify(s)}`);
      for (const k of ['queue', 'seq', 'mounts', 'members']) {
        H.assert(k in s, `${label}: snapshot has no '${k}' (keys: ${Object.keys(s).join(', ')})`);
      }
      const keys = [...Object.keys(s), ...(Array.isArray(s.mounts) ? s.mounts.flatMap((m) => Object.keys(m)) : [])];
      const pascal = keys.find((k) => /^[A-Z]/.test(k));
      H.assert(!pascal, `${label}: snapshot has a PascalCase key '${pascal}': ${JSON.stringify(s)}`);
      H.assert(s.queue === a.Q, `${label}: snapshot.queue is ${JSON.stringify(s.queue)}`);
      H.assert(Number.isInteger(s.seq) && s.seq >= 0, `${label}: snapshot.seq is ${JSON.stringify(s.seq)}`);
      H.assert(Array.isArray(s.mounts) && Array.isArray(s.members), `${label}: mounts/members are not arrays`);
      const chat = s.mounts.find((m) => m.name === 'chat');
      const score = s.mounts.find((m) => m.name === 'score');
      H.assert(chat && chat.type === 'message', `${label}: no message mount 'chat': ${JSON.stringify(s.mounts)}`);
      H.assert(score && score.type === 'state', `${label}: no state mount 'score': ${JSON.stringify(s.mounts)}`);
      for (const m of s.mounts) {
        for (const k of ['name', 'type', 'version']) {
          H.assert(k in m, `${label}: mount ${JSON.stringify(m)} has no '${k}'`);
        }
        H.assert(Number.isInteger(m.version), `${label}: mount ${m.name} version is ${JSON.stringify(m.version)}`);
      }
      H.assert('state' in score && score.state !== null && typeof score.state === 'object' && !Array.isArray(score.state),
        `${label}: state mount 'score' has no state map: ${JSON.stringify(score)}`);
      for (const u of mustHave) {
        H.assert(s.members.includes(u), `${label}: members ${JSON.stringify(s.members)} lack ${u}`);
      }
    };
    check(await H.invoke('alice', 'Join', a.Q), 'alice', ['alice']);
    check(await H.invoke('bob', 'Join', a.Q), 'bob', ['alice', 'bob']);
  }],

  ['Presence: alice sees bob join', async (a) => {
    await H.take('alice', 'Presence', (q, u, j) => q === a.Q && u === 'bob' && j === true, "Presence(queue, 'bob', true)");
  }],

  ['Send/Message: same data on JSON and MessagePack, sender included', async (a) => {
    const data = { text: 'hi', n: [1, 2.5, true, null] };
    const seq = await H.invoke('alice', 'Send', a.Q, 'chat', data);
    H.assert(Number.isInteger(seq) && seq > 0, `Send returned ${JSON.stringify(seq)}, not a seq`);
    for (const who of ['alice', 'bob']) {
      const e = await H.take(who, 'Message', (q, m, f, d, s) => q === a.Q && s === seq, `Message seq ${seq}`);
      const [q, m, from, d, s] = e.args;
      H.assert(e.args.length === 5, `${who}: Message has ${e.args.length} arguments`);
      H.assert(m === 'chat' && from === 'alice', `${who}: Message mount/from are ${m}/${from}`);
      H.assert(H.deepEqual(d, data), `${who}: Message data ${JSON.stringify(d)} differs from ${JSON.stringify(data)}`);
    }
  }],

  ['SetState: users forbidden, server allowed, State to every member', async (a) => {
    await H.expectError('alice', 'HubException: forbidden:', 'SetState', a.Q, 'score', { k: 1 }, null);
    const version = await H.invoke('server', 'SetState', a.Q, 'score', { k: 1 }, null);
    H.assert(Number.isInteger(version) && version > 0, `server SetState returned ${JSON.stringify(version)}`);
    for (const who of ['alice', 'bob']) {
      const e = await H.take(who, 'State', (q, m, c, v) => q === a.Q && v === version, `State version ${version}`);
      const [, m, changes] = e.args;
      H.assert(m === 'score', `${who}: State mount is ${m}`);
      H.assert(H.deepEqual(changes, { k: 1 }), `${who}: State changes are ${JSON.stringify(changes)}`);
    }
  }],

  ['Errors: invalid, not_found, forbidden, too_large (connection survives), missing argument', async (a) => {
    await H.expectError('alice', 'HubException: invalid:', 'Join', 'bad name');
    await H.expectError('bob', 'HubException: invalid:', 'Join', 'bad name');
    await H.expectError('alice', 'HubException: not_found:', 'Join', '/room/none');
    await H.expectError('alice', 'HubException: forbidden:', 'Send', a.Q3, 'chat', { text: 'not a member' });
    const big = 'x'.repeat(70_000);
    await H.expectError('alice', 'HubException: too_large:', 'Send', a.Q, 'chat', big);
    await H.expectError('bob', 'HubException: too_large:', 'Send', a.Q, 'chat', big);
    for (const who of ['alice', 'bob']) {
      const seq = await H.invoke(who, 'Send', a.Q, 'chat', { after: 'too_large', who });
      H.assert(Number.isInteger(seq), `${who}: Send after too_large returned ${JSON.stringify(seq)}`);
      H.assert(!H.client(who).closed, `${who}: the connection closed`);
    }
    await H.expectError('alice', 'HubException: invalid:', 'Send', a.Q, 'chat');
    await H.expectError('bob', 'HubException: invalid:', 'Send', a.Q, 'chat');
    const seq = await H.invoke('alice', 'Send', a.Q, 'chat', 'still alive');
    H.assert(Number.isInteger(seq), `Send after the binding failure returned ${JSON.stringify(seq)}`);
  }],

  ['Server methods: CreateQueue, Mount/Unmount, AddMember/RemoveMember', async (a) => {
    await H.expectError('alice', 'HubException: forbidden:', 'CreateQueue', a.Q2, [{ name: 'm', type: 'message' }]);
    await H.invoke('server', 'CreateQueue', a.Q2, [{ name: 'm', type: 'message' }]);

    await H.invoke('server', 'Mount', a.Q, 'extra', 'message');
    for (const who of ['alice', 'bob']) {
      const e = await H.take(who, 'Mounted', (q, info) => q === a.Q && info && info.name === 'extra', "Mounted(queue, {name:'extra'})");
      H.assert(H.deepEqual(e.args[1], { name: 'extra', type: 'message' }), `${who}: Mounted info is ${JSON.stringify(e.args[1])}`);
    }
    await H.invoke('server', 'Unmount', a.Q, 'extra');
    for (const who of ['alice', 'bob']) {
      await H.take(who, 'Unmounted', (q, n) => q === a.Q && n === 'extra', "Unmounted(queue, 'extra')");
    }

    await H.invoke('server', 'AddMember', a.Q2, 'alice');
    const joined = (await H.take('alice', 'Joined', (s) => s && s.queue === a.Q2, `Joined(${a.Q2} snapshot)`)).args[0];
    H.assert(joined.members.includes('alice'), `Joined members ${JSON.stringify(joined.members)} lack alice`);
    H.assert(joined.mounts.some((m) => m.name === 'm' && m.type === 'message'), `Joined mounts ${JSON.stringify(joined.mounts)} lack 'm'`);
    const seq = await H.invoke('alice', 'Send', a.Q2, 'm', 'added by a server');
    H.assert(Number.isInteger(seq), `Send on ${a.Q2} returned ${JSON.stringify(seq)}`);

    await H.invoke('server', 'RemoveMember', a.Q2, 'alice');
    await H.take('alice', 'Left', (q, r) => q === a.Q2 && r === 'removed', `Left(${a.Q2}, 'removed')`);
    await H.expectError('alice', 'HubException: forbidden:', 'Send', a.Q2, 'm', 'removed now');
  }],

  ['SendToUser: delivered, offline, stored and delivered after Welcome', async (a) => {
    const r = await H.invoke('alice', 'SendToUser', 'bob', { x: 1 }, false, null);
    H.assert(r === 'delivered', `SendToUser to online bob answered ${JSON.stringify(r)}`);
    const d = await H.take('bob', 'Direct', (f, data) => f === 'alice', "Direct('alice', ...)");
    H.assert(H.deepEqual(d.args, ['alice', { x: 1 }, null]), `bob: Direct arguments are ${JSON.stringify(d.args)}`);

    const offline = await H.invoke('alice', 'SendToUser', a.nobody, { x: 2 }, false, null);
    H.assert(offline === 'offline', `unreliable SendToUser to an offline user answered ${JSON.stringify(offline)}`);

    const payload = { hello: 'carol', run: a.nonce };
    const stored = await H.invoke('alice', 'SendToUser', 'carol', payload, true, null);
    H.assert(stored === 'stored', `reliable SendToUser to offline carol answered ${JSON.stringify(stored)}`);
    await H.connect('carol', a.tokens.carol, 'msgpack');
    const e = await H.take('carol', 'Direct', (f, data) => data && data.run === a.nonce, 'the stored Direct');
    H.assert(e.args[0] === 'alice' && H.deepEqual(e.args[1], payload), `carol: Direct arguments are ${JSON.stringify(e.args)}`);
    const events = H.client('carol').events;
    H.assert(events.indexOf(e) > events.findIndex((x) => x.name === 'Welcome'), 'carol: the stored Direct came before Welcome');
  }],

  ['Resume: missed messages replayed before the result', async (a) => {
    const s0 = await H.invoke('alice', 'Send', a.Q, 'chat', 'before the gap');
    await H.take('bob', 'Message', (q, m, f, d, s) => q === a.Q && s === s0, `Message seq ${s0}`);
    await H.client('bob').conn.stop();
    await H.take('alice', 'Presence', (q, u, j) => q === a.Q && u === 'bob' && j === false, "Presence(queue, 'bob', false)");
    const s1 = await H.invoke('alice', 'Send', a.Q, 'chat', { missed: 1 });
    const s2 = await H.invoke('alice', 'Send', a.Q, 'chat', { missed: 2 });

    await H.connect('bob', a.tokens.bob, 'msgpack');
    const snap = await H.invoke('bob', 'Resume', a.Q, s0);
    // Checked synchronously after the result: the replayed events must already be there.
    const got = H.client('bob').events.filter((e) => e.name === 'Message' && e.args[0] === a.Q).map((e) => [e.args[4], e.args[3]]);
    H.assert(H.deepEqual(got.slice(0, 2), [[s1, { missed: 1 }], [s2, { missed: 2 }]]),
      `bob: before the Resume result got Messages ${JSON.stringify(got)}, expected seq ${s1}, ${s2}`);
    H.assert(!snap.gap, `Resume answered gap ${JSON.stringify(snap.gap)}`);
    H.assert(snap.queue === a.Q && snap.seq >= s2, `Resume snapshot is ${JSON.stringify(snap)}`);
    H.assert(snap.members.includes('bob'), `Resume members ${JSON.stringify(snap.members)} lack bob`);
    await H.expectError('bob', 'HubException: invalid:', 'Resume', a.Q, -1);
  }],

  ['Second connection: the first gets SessionEnded(replaced) and is closed', async (a) => {
    H.clients.alice1 = H.client('alice');
    await H.connect('alice', a.tokens.alice, 'json');
    await H.take('alice1', 'SessionEnded', (r) => r === 'replaced', "SessionEnded('replaced')");
    await H.closed('alice1');
    const seq = await H.invoke('alice', 'Send', a.Q, 'chat', 'from the new connection');
    H.assert(Number.isInteger(seq), `the new connection's Send returned ${JSON.stringify(seq)}`);
    await H.take('bob', 'Message', (q, m, f, d, s) => s === seq && f === 'alice', `Message seq ${seq} from the new connection`);
  }],
];

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
