import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { SANDBOX_CREDENTIALS } from '../sandbox/credentials.js';
import { GATEWAY_NODE_FLAGS } from '../server/node-flags.js';
import { freePortBlock } from '../server/port-check.js';

const DIST = fileURLToPath(new URL('..', import.meta.url));
const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
const OUTPUT_KEPT = 20_000;
/** Linux clock ticks per second for /proc/<pid>/stat (CLK_TCK; 100 on every common kernel). */
const CLOCK_TICKS = 100;

/** Every child still running; killed synchronously if the bench exits without stopping them. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface StackOptions {
  /** REDIS_URL or REDIS_CLUSTER_NODES, as an operator sets them. */
  redisEnvironment: Record<string, string>;
  keyPrefix: string;
  lmsLatencyMs: number;
  workers: number;
  workerConcurrency: number;
  /** Extra node flags for the worker processes (e.g. --cpu-prof --cpu-prof-dir=…). */
  workerNodeFlags: string[];
}

export interface Stack {
  gatewayUrl: string;
  sandboxUrls: {
    lms: string;
    stripe: string;
    commercetools: string;
    discovery: string;
    smtp: string;
    screening: string;
  };
  /** The processes whose CPU time the report splits, by role. */
  pids: Record<string, number>;
  stop(): Promise<void>;
}

/**
 * The system as it is deployed, on this machine: the sandbox upstreams in a process of their
 * own (standing in for remote systems), a gateway with RUN_WORKER=false, and `npm run worker`
 * processes beside it, all on one Redis under the bench's key prefix.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const port = await freePortBlock([101, 102, 103, 104, 105, 106, 107]);
  const at = (offset: number) => `http://127.0.0.1:${port + offset}`;
  const sandboxUrls = {
    discovery: at(101),
    lms: at(102),
    stripe: at(103),
    commercetools: at(104),
    smtp: `smtp://127.0.0.1:${port + 105}`,
    screening: at(107),
  };
  const gatewayUrl = at(0);
  const common = {
    PATH: process.env['PATH'] ?? '',
    NODE_ENV: 'development',
    ...options.redisEnvironment,
    REDIS_KEY_PREFIX: options.keyPrefix,
  };
  const children: Child[] = [];
  const stop = async () => {
    await Promise.all(children.map((child) => child.stop()));
  };
  try {
    const sandbox = new Child('sandbox', [`${DIST}sandbox/main.js`], {
      ...common,
      SANDBOX_PORT: String(port + 100),
      SANDBOX_WEBHOOK_URL: `${gatewayUrl}/webhooks/stripe`,
    });
    children.push(sandbox);
    await sandbox.waitForOutput('Sandbox upstreams are listening');
    await putJson(`${sandboxUrls.lms}/__sandbox/latency`, { ms: options.lmsLatencyMs });

    const upstreams = upstreamEnvironment(sandboxUrls);
    const gateway = new Child('gateway', [...GATEWAY_NODE_FLAGS, `${DIST}server/main.js`], {
      ...common,
      ...upstreams,
      PORT: String(port),
      HOST: '127.0.0.1',
      RUN_WORKER: 'false',
      LOG_LEVEL: 'warn',
    });
    children.push(gateway);
    await waitForHttp(`${gatewayUrl}/healthz`, gateway);

    const workers = Array.from({ length: options.workers }, (_, i) => {
      // PORT only tells `npm run worker` where the sandbox is: PORT+101..104.
      const worker = new Child(
        `worker${i + 1}`,
        [...options.workerNodeFlags, `${DIST}jobs/worker-main.js`],
        {
          ...common,
          PORT: String(port),
          WORKER_CONCURRENCY: String(options.workerConcurrency),
          LOG_LEVEL: 'info',
        },
      );
      children.push(worker);
      return worker;
    });
    await Promise.all(workers.map((worker) => worker.waitForOutput('order worker started')));

    const pids: Record<string, number> = { gateway: gateway.pid, sandbox: sandbox.pid };
    for (const worker of workers) pids[worker.name] = worker.pid;
    return { gatewayUrl, sandboxUrls, pids, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** User + system CPU seconds a process has used so far, or null when it cannot be read. */
