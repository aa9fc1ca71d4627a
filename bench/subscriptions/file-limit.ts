import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Soft and hard limits on open files, from /proc (Node has no getrlimit). */
export function fileLimits(pid: number | 'self' = 'self'): { soft: number; hard: number } {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const [soft = '0', hard = '0'] = line?.trim().split(/\s+/).slice(3, 5) ?? [];
  const parse = (v: string) => (v === 'unlimited' ? Infinity : Number(v));
  return { soft: parse(soft), hard: parse(hard) };
}

/** Thrown by ensureFileLimit once it has re-run the bench in a child, which does the reporting. */
export class ReExec extends Error {}

/**
 * The gateway's own files besides its client sockets (its listeners and the in-process sandbox's,
 * Redis, upstream keep-alive sockets at both ends, stdio, IPC, epoll): 35 at idle; some spare.
 */
const GATEWAY_OTHER_FILES = 64;

/** The gateway (one process) holds a socket per client: fail early if its hard limit cannot. */
export function checkGatewayFileLimit(clients: number): void {
  const { hard } = fileLimits();
  if (clients + GATEWAY_OTHER_FILES <= hard) return;
  throw new Error(
    `${clients} clients need ${clients + GATEWAY_OTHER_FILES} open files in the gateway, ` +
      `above the hard limit of ${hard} (ulimit -Hn; raising it needs CAP_SYS_RESOURCE); ` +
      `at most ${hard - GATEWAY_OTHER_FILES} clients fit`,
  );
}

/**
 * Each client process holds up to `maxClients` sockets under the limit it inherits from this
 * process: re-run under a raised soft limit if it is too low.
 */
export function ensureFileLimit(maxClients: number): void {
  const needed = maxClients + 1024;
  const { soft, hard } = fileLimits();
  if (soft >= needed) return;
  if (process.env.BENCH_SUBSCRIPTIONS_RAISED === '1' || hard < needed) {
    process.stderr.write(
      `ulimit -n is ${soft} (hard ${hard}); ${needed} open files are needed for ${maxClients} clients.\n`,
    );
    process.exit(1);
  }
  const child = spawn(
    'bash',
    ['-c', `ulimit -n ${hard}; exec "$0" "$@"`, process.execPath, ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, BENCH_SUBSCRIPTIONS_RAISED: '1' } },
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code) => process.exit(code ?? 1));
  throw new ReExec();
}
