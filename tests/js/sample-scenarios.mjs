// The browser chat sample as a user meets it: two Chromium pages load /samples/chat/ from the node
// (page, JavaScript client and SignalR bundle all served by the node), each joins the room with its
// own token, and a line typed in one appears in the other. Also checks that the SignalR bundle kept in
// the repository is the one tests/js/package.json pins.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const CQ = '/room/chat-sample';

function assert(cond, message) {
  if (!cond) {
    throw new Error(message);
  }
}

async function openChat(ctx, user) {
  const page = await ctx.browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`${ctx.baseUrl}/samples/chat/`);
  await page.fill('#token', await ctx.mintToken(user));
  await page.fill('#room', CQ);
  await page.click('#join');
  try {
    await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('joined'), null, { timeout: 10_000 });
  } catch {
    const status = await page.textContent('#status');
    throw new Error(`${user}'s page did not join: status '${status}'; errors: ${errors.join(' | ')}`);
  }
  return page;
}

async function waitForLine(page, from, text) {
  await page.waitForFunction(([f, t]) => [...document.querySelectorAll('#lines li')].some((li) => li.textContent === f + t), [from, text], { timeout: 10_000 });
}

export const sampleScenarios = [
  ['Chat sample: two pages served by the node exchange lines', async (ctx) => {
    await ctx.rest('PUT', `/api/v1/queues/${encodeURIComponent(CQ)}`, { mounts: [{ name: 'chat', type: 'message' }] });
    const olga = await openChat(ctx, 'olga');
    const piet = await openChat(ctx, 'piet');
    try {
      await olga.fill('#line', 'hello <b>piet</b>');
      await olga.press('#line', 'Enter');
      await waitForLine(piet, 'olga', 'hello <b>piet</b>'); // shown as text, not as markup
      await piet.fill('#line', 'hi olga');
      await piet.click('#send');
      await waitForLine(olga, 'piet', 'hi olga');
      const members = await olga.textContent('#members');
      assert(members.includes('piet') && members.includes('olga'), `olga's page lists members '${members}'`);
    } finally {
      await olga.close();
      await piet.close();
    }
  }],

  ['Chat sample: the vendored SignalR bundle is the pinned one', async () => {
    const vendored = fs.readFileSync(path.join(here, '..', '..', 'samples', 'chat', 'signalr.min.js'), 'utf8');
    const pinned = fs.readFileSync(path.join(here, 'node_modules', '@microsoft', 'signalr', 'dist', 'browser', 'signalr.min.js'), 'utf8');
    const body = vendored.slice(vendored.indexOf('*/\n') + 3);
    assert(body === pinned, 'samples/chat/signalr.min.js differs from the @microsoft/signalr that tests/js pins: copy it again (keep the licence comment)');
  }],
];
