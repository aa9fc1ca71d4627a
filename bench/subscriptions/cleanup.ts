/**
 * The bench's child processes and its cleanup steps (stop a gateway, delete its Redis keys,
 * close the clients). Children are killed on exit; on SIGINT/SIGTERM the steps run first.
 */
import type { ChildProcess } from 'node:child_process';

export const children = new Set<ChildProcess>();
const cleanups: (() => Promise<void>)[] = [];

export function addCleanup(step: () => Promise<void>): void {
  cleanups.push(step);
}

/** Runs every step, newest first; a failing step does not stop the others. */
export async function cleanupAll(): Promise<void> {
  while (cleanups.length > 0)
    await cleanups
      .pop()?.()
      .catch(() => undefined);
}

/** Cleanup may wait on a Redis or gateway that the same Ctrl+C stopped; it gets this long. */
const CLEANUP_TIMEOUT_MS = 10_000;
let stopping = false;

/** True once SIGINT or SIGTERM arrived: failures after it are the interruption, not the bench's. */
export function interrupted(): boolean {
  return stopping;
}

export function cleanUpOnExitAndSignals(): void {
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`${signal}: stopping the gateway and cleaning up\n`);
      const deadline = new Promise((resolve) => setTimeout(resolve, CLEANUP_TIMEOUT_MS));
      void Promise.race([cleanupAll(), deadline]).finally(() => process.exit(130));
    });
  }
}
