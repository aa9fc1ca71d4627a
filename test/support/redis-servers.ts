import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from '../../server/redis.js';

const START_TIMEOUT_MS = 10_000;

/** Polls `check` until it returns true; fails naming `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? lastError.message : 'no error';
      throw new Error(`${what}: not after ${timeoutMs} ms (${reason})`);
    }
    await sleep(100);
  }
}

function requireRedisServer(): void {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error('redis-server is not installed: install it (apt-get install redis-server)');
  }
}

/** A short-lived client for one command against one server; never retries. */
export async function onServer<T>(port: number, run: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await run(redis);
  } finally {
    redis.disconnect();
  }
}

/** One redis-server process on a port of its own, in a directory of its own. */
export class RedisServer {
  #child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: string[],
    private readonly sentinelConfig: string | null,
  ) {}

  /**
   * Starts redis-server with `args` on a free port. It saves its data on shutdown (SIGTERM), so
   * `stop()` then `start()` finds the data again, as a restarted production server would. With
   * `sentinel`, it runs as a Sentinel with those configuration lines.
   */
  static async start(
    options: { args?: string[]; sentinel?: (port: number) => string[] } = {},
  ): Promise<RedisServer> {
    requireRedisServer();
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'cgw-redis-'));
    // Sentinel rewrites its configuration file, so it gets one of its own in its directory.
    const sentinelConfig = options.sentinel
      ? writeConfig(dir, 'sentinel.conf', options.sentinel(port))
      : null;
    const server = new RedisServer(port, dir, options.args ?? [], sentinelConfig);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== null && this.#child.exitCode === null;
  }

  async start(): Promise<void> {
    const common = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir];
    const args = this.sentinelConfig
      ? [this.sentinelConfig, '--sentinel', ...common]
      : [...common, '--save', '3600 1', '--appendonly', 'no', ...this.args];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.#child = child;
    await waitFor(
      `redis-server on port ${this.port} answering`,
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited ${child.exitCode}`);
        return (await onServer(this.port, (redis) => redis.ping())) === 'PONG';
      },
      START_TIMEOUT_MS,
    );
  }

  /** SIGTERM: Redis saves its data and exits, closing every connection. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  /** Stops it, throws its saved data away, and starts it again empty. */
  async restartEmpty(): Promise<void> {
    await this.stop();
    rmSync(join(this.dir, 'dump.rdb'), { force: true });
    await this.start();
  }

  /** Stops it for good and removes its directory. */
  async destroy(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Stops every server, whatever state each is in. */
export async function destroyAll(servers: readonly RedisServer[]): Promise<void> {
  await Promise.all(servers.map((server) => server.destroy()));
}

function writeConfig(dir: string, name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}
