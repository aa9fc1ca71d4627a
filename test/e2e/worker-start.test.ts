import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeys, TEST_REDIS_URL } from '../support/gateway.js';
import {
  freeGatewayPort,
  startGatewayProcess,
  type GatewayProcess,
} from '../support/gateway-process.js';

const WORKER = fileURLToPath(new URL('../../dist/jobs/worker-main.js', import.meta.url));

/** `npm run worker` with only the given environment; resolves once it started or exited. */
function startWorker(environment: Record<string, string>) {
  if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run npm run build`);
  const child = spawn(process.execPath, [WORKER], {
    env: { PATH: process.env['PATH'] ?? '', REDIS_URL: TEST_REDIS_URL, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const started = new Promise<boolean>((resolve) => {
    const check = setInterval(() => {
      if (stdout.includes('order worker started')) resolve(true);
      else if (child.exitCode !== null) resolve(false);
      else return;
      clearInterval(check);
    }, 50);
  });
  return { child, exited, started, stderr: () => stderr };
}

describe('npm run worker beside an npm start that uses the sandbox', () => {
  let port: number;
  let gateway: GatewayProcess;
  let prefix: string;
  beforeAll(async () => {
    port = await freeGatewayPort();
    prefix = `cgw:sandbox-${port + 100}:`;
    gateway = startGatewayProcess({
      PORT: String(port),
      REDIS_URL: TEST_REDIS_URL,
      RUN_WORKER: 'false',
    });
    await gateway.listening();
  });
  afterAll(async () => {
    await gateway.stop();
    await deleteKeys(prefix);
  });

  it('stops with one line when started with the wrong PORT, and takes no job', async () => {
    const wrongPort = await freeGatewayPort();
    const worker = startWorker({ PORT: String(wrongPort) });
    try {
      expect(await worker.started).toBe(false);
      expect(await worker.exited).toBe(1);
      const lines = worker.stderr().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^The worker did not start: no answer from catalog \(http:\/\/127/);
      expect(lines[0]).toContain(`same PORT (${wrongPort})`);
    } finally {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
      await deleteKeys(`cgw:sandbox-${wrongPort + 100}:`);
    }
  });

  it('starts with its gateway’s PORT, on that sandbox’s own Redis prefix', async () => {
    const worker = startWorker({ PORT: String(port) });
    try {
      expect(await worker.started, worker.stderr()).toBe(true);
      const redis = new Redis(TEST_REDIS_URL);
      try {
        // The reconciler's schedule, which only a worker writes (the gateway runs none here).
        expect(await redis.exists(`${prefix}bull:orders:repeat`)).toBe(1);
      } finally {
        redis.disconnect();
      }
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  });
});
