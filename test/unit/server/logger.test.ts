import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const LOGGER = fileURLToPath(new URL('../../../dist/server/logger.js', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'logger-test-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

interface Run {
  /** What the process wrote to stdout (a file here, so the process can read it back itself). */
  stdout: string;
  /** What the script reported on stderr. */
  report: string;
  exitCode: number | null;
}

/**
 * Runs `script` in a process of its own with `logger` = createLogger('info', flushMs) and
 * `written()` = what its stdout file holds so far, read synchronously: what a line's writing has
 * reached, whatever the timing. The script reports on stderr.
 */
function runLogging(flushMs: number, script: string): Promise<Run> {
  const path = join(folder, `stdout-${Math.random().toString(36).slice(2)}.log`);
  const stdout = openSync(path, 'w');
  const program = `
    import { readFileSync } from 'node:fs';
    const { createLogger } = await import(${JSON.stringify(LOGGER)});
    const logger = createLogger('info', ${flushMs});
    const written = () => readFileSync(${JSON.stringify(path)}, 'utf8');
    const report = (text) => process.stderr.write(text + '\\n');
    ${script}
  `;
  // Its stdout is the file itself, as a deployment's stdout is a pipe or file of its own.
  const child = spawn(process.execPath, ['--input-type=module', '-e', program], {
    stdio: ['ignore', stdout, 'pipe'],
  });
  closeSync(stdout);
  let report = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (report += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ stdout: readFileSync(path, 'utf8'), report, exitCode });
    });
  });
}

describe('the process logger', () => {
  it('with LOG_FLUSH_MS=0 has written a line when the call returns', async () => {
    const run = await runLogging(
      0,
      `logger.info({ n: 1 }, 'first'); report(written().includes('"msg":"first"') ? 'written' : 'waiting');`,
    );
    expect(run.report.trim()).toBe('written');
    expect(run.stdout).toContain('"msg":"first"');
  });

  it('keeps lines in memory, then writes them within LOG_FLUSH_MS while the process runs', async () => {
    const run = await runLogging(
      100,
      `logger.info('kept');
       report(written().includes('"msg":"kept"') ? 'written at once' : 'waiting');
       const started = Date.now();
       while (!written().includes('"msg":"kept"')) {
         if (Date.now() - started > 10_000) { report('never written'); process.exit(3); }
         await new Promise((resolve) => setTimeout(resolve, 10));
       }
       report('written while running');
       setInterval(() => {}, 1000);
       setTimeout(() => process.kill(process.pid, 'SIGKILL'), 0);`,
    );
    expect(run.report.split('\n').filter(Boolean)).toEqual(['waiting', 'written while running']);
    expect(run.stdout.match(/"msg":"kept"/g)).toHaveLength(1);
  });

  it('writes at once when 4 KB wait, however long LOG_FLUSH_MS is', async () => {
    const run = await runLogging(
      10_000,
      `const filler = 'x'.repeat(500);
       for (let i = 0; i < 10; i += 1) logger.info({ i, filler }, 'bulk');
       const started = Date.now();
       while (!written().includes('"i":0,')) {
         if (Date.now() - started > 5_000) { report('never written'); process.exit(3); }
         await new Promise((resolve) => setTimeout(resolve, 10));
       }
       report('written');
       process.kill(process.pid, 'SIGKILL');`,
    );
    expect(run.report.trim()).toBe('written');
  });

  // Lines wait up to LOG_FLUSH_MS (here 10 s) in memory, but none is lost when the process ends.
  it.each([
    ['exits', `process.exit(0);`],
    ['throws an uncaught error', `setTimeout(() => { throw new Error('boom'); }, 0);`],
    ['ends its event loop', ``],
  ])('writes the lines still waiting when the process %s', async (_how, ending) => {
    const run = await runLogging(
      10_000,
      `logger.info('last words');
       report(written().includes('"msg":"last words"') ? 'written at once' : 'waiting');
       // pino's own default would have written it by now, through the thread pool.
       await new Promise((resolve) => setTimeout(resolve, 300));
       report(written().includes('"msg":"last words"') ? 'written' : 'still waiting');
       ${ending}`,
    );
    expect(run.report).toMatch(/^waiting\nstill waiting\n/);
    expect(run.stdout).toContain('"msg":"last words"');
  });
});
