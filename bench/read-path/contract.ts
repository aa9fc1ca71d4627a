import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse, print, visit, type DefinitionNode, type DocumentNode } from 'graphql';
import { SignJWT } from 'jose';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.js';
import { DEMO_USERS } from '../../sandbox/demo-data.js';

/**
 * One contract operation with the fragments it spreads, as the front ends send it. Only that:
 * the whole file names operations the schema may not serve yet, and would fail validation.
 */
export function contractOperation(repoRoot: string, name: string): string {
  const contract: DocumentNode = parse(
    readFileSync(join(repoRoot, 'test/contract/operations.graphql'), 'utf8'),
  );
  const operation = contract.definitions.find(
    (definition) =>
      definition.kind === Kind.OPERATION_DEFINITION && definition.name?.value === name,
  );
  if (!operation) throw new Error(`No operation ${name} in the contract`);
  const needed = new Set<string>();
  const collect = (node: DefinitionNode) =>
    visit(node, {
      FragmentSpread(spread) {
        if (needed.has(spread.name.value)) return;
        needed.add(spread.name.value);
        const fragment = contract.definitions.find(
          (d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === spread.name.value,
        );
        if (fragment) collect(fragment);
      },
    });
  collect(operation);
  const fragments = contract.definitions.filter(
    (d) => d.kind === Kind.FRAGMENT_DEFINITION && needed.has(d.name.value),
  );
  return [operation, ...fragments].map((definition) => print(definition)).join('\n');
}

/** An edX JWT for a demo user, signed as the sandbox LMS signs it (HS256, sandbox secret). */
export async function tokenFor(username: keyof typeof DEMO_USERS): Promise<string> {
  const user = DEMO_USERS[username];
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: SANDBOX_CREDENTIALS.jwt.issuer,
    aud: SANDBOX_CREDENTIALS.jwt.audience,
    iat: now,
    // Outlives any run, so no request of the run is refused for an expired token.
    exp: now + 3600,
    user_id: user.userId,
    preferred_username: user.username,
    email: user.email,
    administrator: user.administrator,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(SANDBOX_CREDENTIALS.jwt.secretKey));
}
