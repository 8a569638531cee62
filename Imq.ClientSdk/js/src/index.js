// Why this file exists: the public face of the IMQ JavaScript client (`@imq/client`), one ES module for
// browsers and Node: ImqClient (a user), ImqServerClient (a server with an API key), Subscription (one
// joined queue) and ImqError (every failure, with its stable `code`). Types are in index.d.ts.

export { ImqClient } from './client.js';
export { ImqServerClient } from './server.js';
export { Subscription } from './subscription.js';
export { ImqError, ERROR_CODES } from './errors.js';
