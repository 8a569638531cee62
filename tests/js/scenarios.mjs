// The scenarios of the browser test (browser-test.mjs), in order: each runs in the page
// (page.evaluate) with the harness as window.H and the arguments `a`, and they build on each other
// (connections and memberships carry over). Being serialized into the page, a scenario uses only `a`
// and `H`: the queue names below reach it through `a`.

export const Q = '/room/js1';
export const Q2 = '/room/js2';
export const Q3 = '/room/js3';

export const scenarios = [
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
