import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../server/config.js';
import { loadFlows, unconfiguredUpstreams } from '../../../server/flows-loading.js';
import { PRODUCTION } from '../../support/configuration.js';

describe('flows that need an upstream production must configure', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flows-loading-'));
  const file = join(dir, 'flows.yaml');
  writeFileSync(
    file,
    'filters:\n  purchase: [sanctions-screening]\nhandlers:\n  OrderFulfilled: [receipt-email]\n',
  );
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const problemsWith = async (environment: Record<string, string>) => {
    const config = loadConfig({ ...environment, FLOWS_CONFIG: file });
    return unconfiguredUpstreams(await loadFlows(config.flows), config);
  };

  it('names SMTP_URL and SANCTIONS_API_URL in production when neither is set', async () => {
    expect(await problemsWith(PRODUCTION)).toEqual([
      'the receipt-email handler needs SMTP_URL when NODE_ENV=production',
      'the sanctions-screening filter needs SANCTIONS_API_URL when NODE_ENV=production',
    ]);
  });

  it('asks for nothing once both are set, or outside production (the sandbox serves them)', async () => {
    expect(
      await problemsWith({
        ...PRODUCTION,
        SMTP_URL: 'smtps://user:pass@smtp.example.org:465',
        SANCTIONS_API_URL: 'https://data.trade.gov',
        SANCTIONS_API_KEY: 'key',
      }),
    ).toEqual([]);
    expect(await problemsWith({ NODE_ENV: 'development' })).toEqual([]);
  });

  it('asks nothing of the built-in flows, which send no mail and screen no one', async () => {
    const config = loadConfig(PRODUCTION);
    expect(unconfiguredUpstreams(await loadFlows(config.flows), config)).toEqual([]);
  });
});
