import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import {
  UpstreamConflictError,
  UpstreamRejectedError,
  UpstreamUnavailableError,
} from '../../../connectors/errors.js';
import {
  createHttpClient,
  type HttpClient,
  type UpstreamRequestEvent,
} from '../../../connectors/http-client.js';
import { SANDBOX_CREDENTIALS } from '../../../sandbox/credentials.js';
import { startRecordingProxy, type ProxiedRequest } from '../../support/recording-proxy.js';
import { startWorld, type ConnectorWorld } from './support.js';

const RUNS = '/api/v1/course_runs/';

let world: ConnectorWorld;
let events: UpstreamRequestEvent[];
let discovery: HttpClient;

function client(baseUrl: string, timeoutMs = 2_000): HttpClient {
  return createHttpClient({
    upstream: 'catalog',
    baseUrl,
    timeoutMs,
    onRequest: (event) => events.push(event),
  });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error('expected the call to fail');
  return outcome;
}

/** A plain HTTP server answering as `listener` says, for answers the sandbox never gives. */
async function withServer<T>(
  listener: RequestListener,
  use: (baseUrl: string) => Promise<T>,
): Promise<T> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

function expectNoLeak(error: Error): void {
  expect(error.message).not.toMatch(/https?:|127\.0\.0\.1|localhost/);
  expect(error.cause).toBeUndefined();
}

beforeAll(async () => {
  world = await startWorld();
  discovery = client(world.sandbox.urls.discovery);
});
afterAll(async () => {
  await world.close();
});
beforeEach(() => {
  events = [];
  for (const server of [world.sandbox.discovery, world.sandbox.lms]) {
    server.resetStats();
    server.clearFaults();
    server.setLatency(0);
  }
});

// Before the errors below: the last of them closes the Discovery sandbox.
describe('User-Agent', () => {
  it('names the gateway: the one given, else commerce-gateway', async () => {
    const received: ProxiedRequest[] = [];
    const proxy = await startRecordingProxy('catalog', world.sandbox.urls.discovery, received);
    try {
      await client(proxy.url).get(RUNS, { query: { limit: 1 } });
      const named = createHttpClient({
        upstream: 'catalog',
        baseUrl: proxy.url,
        timeoutMs: 2_000,
        userAgent: 'commerce-gateway/9.9.9',
      });
      await named.get(RUNS, { query: { limit: 1 } });
      expect(received.map((request) => request.userAgent)).toEqual([
        'commerce-gateway',
        'commerce-gateway/9.9.9',
      ]);
    } finally {
      await proxy.close();
    }
  });
});

describe('retries', () => {
  it('retries a GET through transient 503s', async () => {
    world.sandbox.discovery.injectFault({ status: 503, count: 2, path: RUNS });
    const page = await discovery.get<{ count: number }>(RUNS, { query: { limit: 1 } });
    expect(page.count).toBeGreaterThan(0);
    expect(world.sandbox.discovery.totalRequests()).toBe(3);
    expect(events).toEqual([
      expect.objectContaining({
        upstream: 'catalog',
        method: 'GET',
        route: `GET ${RUNS}`,
        statusCode: 200,
      }),
    ]);
  });

  for (const status of [503, 429, 500, 502, 504]) {
    it(`gives up after two retries of ${status} with UpstreamUnavailableError`, async () => {
      world.sandbox.discovery.injectFault({ status, count: 5, path: RUNS });
      const error = await failure(discovery.get(RUNS));
      expect(error).toBeInstanceOf(UpstreamUnavailableError);
      expect(error).toMatchObject({ upstream: 'catalog' });
      expectNoLeak(error);
      expect(world.sandbox.discovery.totalRequests()).toBe(3);
      expect(events.at(-1)?.statusCode).toBe(status);
    });
  }

  it('never retries a POST', async () => {
    const lms = createHttpClient({
      upstream: 'enrollment',
      baseUrl: world.sandbox.urls.lms,
      timeoutMs: 2_000,
      headers: { 'x-edx-api-key': SANDBOX_CREDENTIALS.lmsApiKey },
    });
    world.sandbox.lms.injectFault({ status: 503, count: 5, method: 'POST' });
    const error = await failure(lms.post('/api/enrollment/v1/enrollment', { json: {} }));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(world.sandbox.lms.totalRequests()).toBe(1);
  });
});

