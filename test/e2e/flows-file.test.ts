import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../dist/server/main.js', import.meta.url));

describe('npm run flows', () => {
  const CLI = fileURLToPath(new URL('../../dist/server/flows-cli.js', import.meta.url));
  const run = async (args: string[], environment: Record<string, string>) => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env['PATH'] ?? '', ...environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    return { code, stdout, stderr };
  };

  it('prints the validated flows of FLOWS_CONFIG, and as a Mermaid flowchart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flows-cli-'));
    try {
      const file = join(dir, 'flows.yaml');
      await writeFile(
        file,
        [
          'filters: { purchase: [sanctions-screening] }',
          'handlers:',
          '  OrderFulfilled: [receipt-email]',
          '  OrderRefunded:',
          '    - receipt-email: { optional: true }',
          'fulfillment: { verified: enrollment }',
        ].join('\n'),
      );
      const text = await run([], { FLOWS_CONFIG: file });
      expect(text.code).toBe(0);
      expect(text.stdout).toContain('  purchase: sanctions-screening\n');
      expect(text.stdout).toContain('  OrderRefunded: receipt-email (optional)\n');
      const mermaid = await run(['--mermaid'], { FLOWS_CONFIG: file });
      expect(mermaid.code).toBe(0);
      expect(mermaid.stdout.split('\n')).toEqual([
        'flowchart LR',
        '  purchase[/"purchase"/]',
        '  purchase --> filter_0_sanctions_screening{{"sanctions-screening"}}',
        '  filter_0_sanctions_screening --> OrderPlaced(["OrderPlaced"])',
        '  payment[/"payment"/] --> OrderPaid(["OrderPaid"])',
        '  OrderPaid --> h_fulfillment["fulfillment"]',
        '  payment[/"payment"/] --> PaymentFailed(["PaymentFailed"])',
        '  h_fulfillment -.-> OrderFulfilled(["OrderFulfilled"])',
        '  OrderFulfilled --> h_receipt_email["receipt-email"]',
        '  h_fulfillment -.-> FulfillmentFailed(["FulfillmentFailed"])',
        '  refundOrder[/"refundOrder"/] --> RefundRequested(["RefundRequested"])',
        '  RefundRequested --> h_revocation["revocation"]',
        '  h_revocation -.-> OrderRefunded(["OrderRefunded"])',
        '  OrderRefunded -.-> h_receipt_email["receipt-email"]',
        '  h_fulfillment --> m_enrollment[["enrollment: verified"]]',
        '',
      ]);
      const bad = await run(['--mermaid'], { FLOWS_CONFIG: join(dir, 'absent.yaml') });
      expect(bad.code).toBe(1);
      expect(bad.stdout).toBe('');
      expect(bad.stderr.trim().split('\n')).toEqual([
        `Invalid flows: ${join(dir, 'absent.yaml')}: cannot be read (ENOENT)`,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('npm start with an invalid flows file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flows-bad-'));
    await writeFile(join(dir, 'nothing.mjs'), 'export const version = 1;\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([
    [
      'handlers:\n  OrderShipped: [webhook]\n',
      /^Invalid flows: .*flows\.yaml:2 handlers\.OrderShipped: unknown event/,
    ],
    [
      'handlers:\n  OrderFulfilled:\n    - webhook: { secretEnv: X }\n',
      /^Invalid flows: .*flows\.yaml:3 handlers\.OrderFulfilled\[0\]: webhook: url /,
    ],
    [
      'plugins: [./missing.js]\n',
      /^Invalid flows: .*flows\.yaml:1 plugins\[0\]: plugin \.\/missing\.js cannot be loaded/,
    ],
    [
      'handlers:\n  OrderPaid: [fulfillment, fax]\n',
      /^Invalid flows: .*flows\.yaml:2 handlers\.OrderPaid\[1\]: unknown handler fax/,
    ],
    [
      'fulfillment:\n  verified: certificate\n',
      /^Invalid flows: .*flows\.yaml:2 fulfillment\.verified: unknown fulfillment module certificate/,
    ],
    [
      'plugins: [./nothing.mjs]\n',
      /^Invalid flows: .*flows\.yaml:1 plugins\[0\]: plugin \.\/nothing\.mjs exports no handler/,
    ],
  ])('stops on %j with one line naming the file and place', async (text, message) => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build`);
    const file = join(dir, 'flows.yaml');
    await writeFile(file, text);
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env['PATH'] ?? '', PORT: '0', FLOWS_CONFIG: file },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});
