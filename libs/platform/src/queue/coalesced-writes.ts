import type { Socket } from 'node:net';

const coalesced = new WeakSet<Socket>();

/**
 * Commands written to the socket in one turn of the event loop leave in one system call.
 *
 * A batch of jobs finishes together (a routing batch commits, their done-marks share one
 * UPDATE), and BullMQ then finishes each job with a script call of its own: ioredis writes
 * each to the socket at once, one `write` system call apiece, and on this machine those calls
 * are a tenth of the worker's CPU under load. Corked until the end of the turn (Node's own
 * pattern: `cork()`, the writes, `uncork()` on the next tick), they go out as one `writev`.
 * Nothing else changes: each command is still its own command, queued and answered in order
 * as before, and sent no later than the end of the turn it was written in.
 */
export function coalesceWrites(socket: Socket | undefined): void {
  if (!socket || coalesced.has(socket) || typeof socket.cork !== 'function') return;
  coalesced.add(socket);
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = (...args: unknown[]): boolean => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return write(...args);
  };
}

/** An ioredis client, as BullMQ hands it out: its socket now, and a new one at each connect. */
interface RedisClientLike {
  stream?: unknown;
  on(event: 'connect', listener: () => void): unknown;
}

/** coalesceWrites for an ioredis client's socket, and for each socket it reconnects on. */
export function coalesceRedisWrites(client: RedisClientLike): void {
  const current = () => coalesceWrites(client.stream as Socket | undefined);
  current();
  client.on('connect', current);
}
