/**
 * Preloaded into the benchmarked gateway (`node --expose-gc --import …/gateway-probe.js
 * dist/server/main.js`) by `npm run bench:subscriptions`, so the bench can read the gateway's own
 * memory without changing the gateway: over the IPC channel, `{ type: 'memory' }` is answered with
 * process.memoryUsage() after a full GC, and `{ type: 'heap-snapshot', path }` (only with
 * --heap-snapshots) with a V8 heap snapshot written there. Without an IPC channel it does nothing.
 */
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
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

/** How the gateway's own loop fared since the last `pauses-reset`: what delays every delivery. */
export interface ProbePauses {
  type: 'pauses';
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
  /** The longest pause and its kind (scavenge, mark-compact, …). */
  gcMaxKind: string;
}

const collect = (globalThis as { gc?: () => void }).gc;
const GC_KINDS: Record<number, string> = { 1: 'major', 2: 'minor', 4: 'incremental', 8: 'weak' };

if (process.send) {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const gc = { count: 0, totalMs: 0, maxMs: 0, maxKind: '' };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count++;
      gc.totalMs += entry.duration;
      if (entry.duration <= gc.maxMs) continue;
      gc.maxMs = entry.duration;
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind ?? 0;
      gc.maxKind = GC_KINDS[kind] ?? String(kind);
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('message', (message: { type?: string; path?: string }) => {
    if (message?.type === 'pauses-reset') {
      loop.reset();
      Object.assign(gc, { count: 0, totalMs: 0, maxMs: 0, maxKind: '' });
      return;
    }
    if (message?.type === 'pauses') {
      const reply: ProbePauses = {
        type: 'pauses',
        loopDelayP99Ms: loop.percentile(99) / 1e6,
        loopDelayMaxMs: loop.max / 1e6,
        gcCount: gc.count,
        gcTotalMs: gc.totalMs,
        gcMaxMs: gc.maxMs,
        gcMaxKind: gc.maxKind,
      };
      process.send?.(reply);
      return;
    }
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
