import { readFileSync } from 'node:fs';
import { minVersion, satisfies } from 'semver';
import { describe, expect, it } from 'vitest';

interface LockedPackage {
  version?: string;
  engines?: { node?: string };
  optional?: boolean;
}

const lock = JSON.parse(
  readFileSync(new URL('../../../package-lock.json', import.meta.url), 'utf8'),
) as { packages: Record<string, LockedPackage> };
const manifest = JSON.parse(
  readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
) as { engines: { node: string } };

/** The oldest Node the project supports: package.json's engines (">=20.19" gives 20.19.0). */
const OLDEST_NODE = minVersion(manifest.engines.node)?.version ?? manifest.engines.node;

describe('package-lock.json', () => {
  it('installs nothing required that refuses the oldest supported Node (no EBADENGINE)', () => {
    const refusing = Object.entries(lock.packages)
      .filter(([path, pkg]) => path !== '' && !pkg.optional && pkg.engines?.node !== undefined)
      .filter(([, pkg]) => !satisfies(OLDEST_NODE, pkg.engines!.node!))
      .map(([path, pkg]) => `${path}@${pkg.version ?? '?'} wants node ${pkg.engines!.node!}`);
    expect(refusing).toEqual([]);
  });
});
