// Why this file exists: the client tests need a connection to drop the way a dead gateway or network
// drops it, at a moment they choose. This TCP proxy (loopback, node:net) forwards to the node and can
// cut every connection it carries, either both ways (the node sees the socket close) or only on the
// client's side (the node still thinks the old connection is alive, as when a network dies silently),
// and can refuse new connections for a while (the client stays away while the test changes things).

import net from 'node:net';

export async function startProxy(targetPort) {
  const pairs = new Set();
  let refusing = false;
  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair = { client, upstream };
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', () => pair.cut !== 'client' && end());
    upstream.on('close', end);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    /** Cuts every connection: 'both' closes both sides; 'client' closes the client's and keeps the node's open, unread. */
    cut(mode = 'both') {
      for (const pair of [...pairs]) {
        pair.cut = mode;
        if (mode === 'client') {
          pair.upstream.unpipe(pair.client);
          pair.upstream.resume(); // read and drop what the node still writes to the dead connection
          pair.client.destroy();
        } else {
          pair.client.destroy();
          pair.upstream.destroy();
          pairs.delete(pair);
        }
      }
    },
    /** While true, new connections are closed at once. */
    refuse(value) {
      refusing = value;
    },
    close() {
      this.cut('both');
      for (const pair of pairs) {
        pair.upstream.destroy();
      }
      server.close();
    },
  };
}

/** A loopback port where nothing listens (connections to it are refused). */
export async function deadPort() {
  const s = net.createServer();
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}
