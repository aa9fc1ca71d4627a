import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding the gateway's package.json. The same walk works from the sources (vitest
 * runs them) and from dist/ (compiled), which sit at different depths below it.
 */
export function findProjectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('No package.json above ' + import.meta.url);
    dir = parent;
  }
  return dir;
}

/** What the gateway calls itself to upstreams: `commerce-gateway/<package.json version>`. */
export function gatewayUserAgent(): string {
  const manifest = JSON.parse(
    readFileSync(path.join(findProjectRoot(), 'package.json'), 'utf8'),
  ) as { name: string; version: string };
  return `${manifest.name}/${manifest.version}`;
}
