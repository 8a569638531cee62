// The page side of the browser test (browser-test.mjs): a small harness around the official SignalR
// HubConnection that records every IMQ event of each connection and lets scenarios wait for events
// (with a timeout) and assert errors. It runs inside Chromium (page.evaluate serializes the function),
// so it must use nothing from this module's scope.

export function installHarness(hubUrl) {
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
