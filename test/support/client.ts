import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.js';
import { DEMO_USERS } from '../../sandbox/demo-data.js';
import { contractOperationIn, readContract } from '../contract/operations.js';

export interface GraphQLResponse<Data = Record<string, unknown>> {
  status: number;
  body: {
    data?: Data | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
  };
  headers: Headers;
}

export interface RequestOptions {
  token?: string;
  /** Sent as the Authorization header as is (overrides token). */
  authorization?: string;
  cookie?: string;
  headers?: Record<string, string>;
}

/** POSTs a GraphQL request as a browser front end would. */
export async function graphql<Data = Record<string, unknown>>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: RequestOptions = {},
): Promise<GraphQLResponse<Data>> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...options.headers,
  };
  if (options.authorization !== undefined) headers['authorization'] = options.authorization;
  else if (options.token) headers['authorization'] = `JWT ${options.token}`;
  if (options.cookie) headers['cookie'] = options.cookie;
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: GraphQLResponse<Data>['body'];
  try {
    body = JSON.parse(text) as GraphQLResponse<Data>['body'];
  } catch {
    throw new Error(`Not JSON (${response.status}): ${text.slice(0, 200)}`);
  }
  return { status: response.status, body, headers: response.headers };
}

const contract = readContract(
  fileURLToPath(new URL('../contract/operations.graphql', import.meta.url)),
);

/** One operation of the front ends' contract, with the fragments it spreads, exactly as they send it. */
export function contractOperation(name: string): string {
  return contractOperationIn(contract, name);
}

export type DemoUsername = keyof typeof DEMO_USERS;

/** An edX JWT for a demo user, signed as the sandbox LMS signs it; claims can be overridden. */
export async function tokenFor(
  username: DemoUsername,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const user = DEMO_USERS[username];
  return signToken({
    user_id: user.userId,
    preferred_username: user.username,
    email: user.email,
    administrator: user.administrator,
    ...overrides,
  });
}

/** Signs HS256 claims with the sandbox secret, valid for an hour unless the claims say otherwise. */
export async function signToken(
  claims: Record<string, unknown>,
  secret: string = SANDBOX_CREDENTIALS.jwt.secretKey,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: SANDBOX_CREDENTIALS.jwt.issuer,
    aud: SANDBOX_CREDENTIALS.jwt.audience,
    iat: now,
    exp: now + 3600,
    ...claims,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(secret));
}

/** The code of each error, for assertions. */
export function errorCodes(response: GraphQLResponse<unknown>): (string | undefined)[] {
  return (response.body.errors ?? []).map((error) => error.extensions?.code);
}
