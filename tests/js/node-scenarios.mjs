// The IMQ JavaScript client from Node, as an app would get it: `npm pack` of Imq.ClientSdk/js, the
// tarball unpacked into a temporary node_modules (next to this test's own @microsoft packages), the
// module imported by its package name; then a server and a user client against the node, the user's
// connection through the proxy so that it can be dropped. Each scenario gets the runner's context.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const moduleDir = path.join(here, '..', '..', 'Imq.ClientSdk', 'js');
const NQ = '/room/node1';
const QUIET = 6; // signalR.LogLevel.None

async function waitFor(check, what, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function assert(cond, message) {
  if (!cond) {
    throw new Error(message);
  }
}

export const nodeScenarios = [
  ['Node: npm pack gives a package that installs and imports by its name', async (ctx) => {
    const dir = ctx.tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imq-js-'));
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: moduleDir, encoding: 'utf8' });
    const [info] = JSON.parse(out);
    const files = info.files.map((f) => f.path).sort();
    for (const f of ['package.json', 'README.md', 'src/index.js', 'src/index.d.ts', 'src/client.js']) {
      assert(files.includes(f), `the package lacks ${f}: ${files.join(', ')}`);
    }
    assert(!files.some((f) => f.startsWith('samples/')), `the package holds the samples: ${files.join(', ')}`);
    const target = path.join(dir, 'node_modules', '@imq', 'client');
    fs.mkdirSync(target, { recursive: true });
    execFileSync('tar', ['-xzf', path.join(dir, info.filename), '-C', target, '--strip-components=1']);
    fs.symlinkSync(path.join(here, 'node_modules', '@microsoft'), path.join(dir, 'node_modules', '@microsoft'), 'dir');
    fs.writeFileSync(path.join(dir, 'app.mjs'), "export * from '@imq/client';\n");
    ctx.imq = await import(pathToFileURL(path.join(dir, 'app.mjs')).href);
    assert(typeof ctx.imq.ImqClient === 'function' && typeof ctx.imq.ImqServerClient === 'function' && typeof ctx.imq.ImqError === 'function',
      `the package exports ${Object.keys(ctx.imq).join(', ')}`);
  }],

  ['Node: a server (MessagePack) and a user: messages, a dropped connection resumed, reliable messages', async (ctx) => {
    const { ImqClient, ImqServerClient } = ctx.imq;
    const server = new ImqServerClient({ url: ctx.hub, token: ctx.apiKey, protocol: 'messagepack', logLevel: QUIET });
    const ivan = new ImqClient({ url: ctx.proxyHub, accessTokenFactory: () => ctx.mintToken('ivan'), reconnectDelays: [0, 50, 100, 200], logLevel: QUIET });
    try {
      assert((await server.connect()).role === 'server', 'the server is not a server');
      await server.createQueue(NQ, [{ name: 'chat', type: 'message' }]);
      assert((await ivan.connect()).userId === 'ivan', 'ivan is not ivan');
      const room = await ivan.join(NQ);
      const got = [];
      room.on('message', 'chat', (m) => got.push(m.data));
      await server.send(NQ, 'chat', 'one');
      await waitFor(() => got.length === 1, "ivan to get 'one'");

      ctx.proxy.refuse(true);
      ctx.proxy.cut('both');
      await waitFor(() => ivan.state === 'reconnecting', 'ivan to notice the drop');
      await server.send(NQ, 'chat', 'two');
      ctx.proxy.refuse(false);
      await waitFor(() => ivan.state === 'connected', 'ivan to reconnect', 10_000);
      await server.send(NQ, 'chat', 'three');
      await waitFor(() => got.length === 3, 'ivan to get three messages');
      assert(JSON.stringify(got) === '["one","two","three"]', `ivan got ${JSON.stringify(got)}`);

      const directs = [];
      ivan.on('direct', (m) => {
        directs.push(m);
      });
      const status = await server.sendToUser('ivan', { hello: 'ivan' }, { reliable: true, id: `node-${ctx.run}` });
      assert(status === 'delivered', `sendToUser answered ${status}`);
      await waitFor(() => directs.length === 1, 'the direct message');
      assert(directs[0].reliable && directs[0].from === null && directs[0].data.hello === 'ivan', `direct ${JSON.stringify(directs[0])}`);

      // A handler that fails leaves the message unacknowledged: it comes again at the next login.
      const errors = [];
      ivan.on('error', (e) => errors.push(e));
      let attempts = 0;
      ivan.on('direct', (m) => {
        if (m.data.failOnce && attempts++ === 0) {
          throw new Error('not now');
        }
      });
      await server.sendToUser('ivan', { failOnce: true }, { reliable: true });
      await waitFor(() => attempts === 1 && errors.length === 1, 'the failing handler');
      ctx.proxy.cut('both');
      await waitFor(() => attempts === 2, 'the message again after the reconnect', 10_000);
      await waitFor(() => ivan.state === 'connected', 'ivan to finish reconnecting'); // the mailbox comes before the resumes end
      assert(errors[0].message === 'not now', `the error event got ${errors[0]}`);

      const error = await ivan.join('/room/node-none').then(() => null, (e) => e);
      assert(error instanceof ctx.imq.ImqError && error.code === 'not_found', `join of a missing queue: ${error}`);
    } finally {
      await ivan.close();
      await server.close();
    }
  }],
];
