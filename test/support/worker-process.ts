import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Sandbox } from '../../sandbox/index.js';
import { sandboxEnvironment, TEST_REDIS_URL } from './gateway.js';

const DIST = (path: string) => fileURLToPath(new URL(`../../dist/${path}`, import.meta.url));

export interface ChildRun {
  child: ChildProcess;
  output: () => string;
  /** What the program wrote to stderr alone. */
  errorOutput: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/**
 * Runs one of the project's programs (compiled into dist/ by npm test's build) as its own
 * process against a sandbox and a Redis prefix, and resolves once its output shows `ready`.
 */
async function startProgram(
  program: string,
  ready: RegExp,
  target: { sandbox: Sandbox; keyPrefix: string },
  environment: Record<string, string>,
): Promise<ChildRun & { match: RegExpMatchArray }> {
  const path = DIST(program);
  if (!existsSync(path))
    throw new Error(`${path} is missing: run npm run build (npm test does it)`);
  // As npm start and npm run worker do: tracing is loaded before the program (a no-op unless
  // OTEL_EXPORTER_OTLP_ENDPOINT is set).
  const child = spawn(process.execPath, ['--import', DIST('server/telemetry.js'), path], {
    env: {
      PATH: process.env['PATH'] ?? '',
      ...sandboxEnvironment(target.sandbox),
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: target.keyPrefix,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      // Unset, a gateway listens on every interface: tests keep to loopback.
      HOST: '127.0.0.1',
      ...environment,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let errorOutput = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    errorOutput += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const match = ready.exec(output);
    if (match) {
      return { child, output: () => output, errorOutput: () => errorOutput, exited, match };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${program} did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `npm run worker` as its own process. */
export function startWorkerProcess(
  target: { sandbox: Sandbox; keyPrefix: string },
  environment: Record<string, string> = {},
): Promise<ChildRun> {
  return startProgram('jobs/worker-main.js', /order worker started/, target, environment);
}

/** `npm start` as its own process (no worker inside), on a free port. */
export async function startGatewayProcess(
  target: { sandbox: Sandbox; keyPrefix: string },
  environment: Record<string, string> = {},
): Promise<ChildRun & { url: string }> {
  const run = await startProgram('server/main.js', /listening on (http:\/\/[^\s"]+)/, target, {
    PORT: '0',
    RUN_WORKER: 'false',
    ...environment,
  });
  return { ...run, url: run.match[1] ?? '' };
}
