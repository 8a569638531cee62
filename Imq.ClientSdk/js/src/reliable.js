// Why this file exists: direct messages are handed to the app one at a time, in arrival order; a
// reliable one (it carries an id) is acknowledged only after every handler has finished without error,
// and an id already handled (IMQ delivers at least once: again at each login until acknowledged) is
// acknowledged again without reaching the app. Acknowledgements are sent in batches of at most 100 ids
// (one Ack counts once against the user's rate) and kept until a connection takes them.

const MAX_IDS_PER_ACK = 100;
const RETRY_MS = 1000;

export class DirectInbox {
  #handled = new Set(); // ids handled, oldest first, at most #capacity
  #capacity;
  #toAck = new Set();
  #chain = Promise.resolve();
  #flushing = null;
  #timer = null;
  #handlers;
  #ack;
  #report;

  /**
   * @param handlers () => the current 'direct' handlers
   * @param ack (ids) => Promise: sends Ack on the current connection; rejects when there is none
   * @param report (error) => void: a handler's or an Ack's failure
   */
  constructor({ capacity, handlers, ack, report }) {
    this.#capacity = capacity;
    this.#handlers = handlers;
    this.#ack = ack;
    this.#report = report;
  }

  /** A Direct event arrived. */
  receive(from, data, id) {
    const message = { from: from ?? null, data: data ?? null, id: id ?? null, reliable: id !== null && id !== undefined };
    this.#chain = this.#chain.then(() => this.#handle(message));
  }

  /** Resolves when every message received so far has been handed to the app. */
  idle() {
    return this.#chain;
  }

  async #handle(message) {
    if (!message.reliable) {
      await this.#run(message);
      return;
    }
    if (this.#handled.has(message.id)) {
      this.#queueAck(message.id); // delivered again: our Ack was lost or not sent yet
      return;
    }
    if (!(await this.#run(message))) {
      return; // not handled: not acknowledged, so IMQ delivers it again at the next login
    }
    this.#handled.add(message.id);
    if (this.#handled.size > this.#capacity) {
      this.#handled.delete(this.#handled.values().next().value);
    }
    this.#queueAck(message.id);
  }

  async #run(message) {
    for (const handler of this.#handlers()) {
      try {
        await handler(message);
      } catch (e) {
        this.#report(e);
        return false;
      }
    }
    return true;
  }

  #queueAck(id) {
    this.#toAck.add(id);
    this.#schedule(0);
  }

  #schedule(ms) {
    if (this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.flush().catch(() => {});
      }, ms);
    }
  }

  /** Sends every waiting acknowledgement (a connection has come back, or the client is closing). */
  flush() {
    this.#flushing ??= this.#flushAll().finally(() => {
      this.#flushing = null;
    });
    return this.#flushing;
  }

  async #flushAll() {
    while (this.#toAck.size > 0) {
      const ids = [...this.#toAck].slice(0, MAX_IDS_PER_ACK);
      try {
        await this.#ack(ids);
      } catch (e) {
        if (e.code === 'rate_limited') {
          this.#schedule(RETRY_MS);
        } else if (e.code !== 'unavailable') {
          this.#report(e);
          ids.forEach((id) => this.#toAck.delete(id)); // refused for good: they come again at the next login
        }
        return; // unavailable: no connection; flushed when one is back
      }
      ids.forEach((id) => this.#toAck.delete(id));
    }
  }

  /** Forgets what waits (the client is closed for good); the handled ids stay, for a later connect. */
  clearPending() {
    this.#toAck.clear();
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }
}
