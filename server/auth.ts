import { createSecretKey } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { parse as parseCookies } from 'cookie';
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { LRUCache } from 'lru-cache';
import type { JwtConfig } from './config.js';

/** The signed-in caller, from the claims of a verified edX JWT. */
export interface Viewer {
  /** The LMS user id. */
  userId: string;
  username: string;
  email: string | null;
  /** The `name` claim (full name), when the token carries one. */
  name: string | null;
  /** `administrator: true` in the token: may read any order and run support operations. */
  isStaff: boolean;
}

/** Who is calling: a verified viewer, nobody, or somebody whose credentials were refused. */
export type Authentication =
  | {
      viewer: Viewer;
      problem: null;
      /** When the credentials expire (ms since the epoch): a long-lived socket ends then. */
      expiresAt: number;
    }
  | { viewer: null; problem: 'missing' | 'invalid' };

export const ANONYMOUS: Authentication = { viewer: null, problem: 'missing' };
const INVALID: Authentication = { viewer: null, problem: 'invalid' };

const HEADER_PAYLOAD_COOKIE = 'edx-jwt-cookie-header-payload';
const SIGNATURE_COOKIE = 'edx-jwt-cookie-signature';
const AUTHORIZATION = /^(?:JWT|Bearer)\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)\s*$/i;

/** A presented token, or why there is none usable. */
export type PresentedCredentials =
  { token: string } | { token: null; problem: 'missing' | 'invalid' };

/**
 * Finds the caller's token: the Authorization header (`JWT …` or `Bearer …`) wins; otherwise the
 * edX cookie pair, whose two halves are joined as header.payload + "." + signature.
 */
export function findCredentials(
  authorization: string | undefined,
  cookieHeader: string | undefined,
): PresentedCredentials {
  if (authorization !== undefined && authorization !== '') {
    const match = AUTHORIZATION.exec(authorization);
    return match?.[1] ? { token: match[1] } : { token: null, problem: 'invalid' };
  }
  if (!cookieHeader) return { token: null, problem: 'missing' };
  const cookies = parseCookies(cookieHeader);
  const headerPayload = cookies[HEADER_PAYLOAD_COOKIE];
  const signature = cookies[SIGNATURE_COOKIE];
  if (headerPayload === undefined && signature === undefined) {
    return { token: null, problem: 'missing' };
  }
  // One cookie without the other is a broken session, not an anonymous visit.
  if (!headerPayload || !signature) return { token: null, problem: 'invalid' };
  return { token: `${headerPayload}.${signature}` };
}

export type Authenticator = (credentials: PresentedCredentials) => Promise<Authentication>;

const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS512'];
const CLOCK_TOLERANCE_S = 5;
/** Verified tokens remembered per process; past that the least recently used is checked again. */
const VERIFIED_TOKENS_CACHED = 10_000;

type Verified = Extract<Authentication, { problem: null }>;

/**
 * Builds the token check. The algorithm is pinned by which key would verify it: HS256 only with
 * the configured secret, RS256/RS512 only with the JWK set, so a token cannot choose `none` or
 * pass off an HMAC made with the public key.
 */
export function createAuthenticator(config: JwtConfig): Authenticator {
  const jwks: JWTVerifyGetKey | null = config.publicSigningJwkSet
    ? createLocalJWKSet(config.publicSigningJwkSet)
    : null;
  // Imported once: jose would otherwise import the raw bytes again for every token.
  const secret = config.secretKey ? createSecretKey(Buffer.from(config.secretKey, 'utf8')) : null;
  const options = {
    issuer: config.issuer,
    audience: config.audience,
    requiredClaims: ['exp', 'iat'],
    clockTolerance: CLOCK_TOLERANCE_S,
  };
  // Keyed by the whole token, signature included: a token differing in any byte is a miss and is
  // verified in full. Only tokens that passed are kept, so a caller cannot fill it with garbage.
  const verified = new LRUCache<string, { auth: Verified; validUntil: number }>({
    max: VERIFIED_TOKENS_CACHED,
  });

  const verify = async (token: string): Promise<JWTPayload> => {
    const { alg } = decodeProtectedHeader(token);
    if (alg === 'HS256' && secret) {
      return (await jwtVerify(token, secret, { ...options, algorithms: ['HS256'] })).payload;
    }
    if (alg !== undefined && ASYMMETRIC_ALGORITHMS.includes(alg) && jwks) {
      return (await jwtVerify(token, jwks, { ...options, algorithms: ASYMMETRIC_ALGORITHMS }))
        .payload;
    }
    throw new joseErrors.JOSEAlgNotAllowed(`alg ${String(alg)} is not accepted`);
  };

  return async (credentials) => {
    if (credentials.token === null) return credentials.problem === 'missing' ? ANONYMOUS : INVALID;
    const { token } = credentials;
    const known = verified.get(token);
    if (known) {
      if (Date.now() < known.validUntil) return known.auth;
      verified.delete(token);
    }
    let claims: JWTPayload;
    try {
      claims = await verify(token);
    } catch {
      // Which check failed (expired, wrong audience, bad signature) stays on the server.
      return INVALID;
    }
    const viewer = viewerFromClaims(claims);
    if (!viewer) return INVALID;
    // jwtVerify required `exp`, so it is there; it accepts the token until exp + the tolerance.
    const exp = claims.exp ?? 0;
    // Frozen: the same object now answers every request that presents this token.
    const auth: Verified = Object.freeze({
      viewer: Object.freeze(viewer),
      problem: null,
      expiresAt: exp * 1000,
    });
    verified.set(token, { auth, validUntil: (exp + CLOCK_TOLERANCE_S) * 1000 });
    return auth;
  };
}

function viewerFromClaims(claims: JWTPayload): Viewer | null {
  const userId = claims['user_id'];
  const username = claims['preferred_username'];
  const email = claims['email'];
  const name = claims['name'];
  if (typeof userId !== 'number' && typeof userId !== 'string') return null;
  if (String(userId) === '' || typeof username !== 'string' || username === '') return null;
  return {
    userId: String(userId),
    username,
    email: typeof email === 'string' ? email : null,
    name: typeof name === 'string' && name.trim() !== '' ? name.trim() : null,
    isStaff: claims['administrator'] === true,
  };
}

/** Reads the credentials of an HTTP request (or a WebSocket upgrade request). */
export function credentialsFromHeaders(headers: IncomingHttpHeaders): PresentedCredentials {
  return findCredentials(headers.authorization, headers.cookie);
}
