import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.js';
import {
  errorCodes,
  graphql,
  signToken,
  tokenFor,
  type RequestOptions,
} from '../support/client.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const ME = 'query { me { id username } }';
const now = () => Math.floor(Date.now() / 1000);
const alice = { user_id: 1001, preferred_username: 'alice', email: 'alice@example.com' };

function cookiePair(token: string): string {
  const [header, payload, signature] = token.split('.');
  return `edx-jwt-cookie-header-payload=${header}.${payload}; edx-jwt-cookie-signature=${signature}`;
}

describe('authentication with the HS256 secret', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  it.each([
    ['JWT scheme', (token: string) => ({ authorization: `JWT ${token}` })],
    ['Bearer scheme', (token: string) => ({ authorization: `Bearer ${token}` })],
    ['the edX cookie pair', (token: string) => ({ cookie: cookiePair(token) })],
  ])('accepts a valid token in %s', async (_name, present) => {
    const response = await graphql(gw.url, ME, {}, present(await tokenFor('alice')));
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data).toEqual({ me: { id: '1001', username: 'alice' } });
  });

  it('accepts a token the sandbox LMS issues at its token endpoint', async () => {
    const response = await fetch(`${gw.sandbox.urls.lms}/oauth2/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        username: 'staff',
        password: SANDBOX_CREDENTIALS.demoPassword,
        token_type: 'jwt',
      }),
    });
    const { access_token: token } = (await response.json()) as { access_token: string };
    const me = await graphql(gw.url, ME, {}, { token });
    expect(me.body.data).toEqual({ me: { id: '9001', username: 'staff' } });
  });

  it('answers UNAUTHENTICATED when no credentials are sent', async () => {
    const response = await graphql(gw.url, ME);
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.body.data).toEqual({ me: null });
  });

  const badTokens: [string, () => Promise<RequestOptions>][] = [
    [
      'expired',
      async () => ({
        authorization: `JWT ${await signToken({ ...alice, iat: now() - 7200, exp: now() - 3600 })}`,
      }),
    ],
    [
      'not yet valid (nbf in the future)',
      async () => ({ authorization: `JWT ${await signToken({ ...alice, nbf: now() + 3600 })}` }),
    ],
    [
      'wrong iss',
      async () => ({
        authorization: `JWT ${await signToken({ ...alice, iss: 'https://evil.example' })}`,
      }),
    ],
    [
      'wrong aud',
      async () => ({
        authorization: `JWT ${await signToken({ ...alice, aud: 'another-service' })}`,
      }),
    ],
    [
      'no exp',
      async () => ({ authorization: `JWT ${await signToken({ ...alice, exp: undefined })}` }),
    ],
    [
      'no iat',
      async () => ({ authorization: `JWT ${await signToken({ ...alice, iat: undefined })}` }),
    ],
    [
      'signed with another secret',
      async () => ({
        authorization: `JWT ${await signToken(alice, 'another-secret-of-enough-length')}`,
      }),
    ],
    [
      'alg none',
      async () => {
        const [, payload] = (await tokenFor('alice')).split('.');
        const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString(
          'base64url',
        );
        return { authorization: `JWT ${header}.${payload}.` };
      },
    ],
    [
      'tampered signature',
      async () => {
        const token = await tokenFor('alice');
        const last = token.at(-2) === 'A' ? 'B' : 'A';
        return { authorization: `JWT ${token.slice(0, -2)}${last}${token.at(-1)}` };
      },
    ],
    [
      'tampered payload (administrator: true)',
      async () => {
        const [header, , signature] = (await tokenFor('alice')).split('.');
        const payload = Buffer.from(
          JSON.stringify({
            ...alice,
            administrator: true,
            iss: SANDBOX_CREDENTIALS.jwt.issuer,
            aud: SANDBOX_CREDENTIALS.jwt.audience,
            iat: now(),
            exp: now() + 60,
          }),
        ).toString('base64url');
        return { authorization: `JWT ${header}.${payload}.${signature}` };
      },
    ],
    [
      'no user claims',
      async () => ({ authorization: `JWT ${await signToken({ email: 'x@example.com' })}` }),
    ],
    [
      'an unknown scheme',
      () =>
        Promise.resolve({
          authorization: `Basic ${Buffer.from('alice:sandbox').toString('base64')}`,
        }),
    ],
    ['garbage', () => Promise.resolve({ authorization: 'JWT not-a-token' })],
    [
      'only the header.payload cookie',
      async () => ({ cookie: cookiePair(await tokenFor('alice')).split(';')[0] ?? '' }),
    ],
    [
      'only the signature cookie',
      async () => ({ cookie: (cookiePair(await tokenFor('alice')).split(';')[1] ?? '').trim() }),
    ],
    [
      'a cookie pair whose halves come from different tokens',
      async () => {
        const [first] = cookiePair(await tokenFor('alice')).split(';');
        const [, second] = cookiePair(await tokenFor('bob')).split(';');
        return { cookie: `${first};${second}` };
      },
    ],
  ];

  it.each(badTokens)('answers UNAUTHENTICATED for a token that is %s', async (_name, make) => {
    const response = await graphql(gw.url, ME, {}, await make());
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.body.data).toEqual({ me: null });
  });

  it('still serves the public catalog to a caller with expired credentials', async () => {
    const expired = await signToken({ ...alice, iat: now() - 7200, exp: now() - 3600 });
    const response = await graphql(
      gw.url,
      'query { courses(first: 1) { totalCount } }',
      {},
      { token: expired },
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data).toMatchObject({ courses: { totalCount: expect.any(Number) } });
  });
});

describe('authentication with an RSA JWK set', () => {
  let gw: TestGateway;
  let privateJwk: JWK;
  let publicJwk: JWK;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateJwk = await exportJWK(pair.privateKey);
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'lms-1', use: 'sig' };
    gw = await startTestGateway({
      JWT_PUBLIC_SIGNING_JWK_SET: JSON.stringify({ keys: [publicJwk] }),
      JWT_ISSUER: 'https://lms.example.org/oauth2',
      JWT_AUDIENCE: 'lms-key',
    });
  });
  afterAll(() => gw.close());

  // One RSA key, published once, signs with either hash, as the LMS may.
  const sign = async (alg: string) =>
    new SignJWT(alice)
      .setProtectedHeader({ alg, kid: 'lms-1' })
      .setIssuer('https://lms.example.org/oauth2')
      .setAudience('lms-key')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(await importJWK(privateJwk, alg));

  it.each(['RS256', 'RS512'])('accepts %s tokens signed by the LMS key', async (alg) => {
    const response = await graphql(gw.url, ME, {}, { token: await sign(alg) });
    expect(response.body.data).toEqual({ me: { id: '1001', username: 'alice' } });
  });

  it('refuses HS256 signed with the RSA public key as the HMAC secret', async () => {
    const forged = await new SignJWT(alice)
      .setProtectedHeader({ alg: 'HS256', kid: 'lms-1' })
      .setIssuer('https://lms.example.org/oauth2')
      .setAudience('lms-key')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
    const response = await graphql(gw.url, ME, {}, { token: forged });
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses the sandbox HS256 tokens when only the JWK set is trusted', async () => {
    const response = await graphql(gw.url, ME, {}, { token: await tokenFor('alice') });
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses a token signed by another RSA key', async () => {
    const other = await generateKeyPair('RS256');
    const token = await new SignJWT(alice)
      .setProtectedHeader({ alg: 'RS256', kid: 'lms-1' })
      .setIssuer('https://lms.example.org/oauth2')
      .setAudience('lms-key')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(other.privateKey);
    const response = await graphql(gw.url, ME, {}, { token });
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  });
});
