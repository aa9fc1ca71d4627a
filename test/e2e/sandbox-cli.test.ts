import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSeat } from '../../sandbox/demo-data.js';
import { purchase } from '../support/commerce.js';
import { deleteKeys, TEST_REDIS_URL } from '../support/gateway.js';
import {
  freeGatewayPort,
  startGatewayProcess,
  type GatewayProcess,
} from '../support/gateway-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** `tsc -b` writes its build info whenever it builds, and leaves it alone when all is up to date. */
const BUILD_INFO = fileURLToPath(new URL('../../dist/tsconfig.build.tsbuildinfo', import.meta.url));
/** Up to date, `tsc -b` takes a second or two; compiling everything, 20-60 s on two cores. */
const BUILD_TIMEOUT_MS = 180_000;

/** Runs `npm run <script> -- args` as a developer would, timing it. */
function npmRun(script: string, args: string[], port: number) {
  const startedAt = Date.now();
  const child = spawn('npm', ['run', '--silent', script, '--', ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise<{ code: number | null; output: string; ms: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, output, ms: Date.now() - startedAt })),
  );
}

describe('npm run token and npm run pay, once built', () => {
  const keyPrefix = `test:${randomUUID()}:`;
  let port: number;
  let run: GatewayProcess;
  let url: string;
  beforeAll(async () => {
    // What is measured is the built project, as a developer has it after `npm start` or
    // `npm test`: sources edited since (a run of vitest alone) would make the scripts rebuild.
    await promisify(execFile)('npm', ['run', '--silent', 'build'], { cwd: ROOT });
    port = await freeGatewayPort();
    run = startGatewayProcess({
      PORT: String(port),
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: keyPrefix,
    });
    url = await run.listening();
  }, BUILD_TIMEOUT_MS);
  afterAll(async () => {
    await run.stop();
    await deleteKeys(keyPrefix);
  });

  it('answer in a few seconds, without rebuilding the project', async () => {
    const builtAt = statSync(BUILD_INFO).mtimeMs;
    const token = await npmRun('token', ['carol'], port);
    expect(token.code, token.output).toBe(0);
    const jwt = /"Authorization": "JWT ([^"]+)"/.exec(token.output)?.[1];
    expect(jwt).toBeTruthy();
    expect(token.ms).toBeLessThan(5000);

    const placed = await purchase(
      url,
      jwt!,
      [demoSeat('course-v1:SandboxX+ML301+3T2026', 'verified').sku],
      randomUUID(),
    );
    const pay = await npmRun('pay', [placed.payment!.id], port);
    expect(pay.code, pay.output).toBe(0);
    expect(pay.output).toContain(`${placed.payment!.id}: succeeded`);
    expect(pay.ms).toBeLessThan(5000);
    expect(statSync(BUILD_INFO).mtimeMs, 'npm run token or pay rebuilt the project').toBe(builtAt);
  });

  it('refuse a malformed payment id with the usage line', async () => {
    const pay = await npmRun('pay', ['not-a-payment'], port);
    expect(pay.code).toBe(1);
    expect(pay.output.trim()).toBe('Usage: npm run pay -- pi_… [visa|declined|disputed]');
  });
});
