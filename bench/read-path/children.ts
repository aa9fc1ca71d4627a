import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.js';
import { request } from './http.js';
import { freePortBlock } from '../../server/port-check.js';

/**
 * `separate`: the sandbox in its own process, the gateway configured with its URLs (as in
 * production, where upstreams are remote), so the gateway's event loop does only gateway work.
 * `in-process`: `npm start` as is, the sandbox inside the gateway process on PORT+101..104; the
 * sandbox's own CPU time then lands on the gateway's event loop and counts as "added" latency.
 */
export type Topology = 'separate' | 'in-process';

export interface UpstreamUrls {
  discovery: string;
  lms: string;
  stripe: string;
  commercetools: string;
}

export interface RunningSystem {
  gatewayUrl: string;
  upstreams: UpstreamUrls;
  gatewayPid: number;
  /** The separate sandbox's process, or null when it runs inside the gateway. */
  sandboxPid: number | null;
  /** Stops every child (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
}

export interface SystemOptions {
  topology: Topology;
  repoRoot: string;
  redisUrl: string;
  redisKeyPrefix: string;
  /** Extra node flags for the gateway, e.g. --cpu-prof. */
  gatewayNodeFlags: string[];
  /** Extra environment for the gateway, e.g. OTEL_* to trace it. */
  gatewayEnv?: NodeJS.ProcessEnv;
  /**
   * Another checkout whose built gateway is measured (an earlier commit's, for "before"),
   * started as that checkout's own `npm start` starts it; the upstreams stay this one's sandbox.
   */
  gatewayRoot?: string;
  /**
   * Another Node binary for the gateway alone (e.g. a newer release line), so that only the
   * gateway's runtime changes; the sandbox and the bench stay on this one.
   */
  gatewayNode?: string;
}

/** Where `npm start` puts its in-process sandbox (PORT+101..104), and where the separate one goes. */
const IN_PROCESS_OFFSET = 100;
const SEPARATE_OFFSET = 200;
const PORT_OFFSETS = [1, 2, 3, 4].flatMap((i) => [IN_PROCESS_OFFSET + i, SEPARATE_OFFSET + i]);
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 15_000;

