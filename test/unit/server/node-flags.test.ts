import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GATEWAY_NODE_FLAGS } from '../../../server/node-flags.js';

const packageJson = JSON.parse(
  readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
) as { scripts: Record<string, string> };

describe('the gateway node flags', () => {
  it('are those npm start runs with, so the benches measure what npm start runs', () => {
    const start = packageJson.scripts['start'] ?? '';
    const flags = start.split(' ').filter((word) => word.startsWith('--max-'));
    expect(flags).toEqual([...GATEWAY_NODE_FLAGS]);
  });

  it('are flags this node accepts', () => {
    for (const flag of GATEWAY_NODE_FLAGS) {
      expect(process.allowedNodeEnvironmentFlags.has(flag.split('=')[0]!)).toBe(true);
    }
  });
});
