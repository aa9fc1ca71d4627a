import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadTypeDefs } from '../../../schema/index.js';

const directory = fileURLToPath(new URL('../../contract/', import.meta.url));
const files = readdirSync(directory).filter((name) => name.endsWith('.graphql'));

describe("the contract's operation files", () => {
  const schema = buildSubgraphSchema({ typeDefs: loadTypeDefs() });

  it('holds the commerce operations beside the others', () => {
    expect(files).toContain('commerce.graphql');
  });

  it.each(files)('%s: every operation is accepted by the schema as it is', (name) => {
    const document = parse(readFileSync(`${directory}${name}`, 'utf8'));
    expect(validate(schema, document).map((error) => error.message)).toEqual([]);
  });

  it('notices an operation the schema does not accept', () => {
    const document = parse('query Bad { order(id: "1") { status refundedAt } }');
    expect(validate(schema, document)).not.toEqual([]);
  });
});
