import type { Server } from 'node:http';

/**
 * The delays a simulator holds answers for (its "slow" fault), and a close that releases them and
 * drops kept-alive sockets at once, so that stopping a simulator never hangs on a slow request.
 */
export function heldDelays(): { sleep(ms: number): Promise<void>; closeServer(server: Server): Promise<void> } {
  const timers = new Set<{ t: NodeJS.Timeout; done: () => void }>();
  return {
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const h = { t: setTimeout(() => (timers.delete(h), resolve()), ms), done: resolve };
        timers.add(h);
      }),
    closeServer: (server) =>
      new Promise<void>((resolve) => {
        for (const h of timers) {
          clearTimeout(h.t);
          h.done();
        }
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
