/**
 * Preloaded into the benchmarked gateway (`node --expose-gc --import …/gateway-probe.js
 * dist/server/main.js`) by `npm run bench:subscriptions`, so the bench can read the gateway's own
 * memory without changing the gateway: over the IPC channel, `{ type: 'memory' }` is answered with
 * process.memoryUsage() after a full GC, and `{ type: 'heap-snapshot', path }` (only with
 * --heap-snapshots) with a V8 heap snapshot written there. Without an IPC channel it does nothing.
 */
import { readdirSync } from 'node:fs';
import { writeHeapSnapshot } from 'node:v8';

export interface ProbeMemory {
  type: 'memory';
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  openFds: number;
}

const collect = (globalThis as { gc?: () => void }).gc;

if (process.send) {
  process.on('message', (message: { type?: string; path?: string }) => {
    if (message?.type === 'heap-snapshot' && message.path) {
      process.send?.({ type: 'heap-snapshot', path: writeHeapSnapshot(message.path) });
      return;
    }
    if (message?.type !== 'memory') return;
    // Twice: the first pass can leave weakly held objects for the second.
    collect?.();
    collect?.();
    const usage = process.memoryUsage();
    const reply: ProbeMemory = {
      type: 'memory',
      rss: usage.rss,
      heapUsed: usage.heapUsed,
      heapTotal: usage.heapTotal,
      external: usage.external,
      arrayBuffers: usage.arrayBuffers,
      openFds: readdirSync('/proc/self/fd').length,
    };
    process.send?.(reply);
  });
  // The channel must not keep the gateway alive once it has stopped serving.
  process.channel?.unref();
}
