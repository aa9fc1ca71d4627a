import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

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

/** The first port the kernel hands out on its own (Linux's ip_local_port_range; 32768 if unknown). */
function ephemeralPortsStart(): number {
  try {
    const low = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    );
    return Number.isInteger(low) && low > 0 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/** A port P such that P and the sandbox's P+101…P+104 are free now, for a gateway on a fixed PORT. */
export async function freeGatewayPort(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
  // Below the ephemeral range: a port in it can be given to an outgoing connection (Redis, an
  // upstream, another test's client) or a port-0 listener between this probe and the gateway's
  // start, which then stops with "already in use" (seen in CI on a sandbox port, 33000).
  const top = Math.max(ephemeralPortsStart() - 105, 30_000);
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * (top - 20_000));
    const ports = [port, port + 101, port + 102, port + 103, port + 104];
    if ((await Promise.all(ports.map(free))).every(Boolean)) return port;
  }
  throw new Error('found no free gateway port with its sandbox ports');
}
