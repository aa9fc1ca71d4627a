import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sandboxEnvironment, TEST_REDIS_URL, type TestGateway } from './gateway.js';

const WORKER_MAIN = fileURLToPath(new URL('../../dist/jobs/worker-main.js', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * Starts `npm run worker`'s program as a separate process against the test gateway's sandbox and
 * Redis prefix, and resolves once it says it has started.
 */
export async function startWorkerProcess(
  gw: TestGateway,
  environment: Record<string, string> = {},
): Promise<WorkerProcess> {
  if (!existsSync(WORKER_MAIN)) {
    throw new Error(`${WORKER_MAIN} is missing: run npm run build (npm test does it first)`);
  }
  const child = spawn(process.execPath, [WORKER_MAIN], {
    env: {
      PATH: process.env['PATH'] ?? '',
      ...sandboxEnvironment(gw.sandbox),
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: gw.keyPrefix,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      ...environment,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 15_000;
  while (!output.includes('order worker started')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the worker did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, output: () => output, exited };
}
