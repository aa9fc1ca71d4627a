/**
 * The benchmarked gateway: `npm start`'s dist/server/main.js with its in-process sandbox on
 * PORT+101..104, preloaded with gateway-probe.js so its memory can be read over the IPC channel.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { GATEWAY_NODE_FLAGS } from '../../server/node-flags.js';
import { freePortBlock } from '../../server/port-check.js';
import { addCleanup, children } from './cleanup.js';
import type { ProbeMemory, ProbePauses } from './gateway-probe.js';
import type { FanoutOptions } from './options.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');
const probeUrl = new URL('./gateway-probe.js', import.meta.url).href;
const STOP_GRACE_MS = 10_000;

/** The probe's figures plus the resident set size from /proc. */
export type GatewayMemory = ProbeMemory & { vmRss: number };

export interface Gateway {
  url: string;
  commercetoolsUrl: string;
  pid: number;
  keyPrefix: string;
  memory(): Promise<GatewayMemory>;
  heapSnapshot(path: string): Promise<void>;
  /** Starts counting the gateway's loop delay and GC pauses afresh. */
  resetPauses(): void;
  /** The gateway's loop delay and GC pauses since resetPauses. */
  pauses(): Promise<ProbePauses>;
  cpuMs(): number;
  stop(): Promise<void>;
}

export function procStatusKb(pid: number, field: string): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? NaN);
}

/** utime + stime of a process, in ms. */
export function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
}

export async function startGateway(
  run: number,
  options: Pick<
    FanoutOptions,
    'runId' | 'redisUrl' | 'gatewayFlags' | 'gatewayLog' | 'gatewayRoot'
  >,
): Promise<Gateway> {
  const port = await freePortBlock([101, 102, 103, 104]);
  const keyPrefix = `bench-subs-${options.runId}-${run}:`;
  const env: NodeJS.ProcessEnv = {};
  // The bench's shell may carry gateway settings; the gateway gets only what is set here.
  const owned =
    /^(PORT|NODE_ENV|LOG_LEVEL|REDIS_|DISCOVERY_|LMS_|STRIPE_|COMMERCETOOLS_|JWT_|RUN_)/;
  for (const [name, value] of Object.entries(process.env)) if (!owned.test(name)) env[name] = value;
  Object.assign(env, {
    PORT: String(port),
    // Probed free and called on loopback alone.
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    RUN_WORKER: 'false',
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: keyPrefix,
    // Every simulated client comes from loopback: one address, thousands of sockets.
    MAX_CONNECTIONS_PER_CLIENT: '0',
  });
  const node = [
    process.execPath,
    ...GATEWAY_NODE_FLAGS,
    '--expose-gc',
    '--import',
    probeUrl,
    ...options.gatewayFlags,
    'dist/server/main.js',
  ];
  const child = spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"', ...node], {
    cwd: options.gatewayRoot ?? repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  if (options.gatewayLog) {
    const file = createWriteStream(options.gatewayLog, { flags: 'a' });
    child.stdout?.pipe(file);
    child.stderr?.pipe(file);
  }
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      children.delete(child);
      resolve();
    }),
  );
  const pid = child.pid ?? -1;
  const url = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timedOut = await Promise.race([
      exited.then(() => false),
      delay(STOP_GRACE_MS).then(() => true),
    ]);
    if (timedOut) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  addCleanup(stop);

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway exited at start:\n${output}`);
    if (Date.now() > deadline) throw new Error(`the gateway did not answer in 30 s:\n${output}`);
    const ok = await fetch(`${url}/healthz`)
      .then((response) => response.ok)
      .catch(() => false);
    if (ok) break;
    await delay(200);
  }

  const memory = () =>
    new Promise<GatewayMemory>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the gateway probe did not answer')), 30_000);
      const onMessage = (message: ProbeMemory) => {
        if (message.type !== 'memory') return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve({ ...message, vmRss: procStatusKb(pid, 'VmRSS') * 1024 });
      };
      child.on('message', onMessage);
      child.send({ type: 'memory' });
    });
  const heapSnapshot = (path: string) =>
    new Promise<void>((resolve) => {
      const onMessage = (message: { type?: string }) => {
        if (message.type !== 'heap-snapshot') return;
        child.off('message', onMessage);
        resolve();
      };
      child.on('message', onMessage);
      child.send({ type: 'heap-snapshot', path });
    });
  const pauses = () =>
    new Promise<ProbePauses>((resolve) => {
      const onMessage = (message: ProbePauses) => {
        if (message.type !== 'pauses') return;
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      child.send({ type: 'pauses' });
    });
  return {
    url,
    heapSnapshot,
    resetPauses: () => child.send({ type: 'pauses-reset' }),
    pauses,
    commercetoolsUrl: `http://127.0.0.1:${port + 104}`,
    pid,
    keyPrefix,
    memory,
    cpuMs: () => procCpuMs(pid),
    stop,
  };
}
