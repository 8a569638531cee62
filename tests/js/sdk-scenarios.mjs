// The scenarios of the IMQ JavaScript client (Imq.ClientSdk/js) in Chromium, in order: each runs in the
// page (page.evaluate) with window.imq (the module), window.T (sdk-harness.mjs) and the arguments `a`,
// and they build on each other (clients carry over in T.clients). Connections to be dropped go through
// the test's proxy (proxy.mjs), which the page drives with proxyCut / proxyRefuse.

export const SQ = '/room/sdk1';
export const SQ2 = '/room/sdk2';
export const SQ3 = '/room/sdk3';
export const SQ4 = '/room/sdk4';

export const sdkScenarios = [
  ['SDK: connect on Welcome, join, messages on JSON and MessagePack, per-mount handlers, state, presence', async (a) => {
    const { ImqClient, ImqServerClient } = imq;
    const server = T.clients.server = new ImqServerClient(T.opts(null, { accessTokenFactory: undefined, token: a.apiKey, protocol: 'messagepack' }));
    const sw = await server.connect();
    T.assert(sw.role === 'server' && sw.userId === null, `server Welcome ${JSON.stringify(sw)}`);
    const mounts = [{ name: 'chat', type: 'message' }, { name: 'news', type: 'message' }, { name: 'score', type: 'state' }];
    await server.createQueue(a.SQ, mounts);
    await server.createQueue(a.SQ2, mounts);

    const dave = T.clients.dave = new ImqClient(T.opts('dave'));
    const erin = T.clients.erin = new ImqClient(T.opts('erin', { protocol: 'messagepack' }));
    const dw = await dave.connect();
    T.assert(dw.userId === 'dave' && dw.role === 'user' && dave.state === 'connected', `dave Welcome ${JSON.stringify(dw)}, state ${dave.state}`);
    await erin.connect();
    const dRoom = await dave.join(a.SQ);
    T.assert(dRoom.members.includes('dave') && dRoom.mounts.length === 3, `dave's snapshot: ${JSON.stringify([dRoom.members, dRoom.mounts])}`);
    const eRoom = await erin.join(a.SQ);
    await T.wait(() => dRoom.members.includes('erin'), 'dave to see erin join (presence)');

    const chat = [];
    eRoom.on('message', 'chat', (m) => chat.push(m));
    const all = T.collect(eRoom);
    const seq = await dRoom.send('chat', { text: 'hi', n: [1, 2.5, true, null] });
    await dave.send(a.SQ, 'news', 'not chat');
    await T.wait(() => all.length === 2, 'erin to get both messages');
    T.assert(chat.length === 1 && chat[0].seq === seq && chat[0].from === 'dave' && T.deepEqual(chat[0].data, { text: 'hi', n: [1, 2.5, true, null] }),
      `erin's chat handler got ${JSON.stringify(chat)}`);
    T.assert(eRoom.seq === seq + 1, `erin's room is at seq ${eRoom.seq}, expected ${seq + 1}`);

    const states = [];
    dRoom.on('state', 'score', (s) => states.push(s));
    const version = await server.setState(a.SQ, 'score', { dave: 3, erin: 5 });
    await server.setState(a.SQ, 'score', { erin: null }, version);
    await T.wait(() => states.length === 2, 'dave to get both state changes');
    T.assert(T.deepEqual(dRoom.state('score'), { dave: 3 }), `dave's score state is ${JSON.stringify(dRoom.state('score'))}`);
    await T.wait(() => T.deepEqual(eRoom.state('score'), { dave: 3 }), "erin's score state to be {dave: 3}");
  }],

  ['SDK: errors are ImqErrors with the code', async (a) => {
    const { dave, server } = T.clients;
    await T.expectCode('join of a missing queue', 'not_found', () => dave.join('/room/sdk-none'));
    await T.expectCode('a user setting state', 'forbidden', () => dave.setState(a.SQ, 'score', { k: 1 }));
    await T.expectCode('a message over the limit', 'too_large', () => dave.send(a.SQ, 'chat', 'x'.repeat(70_000)));
    await T.expectCode('a stale expectedVersion', 'conflict', () => server.setState(a.SQ, 'score', { k: 1 }, 1));
    await T.expectCode('a bad name', 'invalid', () => dave.join('bad name'));
    const bad = new imq.ImqClient(T.opts('x', { accessTokenFactory: undefined, token: 'not.a.jwt' }));
    await T.expectCode('connect with a bad token', 'unauthorized', () => bad.connect());
    T.assert(bad.state === 'disconnected', `after a refused connect the state is ${bad.state}`);
    await T.expectCode('a call while not connected', 'unavailable', () => bad.send(a.SQ, 'chat', 1));
    T.assert(dave.state === 'connected', `dave is ${dave.state} after the errors`);
  }],

  ['SDK: a dropped connection fails over, reconnects with a fresh token and resumes every queue', async (a) => {
    const { dave, server } = T.clients;
    let tokens = 0;
    const frank = T.clients.frank = new imq.ImqClient(T.opts('frank', {
      via: 'proxy',
      urls: [a.deadHub, a.proxyHub],
      accessTokenFactory: () => {
        tokens++;
        return mintToken('frank');
      },
    }));
    await frank.connect(); // the first URL refuses: the proxy's answers
    const r1 = await frank.join(a.SQ);
    const r2 = await frank.join(a.SQ2);
    const got1 = T.frank1 = T.collect(r1);
    const got2 = T.collect(r2);
    let gaps = 0;
    r1.on('gap', () => gaps++);
    r2.on('gap', () => gaps++);
    const events = [];
    frank.on('reconnecting', () => events.push('reconnecting'));
    frank.on('reconnected', () => events.push('reconnected'));
    await dave.send(a.SQ, 'chat', 'before');
    await T.wait(() => got1.includes('before'), "frank to get 'before'");

    const tokensBefore = tokens;
    await proxyRefuse(true);
    await proxyCut('both');
    await T.wait(() => frank.state === 'reconnecting', 'frank to notice the drop');
    await dave.send(a.SQ, 'chat', 'missed 1');
    await server.send(a.SQ2, 'chat', 'missed 2');
    await proxyRefuse(false);
    await T.wait(() => frank.state === 'connected', 'frank to reconnect', 10_000);
    T.assert(T.deepEqual(got1, ['before', 'missed 1']) && T.deepEqual(got2, ['missed 2']),
      `after the reconnect frank has ${JSON.stringify([got1, got2])}`);
    T.assert(gaps === 0, `${gaps} gap callbacks, expected none`);
    T.assert(tokens > tokensBefore, 'the reconnect did not ask the token factory for a token');
    T.assert(T.deepEqual(events, ['reconnecting', 'reconnected']), `frank's events: ${JSON.stringify(events)}`);
    await dave.send(a.SQ, 'chat', 'after');
    await T.wait(() => got1.length === 3, "frank to get 'after'");
    T.assert(T.deepEqual(got1, ['before', 'missed 1', 'after']), `frank has ${JSON.stringify(got1)}`);
  }],

  ['SDK: live events on the replacing connection and the replay of Resume reach the app once, in order', async (a) => {
    const { dave, frank } = T.clients;
    const got = T.frank1;
    got.length = 0;
    // The node still believes frank's old connection alive, so the new one takes its memberships and gets
    // live events before it resumes. To make that certain, Resume waits (as on a slow network) until a
    // live message has reached the new connection.
    const proto = signalR.HubConnection.prototype;
    const invoke = proto.invoke;
    let hooked = 0;
    proto.invoke = async function (method, ...args) {
      if (method === 'Resume' && args[0] === a.SQ && hooked++ === 0) {
        const live = new Promise((resolve) => this.on('Message', (q, m, f, d) => d === 'live' && resolve()));
        await dave.send(a.SQ, 'chat', 'live');
        await T.within(live, "the live message on frank's new connection");
      }
      return invoke.call(this, method, ...args);
    };
    try {
      await proxyRefuse(true);
      await proxyCut('client');
      await T.wait(() => frank.state === 'reconnecting', 'frank to notice the drop');
      await dave.send(a.SQ, 'chat', 'away'); // to frank's old connection: never read
      await proxyRefuse(false);
      await T.wait(() => frank.state === 'connected', 'frank to reconnect', 10_000);
    } finally {
      proto.invoke = invoke;
    }
    T.assert(hooked > 0, 'Resume was not called');
    await dave.send(a.SQ, 'chat', 'after');
    await T.wait(() => got.includes('after'), "frank to get 'after'");
    T.assert(T.deepEqual(got, ['away', 'live', 'after']), `frank got ${JSON.stringify(got)}, expected away, live, after once each`);
  }],

  ['SDK: history ran out while away: the gap callback gets a fresh snapshot; a queue deleted meanwhile is left', async (a) => {
    const { server, frank } = T.clients;
    await server.createQueue(a.SQ3, [{ name: 'chat', type: 'message' }, { name: 'score', type: 'state' }]);
    await server.createQueue(a.SQ4, [{ name: 'chat', type: 'message' }]);
    const room = await frank.join(a.SQ3);
    const doomed = await frank.join(a.SQ4);
    let leftReason = null;
    doomed.on('left', (reason) => {
      leftReason = reason;
    });
    const got = T.collect(room);
    let gap = null;
    room.on('gap', (s) => {
      gap = { snapshot: s, before: [...got] };
    });
    await proxyRefuse(true);
    await proxyCut('both');
    await T.wait(() => frank.state === 'reconnecting', 'frank to notice the drop');
    for (let i = 1; i <= a.historyLength + 2; i++) {
      await server.send(a.SQ3, 'chat', i);
    }
    const version = await server.setState(a.SQ3, 'score', { round: 2 });
    await server.deleteQueue(a.SQ4);
    await proxyRefuse(false);
    await T.wait(() => gap, 'the gap callback', 10_000);
    T.assert(gap.snapshot.gap === true && gap.snapshot.seq === version, `gap snapshot ${JSON.stringify(gap.snapshot)}`);
    T.assert(T.deepEqual(room.state('score'), { round: 2 }), `state after the gap: ${JSON.stringify(room.state('score'))}`);
    T.assert(room.seq === version, `room.seq is ${room.seq}, expected ${version}`);
    // The messages still in the history came before the callback, in order; the first ones are lost.
    const held = gap.before;
    T.assert(held.length > 0 && !held.includes(1) && held[held.length - 1] === a.historyLength + 2 && held.every((n, i) => i === 0 || n === held[i - 1] + 1),
      `messages before the gap callback: ${JSON.stringify(held)}`);
    await T.wait(() => frank.state === 'connected', 'frank to finish reconnecting');
    T.assert(leftReason === 'deleted' && !doomed.active && frank.subscription(a.SQ4) === undefined,
      `the deleted queue: left ${leftReason}, active ${doomed.active}`);
  }],

  ['SDK: a reliable message is acknowledged after its handler ran; a repeat never reaches the app', async (a) => {
    const user = `gina-${a.run}`; // a user of this run only: its mailbox starts empty
    await rest('POST', `/api/v1/users/${user}/messages`, { data: { n: 1 }, reliable: true });
    const seen = [];
    let release;
    const gate = new Promise((resolve) => {
      release = resolve;
    });
    let started;
    const running = new Promise((resolve) => {
      started = resolve;
    });
    const gina = T.clients.gina = new imq.ImqClient(T.opts(user, { via: 'proxy' }));
    gina.on('direct', async (m) => {
      seen.push(m.data.n);
      T.assert(m.reliable && typeof m.id === 'string', `a reliable Direct without an id: ${JSON.stringify(m)}`);
      if (m.data.n === 1) {
        started();
        await gate; // the connection drops while the handler runs: no Ack can go out
      }
    });
    await gina.connect();
    await T.within(running, "gina's handler of message 1");
    await proxyRefuse(true);
    await proxyCut('both');
    await T.wait(() => gina.state === 'reconnecting', 'gina to notice the drop');
    await rest('POST', `/api/v1/users/${user}/messages`, { data: { n: 2 }, reliable: true });
    release();
    await proxyRefuse(false);
    // At the login message 1 (never acknowledged) comes again, then 2: the app sees 1 once.
    await T.wait(() => seen.includes(2), 'message 2', 10_000);
    T.assert(T.deepEqual(seen, [1, 2]), `gina's handler saw ${JSON.stringify(seen)}`);
    await gina.close(); // acknowledges what was handled

    // Both were acknowledged: a new connection of gina gets only what is sent now.
    await T.wait(async () => !(await rest('GET', `/api/v1/users/${user}`)).online || undefined, 'gina to be offline');
    await rest('POST', `/api/v1/users/${user}/messages`, { data: { n: 3 }, reliable: true });
    const raw = new signalR.HubConnectionBuilder().withUrl(a.hub, { accessTokenFactory: () => mintToken(user) })
      .configureLogging(signalR.LogLevel.None).build();
    const directs = [];
    raw.on('Direct', (from, data) => directs.push(data.n));
    await raw.start();
    try {
      await T.wait(() => directs.includes(3), 'message 3 on a plain connection');
      T.assert(T.deepEqual(directs, [3]), `the mailbox still held ${JSON.stringify(directs)}: an Ack was not sent`);
    } finally {
      await raw.stop();
    }
  }],

  ['SDK: SessionEnded(replaced) closes the older client for good', async (a) => {
    const h1 = T.clients.hank1 = new imq.ImqClient(T.opts('hank'));
    await h1.connect();
    const ended = new Promise((resolve) => h1.on('sessionEnded', resolve));
    const closed = new Promise((resolve) => h1.on('closed', resolve));
    const h2 = T.clients.hank2 = new imq.ImqClient(T.opts('hank'));
    await h2.connect();
    T.assert((await T.within(ended, 'SessionEnded on the older client')) === 'replaced', 'the reason is not replaced');
    const c = await T.within(closed, "the older client's closed event");
    T.assert(c.reason === 'replaced' && h1.state === 'closed', `closed ${JSON.stringify(c)}, state ${h1.state}`);
    let h2Ended = null;
    h2.on('sessionEnded', (r) => {
      h2Ended = r;
    });
    const room = await h2.join(a.SQ);
    const got = T.collect(room);
    await room.send('chat', 'still mine');
    await T.wait(() => got.includes('still mine'), 'the newer client to get its own message');
    T.assert(h1.state === 'closed' && h2.state === 'connected' && h2Ended === null, `states ${h1.state}/${h2.state}, newer ended ${h2Ended}`);
  }],
];
