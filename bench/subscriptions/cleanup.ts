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

export function cleanUpOnExitAndSignals(): void {
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      process.stderr.write(`${signal}: stopping the gateway and cleaning up\n`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
}
