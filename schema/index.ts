import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, type DocumentNode } from 'graphql';

/** One SDL file per domain; common.graphql carries the federation @link. */
const SCHEMA_FILES = [
  'common.graphql',
  'catalog.graphql',
  'orders.graphql',
  'payments.graphql',
  'enrollments.graphql',
  'discounts.graphql',
  'refunds.graphql',
  'programs.graphql',
  'operators.graphql',
  'flows.graphql',
];

// The .graphql files stay in schema/ at the project root; the compiled module runs from dist/schema/.
function schemaDirectory(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [here, resolve(here, '../../schema')]) {
    if (existsSync(join(candidate, 'common.graphql'))) return candidate;
  }
  throw new Error(`The schema files are missing next to ${here}`);
}

/** The subgraph's SDL, all domains in one document. */
export function loadTypeDefs(): DocumentNode {
  const directory = schemaDirectory();
  const sdl = SCHEMA_FILES.map((file) => readFileSync(join(directory, file), 'utf8')).join('\n');
  return parse(sdl);
}
