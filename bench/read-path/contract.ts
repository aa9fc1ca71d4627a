import { join } from 'node:path';
import { SignJWT } from 'jose';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.js';
import { DEMO_USERS } from '../../sandbox/demo-data.js';
import { contractOperationIn, readContract } from '../../test/contract/operations.js';

/** One contract operation with the fragments it spreads, as the front ends send it. */
export function contractOperation(repoRoot: string, name: string): string {
  return contractOperationIn(
    readContract(join(repoRoot, 'test/contract/operations.graphql')),
    name,
  );
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
