// The page side of the JavaScript client test (sdk-scenarios.mjs): small helpers, as window.T, for
// scenarios that drive the IMQ client module (window.imq) in Chromium. Like harness.mjs it is
// serialized into the page (page.evaluate), so it uses nothing from this module's scope. The test
// runner exposes mintToken, rest, proxyCut and proxyRefuse to the page.

export function installSdkHarness(a) {
  const T = { clients: {}, a };
  window.T = T;

  T.assert = (cond, message) => {
    if (!cond) {
      throw new Error(message);
    }
  };

  T.deepEqual = (x, y) => JSON.stringify(x) === JSON.stringify(y);

  /** Options of a client of the test: quiet, quick to reconnect; `via: 'proxy'` goes through the cuttable proxy. */
  T.opts = (user, extra = {}) => {
    const viaProxy = extra.via === 'proxy';
    const o = {
      url: viaProxy ? a.proxyHub : a.hub,
      logLevel: signalR.LogLevel.None,
      reconnectDelays: [0, 50, 100, 200],
      accessTokenFactory: () => mintToken(user),
      ...extra,
    };
    delete o.via;
    if (viaProxy) {
      // The proxy is another origin than the page: go straight to the WebSocket (no negotiate request, no CORS).
      o.connectionOptions = { skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets };
    }
    return o;
  };

  /** Resolves with check()'s first value that is neither undefined, null nor false (check may be async), polled until `ms` have passed. */
  T.wait = async (check, what, ms = 10_000) => {
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
  };

  T.within = (promise, what, ms = 10_000) => {
    let timer;
    return Promise.race([promise, new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    })]).finally(() => clearTimeout(timer));
  };

  /** Runs fn and expects an ImqError with `code`. */
  T.expectCode = async (what, code, fn) => {
    let result;
    try {
      result = await fn();
    } catch (e) {
      T.assert(e instanceof imq.ImqError, `${what}: threw ${e && e.name}: ${e && e.message}, not an ImqError`);
      T.assert(e.code === code, `${what}: code ${e.code} (${e.message}), expected ${code}`);
      return e;
    }
    throw new Error(`${what}: expected ImqError ${code}, got the result ${JSON.stringify(result)}`);
  };

  /** Collects a subscription's messages' data (all mounts). */
  T.collect = (sub) => {
    const got = [];
    sub.on('message', (m) => got.push(m.data));
    return got;
  };

  T.closeAll = async () => {
    await Promise.all(Object.values(T.clients).map((c) => c.close().catch(() => {})));
  };
}
