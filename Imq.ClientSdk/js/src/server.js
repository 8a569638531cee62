// Why this file exists: a game or app server connects to the same hub with an API key (role
// `server`) and gets, on top of a user's calls, the management of queues, mounts and members.
// ImqServerClient is ImqClient with those calls; its connections are never replaced.

import { ImqClient } from './client.js';

export class ImqServerClient extends ImqClient {
  /** Creates a queue with its mounts (`[{ name, type }]`); an existing queue is left as it is. */
  createQueue(queue, mounts = null) {
    return this.invoke('CreateQueue', queue, mounts ?? null);
  }

  /** Deletes a queue: its members get Left(queue, 'deleted'). */
  deleteQueue(queue) {
    return this.invoke('DeleteQueue', queue);
  }

  /** Adds a mount ('message' or 'state'); resolves with the change's seq. */
  mount(queue, name, type) {
    return this.invoke('Mount', queue, name, type);
  }

  /** Removes a mount; resolves with the change's seq. */
  unmount(queue, name) {
    return this.invoke('Unmount', queue, name);
  }

  /** Makes an online user a member (it gets Joined). */
  addMember(queue, userId) {
    return this.invoke('AddMember', queue, userId);
  }

  /** Ends a user's membership (it gets Left(queue, 'removed')). */
  removeMember(queue, userId) {
    return this.invoke('RemoveMember', queue, userId);
  }
}