/** Children still running; killed synchronously if the bench dies before stopping them. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

class Child {
  readonly #process: ChildProcess;
  #output = '';
  readonly #exited: Promise<void>;

  constructor(
    readonly name: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    cwd: string,
    node: string = process.execPath,
  ) {
    this.#process = spawn(node, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.#process);
    // Kept (the tail only) so a child that fails to start can say why.
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString('utf8')).slice(-4000);
    };
    this.#process.stdout?.on('data', keep);
    this.#process.stderr?.on('data', keep);
    this.#exited = new Promise((resolve) => {
      this.#process.once('exit', () => {
        live.delete(this.#process);
        resolve();
      });
    });
  }

  get pid(): number {
    return this.#process.pid ?? -1;
  }

  get hasExited(): boolean {
    return this.#process.exitCode !== null || this.#process.signalCode !== null;
  }

  get output(): string {
    return this.#output;
  }

  async stop(): Promise<void> {
    if (this.hasExited) return;
    this.#process.kill('SIGTERM');
    const timedOut = await Promise.race([
      this.#exited.then(() => false),
      delay(STOP_GRACE_MS).then(() => true),
    ]);
    if (timedOut) {
      this.#process.kill('SIGKILL');
      await this.#exited;
    }
  }
}

/** Starts the sandbox (unless in-process) and the gateway, and waits until both answer. */
export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const children: Child[] = [];
  const stop = async () => {
    // Gateway first, so it is not left calling upstreams that are already gone.
    for (const child of [...children].reverse()) await child.stop();
  };
  try {
    const port = await freePortBlock(PORT_OFFSETS);
    const upstreamBase =
      port + (options.topology === 'separate' ? SEPARATE_OFFSET : IN_PROCESS_OFFSET);
    const at = (offset: number) => `http://127.0.0.1:${upstreamBase + offset}`;
    const upstreams: UpstreamUrls = {
      discovery: at(1),
      lms: at(2),
      stripe: at(3),
      commercetools: at(4),
    };
    const gatewayUrl = `http://127.0.0.1:${port}`;
    const baseEnv = withoutGatewaySettings(process.env);

    if (options.topology === 'separate') {
      const sandbox = new Child(
        'sandbox',
        ['dist/sandbox/main.js'],
        {
          ...baseEnv,
          SANDBOX_PORT: String(upstreamBase),
          SANDBOX_LATENCY_MS: '0',
          SANDBOX_WEBHOOK_URL: `${gatewayUrl}/webhooks/stripe`,
        },
        options.repoRoot,
      );
      children.push(sandbox);
      await waitUntilAnswers(sandbox, `${upstreams.discovery}/__sandbox/stats`);
    }

    const gateway = new Child(
      'gateway',
      // As npm start runs it: its V8 flags, then the tracing loader (a no-op unless
      // OTEL_EXPORTER_OTLP_ENDPOINT is set); test/unit/server/node-flags holds those flags to
      // GATEWAY_NODE_FLAGS, which the other benches pass.
      npmStartArgs(options.gatewayRoot ?? options.repoRoot, options.gatewayNodeFlags),
      {
        ...baseEnv,
        PORT: String(port),
        // Probed free and called on loopback alone.
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        REDIS_URL: options.redisUrl,
        REDIS_KEY_PREFIX: options.redisKeyPrefix,
        ...(options.topology === 'separate' ? remoteUpstreamEnv(upstreams) : {}),
        ...options.gatewayEnv,
      },
      options.gatewayRoot ?? options.repoRoot,
      options.gatewayNode,
    );
    children.push(gateway);
    await waitUntilAnswers(gateway, `${gatewayUrl}/healthz`);
    const sandboxPid = children.find((child) => child.name === 'sandbox')?.pid ?? null;
    return { gatewayUrl, upstreams, gatewayPid: gateway.pid, sandboxPid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Node's arguments in `root`'s `npm start` (`node <flags> <entry>`), `extraFlags` before the entry. */
export function npmStartArgs(root: string, extraFlags: readonly string[]): string[] {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const [command, ...words] = (scripts?.['start'] ?? '').split(/\s+/).filter(Boolean);
  const entry = words.pop();
  if (command !== 'node' || entry === undefined) {
    throw new Error(
      `${root}: npm start is not "node [flags] <entry>": ${scripts?.['start'] ?? ''}`,
    );
  }
  return [...words, ...extraFlags, entry];
}

/** The configuration of a production gateway whose upstreams are the separate sandbox. */
function remoteUpstreamEnv(upstreams: UpstreamUrls): NodeJS.ProcessEnv {
  const credentials = SANDBOX_CREDENTIALS;
  return {
    NODE_ENV: 'production',
    DISCOVERY_URL: upstreams.discovery,
    LMS_URL: upstreams.lms,
    LMS_API_KEY: credentials.lmsApiKey,
    LMS_OAUTH_CLIENT_ID: credentials.lmsServiceClient.clientId,
    LMS_OAUTH_CLIENT_SECRET: credentials.lmsServiceClient.clientSecret,
    STRIPE_API_URL: upstreams.stripe,
    STRIPE_SECRET_KEY: credentials.stripeSecretKey,
    STRIPE_WEBHOOK_SECRET: credentials.stripeWebhookSecret,
    COMMERCETOOLS_API_URL: upstreams.commercetools,
    COMMERCETOOLS_AUTH_URL: upstreams.commercetools,
    COMMERCETOOLS_PROJECT_KEY: credentials.commercetools.projectKey,
    COMMERCETOOLS_CLIENT_ID: credentials.commercetools.clientId,
    COMMERCETOOLS_CLIENT_SECRET: credentials.commercetools.clientSecret,
    JWT_ISSUER: credentials.jwt.issuer,
    JWT_AUDIENCE: credentials.jwt.audience,
    JWT_SECRET_KEY: credentials.jwt.secretKey,
    ALLOWED_ORIGINS: 'http://127.0.0.1',
  };
}

/** The bench's own shell may carry gateway settings; the children get only what is set here. */
function withoutGatewaySettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const cleaned: NodeJS.ProcessEnv = {};
  const owned =
    /^(PORT|NODE_ENV|LOG_LEVEL|REDIS_|DISCOVERY_|LMS_|STRIPE_|COMMERCETOOLS_|JWT_|ALLOWED_ORIGINS|UPSTREAM_|CATALOG_|SANDBOX_|OTEL_|METRICS_)/;
  for (const [name, value] of Object.entries(env)) {
    if (!owned.test(name)) cleaned[name] = value;
  }
  return cleaned;
}

async function waitUntilAnswers(child: Child, url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.hasExited) {
      throw new Error(`The ${child.name} exited while starting:\n${child.output}`);
    }
    try {
      const answer = await request({ method: 'GET', url });
      if (answer.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await delay(100);
  }
  throw new Error(
    `The ${child.name} did not answer ${url} within ${READY_TIMEOUT_MS} ms:\n${child.output}`,
  );
}

export interface FloorServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts read-path/floor-server.ts for one operation, answering `answer` (see that file). */
export async function startFloorServer(options: {
  repoRoot: string;
  operation: string;
  answer: string;
  upstreams: UpstreamUrls;
}): Promise<FloorServer> {
  const port = await freePortBlock([]);
  const floor = new Child(
    'floor',
    ['dist/bench/read-path/floor-server.js'],
    {
      PATH: process.env['PATH'] ?? '',
      FLOOR_PORT: String(port),
      FLOOR_OPERATION: options.operation,
      FLOOR_ANSWER: options.answer,
      FLOOR_UPSTREAMS: JSON.stringify(options.upstreams),
    },
    options.repoRoot,
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswers(floor, url);
  } catch (error) {
    await floor.stop();
    throw error;
  }
  return { url, pid: floor.pid, stop: () => floor.stop() };
}
