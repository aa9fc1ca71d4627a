import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { deleteKeys, TEST_REDIS_URL } from '../support/gateway.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BENCH = fileURLToPath(new URL('../../dist/bench/subscriptions-fanout.js', import.meta.url));

async function benchPrefixes(): Promise<Set<string>> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const prefixes = new Set<string>();
    for await (const batch of redis.scanStream({ match: 'bench-subs-*', count: 1000 })) {
      for (const key of batch as string[]) prefixes.add(key.split(':')[0] ?? key);
    }
    return prefixes;
  } finally {
    redis.disconnect();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm run bench:subscriptions', () => {
  it('prints each size’s figures as it finishes, and exits cleanly on Ctrl+C', async () => {
    if (!existsSync(BENCH)) throw new Error(`${BENCH} is missing: run npm run build`);
    const before = await benchPrefixes();
    // Its own process group, as a terminal's foreground job: Ctrl+C reaches the bench and its
    // gateway alike.
    const bench = spawn(
      process.execPath,
      [BENCH, '--clients', '40,4000', '--rounds', '1', '--burst-rounds', '1'],
      {
        cwd: ROOT,
        env: { PATH: process.env['PATH'] ?? '', REDIS_URL: TEST_REDIS_URL },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    bench.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    bench.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => bench.once('exit', resolve));
    try {
      const deadline = Date.now() + 90_000;
      while (!stderr.includes('N=4000: imported')) {
        if (Date.now() > deadline || bench.exitCode !== null) {
          throw new Error(`the second size did not start:\n${stdout}\n${stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // The first size's figures are out before the second one is measured.
      expect(stdout).toMatch(/N=40: latency/);
      expect(stdout).toMatch(/N=40: gateway memory/);
      const childPids = execFileSync('ps', ['-o', 'pid=', '--ppid', String(bench.pid)], {
        encoding: 'utf8',
      })
        .split('\n')
        .map(Number)
        .filter((pid) => pid > 0);
      expect(childPids.length).toBeGreaterThan(0);

      process.kill(-bench.pid!, 'SIGINT');
      expect(await exited).toBe(130);
      expect(stderr).toContain('SIGINT: stopping the gateway and cleaning up');
      expect(stderr).not.toMatch(/Unhandled|failed:|\n\s+at /);
      expect(stdout).not.toMatch(/N=4000: latency/);
      for (const pid of childPids) expect(alive(pid), `child ${pid}`).toBe(false);
      const after = await benchPrefixes();
      expect([...after].filter((prefix) => !before.has(prefix))).toEqual([]);
    } finally {
      if (bench.exitCode === null) {
        // A bench that would not stop: kill it and remove what it left, so the test leaves nothing.
        process.kill(-bench.pid!, 'SIGKILL');
        await exited;
        for (const prefix of await benchPrefixes()) {
          if (!before.has(prefix)) await deleteKeys(`${prefix}:`);
        }
      }
    }
  }, 150_000);
});
