import { SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuthenticator, type Authentication } from '../../../server/auth.js';
import type { JwtConfig } from '../../../server/config.js';

const config: JwtConfig = {
  issuer: 'https://lms.test/oauth2',
  audience: 'commerce-gateway-test',
  publicSigningJwkSet: null,
  secretKey: 'a-test-secret-of-at-least-32-bytes!!',
};
const T0 = Date.UTC(2026, 10, 26, 4, 0, 0);

function sign(
  claims: Record<string, unknown>,
  exp: number,
  secret = config.secretKey ?? '',
): Promise<string> {
  return new SignJWT({ preferred_username: 'alice', user_id: 7, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(config.issuer)
    .setAudience(config.audience)
    .setIssuedAt(Math.floor(T0 / 1000))
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret));
}

function username(auth: Authentication): string | null {
  return auth.viewer?.username ?? null;
}

/** Replaces one character of a base64url segment by another valid one. */
function flip(segment: string, at: number): string {
  const char = segment[at] === 'A' ? 'B' : 'A';
  return segment.slice(0, at) + char + segment.slice(at + 1);
}

describe('verified tokens are remembered', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers a token seen before from memory', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: T0 });
    const authenticate = createAuthenticator(config);
    const token = await sign({}, T0 / 1000 + 600);
    const first = await authenticate({ token });
    expect(username(first)).toBe('alice');
    expect(await authenticate({ token })).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.viewer)).toBe(true);
  });

  it('refuses a tampered copy of a remembered token', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: T0 });
    const authenticate = createAuthenticator(config);
    const token = await sign({}, T0 / 1000 + 600);
    expect(username(await authenticate({ token }))).toBe('alice');
    const [header = '', payload = '', signature = ''] = token.split('.');
    const staffPayload = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(payload, 'base64url').toString()),
        administrator: true,
      }),
    ).toString('base64url');
    const forgedBySomeoneElse = await sign(
      { administrator: true },
      T0 / 1000 + 600,
      'another-secret-of-32-bytes-or-more!!',
    );

    for (const tampered of [
      `${header}.${payload}.${flip(signature, 5)}`,
      `${header}.${payload}.${signature.slice(0, -2)}`,
      `${header}.${payload}.`,
      `${header}.${staffPayload}.${signature}`,
      `${header}.${payload}.${forgedBySomeoneElse.split('.')[2] ?? ''}`,
      forgedBySomeoneElse,
    ]) {
      expect(await authenticate({ token: tampered })).toEqual({ viewer: null, problem: 'invalid' });
    }
    // The genuine token is still answered, and still as a learner.
    const again = await authenticate({ token });
    expect(again.viewer?.isStaff).toBe(false);
  });

  it('stops accepting a remembered token exactly when a fresh check would', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: T0 });
    const exp = T0 / 1000 + 60;
    const token = await sign({}, exp);
    const warmed = createAuthenticator(config);
    expect(username(await warmed({ token }))).toBe('alice');

    // jose allows 5 s of clock skew past exp.
    const moments = [exp * 1000, (exp + 5) * 1000 - 1, (exp + 5) * 1000, (exp + 3600) * 1000];
    const seen = [];
    for (const at of moments) {
      vi.setSystemTime(at);
      const fresh = await createAuthenticator(config)({ token });
      const user = username(await warmed({ token }));
      expect({ at, user }).toEqual({ at, user: username(fresh) });
      seen.push(user);
    }
    expect(seen).toEqual(['alice', 'alice', null, null]);
    expect(await warmed({ token })).toEqual({ viewer: null, problem: 'invalid' });
  });

  it('does not remember refused tokens, so a later valid check is not blocked', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: T0 });
    const authenticate = createAuthenticator(config);
    // Not yet valid: refused now, accepted once its nbf has passed.
    const token = await new SignJWT({ preferred_username: 'bob', user_id: 8 })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setIssuedAt(T0 / 1000)
      .setNotBefore(T0 / 1000 + 60)
      .setExpirationTime(T0 / 1000 + 600)
      .sign(new TextEncoder().encode(config.secretKey ?? ''));
    expect(await authenticate({ token })).toEqual({ viewer: null, problem: 'invalid' });
    vi.setSystemTime(T0 + 120_000);
    expect(username(await authenticate({ token }))).toBe('bob');
  });
});