export function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces; fields are counted from after its closing paren.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** CPU seconds the whole machine has been busy (all cores, every process), from /proc/stat. */
export function machineBusySeconds(): number | null {
  try {
    const [user, nice, system, _idle, _iowait, irq, softirq, steal] = readFileSync(
      '/proc/stat',
      'utf8',
    )
      .split('\n', 1)[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return (
      ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) /
      CLOCK_TICKS
    );
  } catch {
    return null;
  }
}

class Child {
  readonly #process: ChildProcess;
  #output = '';

  constructor(
    readonly name: string,
    args: string[],
    env: Record<string, string>,
  ) {
    this.#process = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.#process);
    this.#process.once('exit', () => live.delete(this.#process));
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-OUTPUT_KEPT);
    };
    this.#process.stdout?.on('data', keep);
    this.#process.stderr?.on('data', keep);
  }

  get pid(): number {
    return this.#process.pid ?? -1;
  }

  get exited(): boolean {
    return this.#process.exitCode !== null || this.#process.signalCode !== null;
  }

  failure(what: string): Error {
    return new Error(`${this.name} ${what}; its last output:\n${this.#output.slice(-3000)}`);
  }

  async waitForOutput(text: string): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!this.#output.includes(text)) {
      if (this.exited) throw this.failure('exited before it was ready');
      if (Date.now() > deadline) throw this.failure(`did not say '${text}'`);
      await delay(50);
    }
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.#process.once('exit', () => resolve()));
    this.#process.kill('SIGTERM');
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
}

async function waitForHttp(url: string, child: Child): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exited) throw child.failure('exited before it was ready');
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw child.failure(`did not answer ${url}`);
    await delay(100);
  }
}

async function putJson(url: string, body: unknown): Promise<void> {
  const response = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`PUT ${url} answered ${response.status}`);
}

function upstreamEnvironment(urls: Stack['sandboxUrls']): Record<string, string> {
  const credentials = SANDBOX_CREDENTIALS;
  return {
    DISCOVERY_URL: urls.discovery,
    LMS_URL: urls.lms,
    LMS_API_KEY: credentials.lmsApiKey,
    LMS_OAUTH_CLIENT_ID: credentials.lmsServiceClient.clientId,
    LMS_OAUTH_CLIENT_SECRET: credentials.lmsServiceClient.clientSecret,
    STRIPE_API_URL: urls.stripe,
    STRIPE_SECRET_KEY: credentials.stripeSecretKey,
    STRIPE_WEBHOOK_SECRET: credentials.stripeWebhookSecret,
    COMMERCETOOLS_API_URL: urls.commercetools,
    COMMERCETOOLS_AUTH_URL: urls.commercetools,
    COMMERCETOOLS_PROJECT_KEY: credentials.commercetools.projectKey,
    COMMERCETOOLS_CLIENT_ID: credentials.commercetools.clientId,
    COMMERCETOOLS_CLIENT_SECRET: credentials.commercetools.clientSecret,
    JWT_ISSUER: credentials.jwt.issuer,
    JWT_AUDIENCE: credentials.jwt.audience,
    JWT_SECRET_KEY: credentials.jwt.secretKey,
    SMTP_URL: urls.smtp,
    SANCTIONS_API_URL: urls.screening,
    SANCTIONS_API_KEY: credentials.screeningApiKey,
  };
}

/** The Redis server's process id when it runs on this machine, for the CPU split. */
export async function redisProcessId(redisUrl: string): Promise<number | null> {
  const redis = new Redis(redisUrl);
  try {
    const match = /process_id:(\d+)/.exec(await redis.info('server'));
    const pid = match ? Number(match[1]) : null;
    return pid !== null && cpuSecondsOf(pid) !== null ? pid : null;
  } finally {
    redis.disconnect();
  }
}

/** Removes every key under the prefix (SCAN + UNLINK). */
export async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
