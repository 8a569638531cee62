// Why this file exists: the module must run in a page without a bundler (where the SignalR browser
// bundle has set the global `signalR`) and in Node or a bundled app (where `@microsoft/signalr` is
// imported). This finds the SignalR namespace, and the MessagePack protocol when one is asked for.

/** The SignalR namespace: the one given, else the browser bundle's global, else the package. */
export async function loadSignalR(given) {
  if (given) {
    return given;
  }
  if (globalThis.signalR && globalThis.signalR.HubConnectionBuilder) {
    return globalThis.signalR;
  }
  const m = await import('@microsoft/signalr');
  return m.HubConnectionBuilder ? m : m.default;
}

/**
 * The hub protocol to use: `hubProtocol` when given; for 'messagepack', the MessagePackHubProtocol of
 * the browser bundle (signalr-protocol-msgpack.min.js) or of the package
 * `@microsoft/signalr-protocol-msgpack` (optional; a bundled app passes `hubProtocol` instead, because
 * the package is imported here by a name bundlers do not see); for 'json' (the default), undefined.
 */
export async function loadHubProtocol(signalR, protocol, hubProtocol) {
  if (hubProtocol) {
    return hubProtocol;
  }
  if (protocol === undefined || protocol === 'json') {
    return undefined;
  }
  if (protocol !== 'messagepack') {
    throw new TypeError(`unknown protocol '${protocol}' (use 'json' or 'messagepack')`);
  }
  let ns = (signalR.protocols && signalR.protocols.msgpack)
    || (globalThis.signalR && globalThis.signalR.protocols && globalThis.signalR.protocols.msgpack);
  if (!ns) {
    const name = '@microsoft/signalr-protocol-msgpack';
    const m = await import(/* webpackIgnore: true */ /* @vite-ignore */ name);
    ns = m.MessagePackHubProtocol ? m : m.default;
  }
  return new ns.MessagePackHubProtocol();
}
