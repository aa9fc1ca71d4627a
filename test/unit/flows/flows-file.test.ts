import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowsFileError, readFlowsFile, checkedBuiltInFlows } from '../../../flows/flows-file.js';
import { describeFlows, flowsAsMermaid } from '../../../flows/flows-print.js';

const EXAMPLE_PLUGIN = resolve('examples/plugins/audit-log.js');
const MODES = { verified: 'enrollment' };
const env = { secret: (name: string) => (name === 'CRM_SECRET' ? 'shh' : undefined) };

let dir: string;
beforeAll(async () => {
  if (!existsSync(resolve('dist/flows/plugin-api.js'))) {
    throw new Error('dist/ is missing: run npm run build (the example plugin imports the build)');
  }
  dir = await mkdtemp(join(tmpdir(), 'flows-'));
  await writeFile(join(dir, 'empty-plugin.mjs'), 'export const nothing = 1;\n');
  const api = JSON.stringify(resolve('dist/flows/plugin-api.js'));
  await writeFile(
    join(dir, 'certificates.mjs'),
    [
      `import { defineFulfillmentModule, defineFilter } from ${api};`,
      'const ok = { status: "success" };',
      'export const certificate = defineFulfillmentModule({',
      '  name: "certificate",',
      '  create: () => ({ fulfill: async () => ok, revoke: async () => ok }),',
      '});',
      'export default [defineFilter({ name: "always", create: () => async () => null })];',
    ].join('\n'),
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function flowsFile(text: string): Promise<string> {
  const file = join(dir, `flows-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, text);
  return file;
}

async function problemsOf(text: string): Promise<string[]> {
  const file = await flowsFile(text);
  try {
    await readFlowsFile(file, { fulfillment: MODES, env });
  } catch (error) {
    if (error instanceof FlowsFileError) return error.problems.map((p) => p.replace(file, 'F'));
    throw error;
  }
  throw new Error('the flows file was accepted');
}

describe('the flows file', () => {
  it('reads the contract’s example, adding the handlers every flow has', async () => {
    const file = await flowsFile(
      [
        'handlers:',
        '  OrderPaid: [fulfillment]',
        '  OrderFulfilled:',
        '    - webhook: { url: "https://crm.example.org/hooks", secretEnv: CRM_SECRET, optional: true }',
        `    - audit-log: { file: ${join(dir, 'audit.log')} }`,
        '    - webhook: { url: "https://other.example.org/hooks", secretEnv: CRM_SECRET }',
        'fulfillment:',
        '  audit: enrollment',
        'plugins:',
        `  - ${EXAMPLE_PLUGIN}`,
      ].join('\n'),
    );
    const plan = await readFlowsFile(file, { fulfillment: MODES, env });
    expect(plan.handlers.OrderFulfilled.map((s) => [s.id, s.optional])).toEqual([
      ['webhook', true],
      ['audit-log', false],
      ['webhook#2', false],
    ]);
    expect(plan.handlers.RefundRequested.map((s) => s.id)).toEqual(['revocation']);
    expect(plan.fulfillment).toEqual({ audit: 'enrollment' });
    expect(describeFlows(plan)).toContain(
      'OrderFulfilled: webhook (optional), audit-log, webhook#2',
    );
    expect(flowsAsMermaid(plan)).toContain('OrderFulfilled -.-> h_webhook["webhook"]');
  });

  it.each([
    [
      'an unknown event',
      'handlers:\n  OrderShipped: [webhook]\n',
      /^F:2 handlers\.OrderShipped: unknown event; the events are OrderPlaced/,
    ],
    [
      'an unknown handler',
      'handlers:\n  OrderPaid: [fulfillment, fax]\n',
      /^F:2 handlers\.OrderPaid\[1\]: unknown handler fax; there are/,
    ],
    [
      'an unknown filter',
      'filters:\n  purchase: [mood-check]\n',
      /^F:2 filters\.purchase\[0\]: unknown filter mood-check/,
    ],
    [
      'an unknown mode module',
      'fulfillment:\n  verified: certificate\n',
      /^F:2 fulfillment\.verified: unknown fulfillment module certificate; there are enrollment$/,
    ],
    [
      'a webhook without url',
      'handlers:\n  OrderFulfilled:\n    - webhook: { secretEnv: CRM_SECRET }\n',
      /^F:3 handlers\.OrderFulfilled\[0\]: webhook: url /,
    ],
    [
      'a webhook whose secret is not set',
      'handlers:\n  OrderFulfilled:\n    - webhook: { url: "https://x.example/h", secretEnv: NOPE }\n',
      /secretEnv names NOPE, which is not set$/,
    ],
    [
      'an optional fulfillment',
      'handlers:\n  OrderPaid:\n    - fulfillment: { optional: true }\n',
      /fulfillment belongs on OrderPaid only, and is never optional$/,
    ],
    [
      'a missing plugin',
      'plugins: [./no-such-plugin.js]\n',
      /^F:1 plugins\[0\]: plugin \.\/no-such-plugin\.js cannot be loaded: /,
    ],
    [
      'a plugin that exports nothing',
      'plugins: [./empty-plugin.mjs]\n',
      /^F:1 plugins\[0\]: plugin \.\/empty-plugin\.mjs exports no handler, filter or fulfillment module/,
    ],
    [
      'an unknown section',
      'handler:\n  OrderPaid: [fulfillment]\n',
      /^F:1 handler: unknown section/,
    ],
    ['broken YAML', 'handlers: [\n', /^F:\d+ /],
  ])('refuses %s, in one line naming the file and the place', async (_what, text, expected) => {
    const problems = await problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  it('reports every problem, one line each', async () => {
    const problems = await problemsOf('handlers:\n  OrderShipped: [x]\n  OrderPaid: [fax]\n');
    expect(problems).toHaveLength(2);
  });

  it('refuses a file that cannot be read', async () => {
    await expect(
      readFlowsFile(join(dir, 'absent.yaml'), { fulfillment: MODES, env }),
    ).rejects.toThrow(/absent\.yaml: cannot be read \(ENOENT\)/);
  });

  it('takes fulfillment modules and filters from plugins, named or default exports', async () => {
    const file = await flowsFile(
      'plugins: [./certificates.mjs]\nfulfillment:\n  verified: certificate\nfilters:\n  purchase: [always]\n',
    );
    const plan = await readFlowsFile(file, { fulfillment: MODES, env });
    expect(plan.fulfillment).toEqual({ verified: 'certificate' });
    expect(plan.filters.purchase).toEqual(['always']);
    expect(plan.definitions.modules.has('certificate')).toBe(true);
  });

  it('shows the built-in flows in the README as npm run flows -- --mermaid prints them', async () => {
    const readme = await readFile(resolve('README.md'), 'utf8');
    const diagram = flowsAsMermaid(
      checkedBuiltInFlows({
        audit: 'enrollment',
        verified: 'enrollment',
        professional: 'enrollment',
        'no-id-professional': 'enrollment',
        credit: 'enrollment',
      }),
    );
    expect(readme).toContain('```mermaid\n' + diagram + '```');
  });

  it('checks FULFILLMENT_MODULES of the built-in flows', () => {
    expect(() => checkedBuiltInFlows({ verified: 'certificate' })).toThrow(
      'FULFILLMENT_MODULES: mode verified names module certificate, which does not exist (there are: enrollment)',
    );
  });
});
