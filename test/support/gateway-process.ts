import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePortBlock } from '../../server/port-check.js';

const MAIN = fileURLToPath(new URL('../../dist/server/main.js', import.meta.url));

export interface GatewayProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  /** Resolves with the URL it logs once listening; rejects if it exits or is slow. */
  listening(timeoutMs?: number): Promise<string>;
  /** SIGTERM, then SIGKILL if it is still there after a while. */
  stop(): Promise<number | null>;
}

/**
 * Runs `npm start`'s program (the built dist/) with only the given environment, as an operator
 * would, on loopback unless the environment names another HOST.
 */
export function startGatewayProcess(environment: Record<string, string>): GatewayProcess {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: run npm run build (npm test does it)`);
  }
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    async listening(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const url = /listening on (http:\/\/[^\s"]+)/.exec(stdout)?.[1];
        if (url) return url;
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`did not start:\n${stdout}${stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A port P such that P and the sandbox's P+101…P+104 are free now, for a gateway on a fixed PORT. */
export function freeGatewayPort(): Promise<number> {
  return freePortBlock([101, 102, 103, 104]);
}
