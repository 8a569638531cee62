// Why this file exists: the small event emitter behind ImqClient and Subscription (`on` returns a
// function that removes the handler). It runs the same in a browser and in Node, without Node's
// EventEmitter. A handler that throws does not stop the others: its error goes to `onHandlerError`.

export class Emitter {
  #handlers = new Map();
  #onHandlerError;

  constructor(onHandlerError) {
    this.#onHandlerError = onHandlerError;
  }

  /** Adds a handler; returns a function that removes it. */
  on(event, handler) {
    if (typeof handler !== 'function') {
      throw new TypeError(`the handler of '${event}' is not a function`);
    }
    const list = this.#handlers.get(event) ?? [];
    this.#handlers.set(event, [...list, handler]);
    return () => this.off(event, handler);
  }

  off(event, handler) {
    const list = this.#handlers.get(event);
    if (list) {
      this.#handlers.set(event, list.filter((h) => h !== handler));
    }
  }

  /** The handlers of `event`, as they are now. */
  handlers(event) {
    return this.#handlers.get(event) ?? [];
  }

  emit(event, ...args) {
    for (const handler of this.handlers(event)) {
      try {
        const result = handler(...args);
        if (result && typeof result.catch === 'function') {
          result.catch((e) => this.#onHandlerError(e, event));
        }
      } catch (e) {
        this.#onHandlerError(e, event);
      }
    }
  }
}