describe('answers', () => {
  it('reads a body sent in many pieces, a character split between two of them', async () => {
    const text = JSON.stringify({ title: 'Ångström für Anfänger – 入門', pad: 'x'.repeat(70_000) });
    const bytes = Buffer.from(text);
    const split = bytes.indexOf(Buffer.from('入')) + 1; // inside the three bytes of 入
    const answer = await withServer(
      (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write(bytes.subarray(0, split));
        setTimeout(() => response.end(bytes.subarray(split)), 20);
      },
      (url) => client(url).get<{ title: string; pad: string }>('/pieces'),
    );
    expect(answer.title).toBe('Ångström für Anfänger – 入門');
    expect(answer.pad).toHaveLength(70_000);
  });

  it('waits past an interim 1xx answer for the real one', async () => {
    const answer = await withServer(
      (_request, response) => {
        response.writeProcessing();
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"ok":true}');
      },
      (url) => client(url).get<{ ok: boolean }>('/interim'),
    );
    expect(answer).toEqual({ ok: true });
  });
});

describe('rejections', () => {
  it('maps a 4xx to UpstreamRejectedError with the upstream detail, without retrying', async () => {
    world.sandbox.discovery.injectFault({
      status: 400,
      count: 1,
      path: RUNS,
      body: { detail: 'At most 100 keys may be requested at once.' },
    });
    const error = await failure(discovery.get(RUNS));
    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(error).not.toBeInstanceOf(UpstreamConflictError);
    expect(error).toMatchObject({
      statusCode: 400,
      detail: 'At most 100 keys may be requested at once.',
      message: 'catalog refused the request (400)',
    });
    expect(world.sandbox.discovery.totalRequests()).toBe(1);
  });

  it('maps 409 to UpstreamConflictError and picks the error code out of the body', async () => {
    world.sandbox.discovery.injectFault({
      status: 409,
      count: 1,
      body: { statusCode: 409, message: 'stale', errors: [{ code: 'ConcurrentModification' }] },
    });
    const error = await failure(discovery.get(RUNS));
    expect(error).toBeInstanceOf(UpstreamConflictError);
    expect(error).toMatchObject({ statusCode: 409, detail: 'ConcurrentModification' });
  });

  it('maps an unknown route (404) to a rejection', async () => {
    const error = await failure(
      discovery.get('/api/v1/nothing-here/{id}', { params: { id: 'a/b' } }),
    );
    expect(error).toMatchObject({ statusCode: 404 });
    expect(events.at(-1)?.route).toBe('GET /api/v1/nothing-here/{id}');
  });
});

describe('no answer', () => {
  it('maps a timeout to UpstreamUnavailableError, retried like any GET', async () => {
    world.sandbox.discovery.setLatency(300);
    const error = await failure(client(world.sandbox.urls.discovery, 100).get('/health/'));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.message).toBe('catalog did not answer (ETIMEDOUT)');
    expect(events).toEqual([expect.objectContaining({ statusCode: null, route: 'GET /health/' })]);
    expect(world.sandbox.discovery.totalRequests()).toBe(3);
  });

  it('times out an answer whose body stops coming, headers already in', async () => {
    let served = 0;
    const error = await withServer(
      (_request, response) => {
        served += 1;
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"count":'); // and nothing more
      },
      async (url) => {
        const started = performance.now();
        const failed = await failure(client(url, 150).get('/stalls'));
        // Three attempts of 150 ms with backoff between: far below the server's forever.
        expect(performance.now() - started).toBeLessThan(5_000);
        return failed;
      },
    );
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.message).toBe('catalog did not answer (ETIMEDOUT)');
    expect(served).toBe(3);
  });

  it('maps a closed server to UpstreamUnavailableError with no URL in it', async () => {
    await world.sandbox.discovery.close();
    const error = await failure(discovery.get('/health/'));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.message).toBe('catalog did not answer (ECONNREFUSED)');
    expectNoLeak(error);
    expect(events).toEqual([expect.objectContaining({ statusCode: null })]);
  });
});
