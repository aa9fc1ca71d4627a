import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../../sandbox/credentials.js';
import type { Sandbox, SandboxServer } from '../../../sandbox/index.js';
import { startSandbox } from '../../../sandbox/index.js';
import { call, sandboxFor, started } from './support.js';

let sandbox: Sandbox;
let discovery: SandboxServer;
let lms: SandboxServer;
const runs = () => call<unknown>(`${discovery.url}/api/v1/course_runs/?limit=1`);

beforeAll(async () => {
  sandbox = await sandboxFor({ only: ['discovery', 'lms'] });
  discovery = started(sandbox.discovery);
  lms = started(sandbox.lms);
});
afterAll(() => sandbox.close());

describe('sandbox scaffolding', () => {
  it('starts only the upstreams asked for', () => {
    expect(sandbox.urls.stripe).toBeUndefined();
    expect(sandbox.commercetools).toBeUndefined();
    expect(discovery.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sandbox.credentials).toEqual(SANDBOX_CREDENTIALS);
  });

  it('counts requests by route pattern, not by path', async () => {
    discovery.resetStats();
    lms.resetStats();
    await runs();
    await runs();
    await call(
      `${lms.url}/api/enrollment/v1/enrollment/${encodeURIComponent('alice,course-v1:X+Y+Z')}`,
    );
    await call(`${lms.url}/api/enrollment/v1/enrollment/bob,x`);
    expect(discovery.stats()).toEqual({ 'GET /api/v1/course_runs/': 2 });
    expect(discovery.totalRequests()).toBe(2);
    expect(lms.stats()).toEqual({ 'GET /api/enrollment/v1/enrollment/:usernameAndCourse': 2 });

    const overHttp = await call<{ total: number; routes: Record<string, number> }>(
      `${discovery.url}/__sandbox/stats`,
    );
    expect(overHttp.body).toEqual({ total: 2, routes: { 'GET /api/v1/course_runs/': 2 } });
    await call(`${discovery.url}/__sandbox/reset-stats`, { method: 'POST' });
    expect(discovery.totalRequests()).toBe(0);
  });

  it('answers injected faults in order, before the handler, in the upstream error shape', async () => {
    discovery.injectFault({ status: 503, count: 2, path: '/api/v1/course_runs' });
    discovery.injectFault({ status: 500, count: 1, method: 'GET' });
    const first = await runs();
    expect(first.status).toBe(503);
    expect(first.body).toEqual({ detail: 'Service unavailable.' });
    expect((await call(`${discovery.url}/api/v1/courses/`)).status).toBe(500);
    expect((await runs()).status).toBe(503);
    expect((await runs()).status).toBe(200);

    discovery.injectFault({ status: 429, count: 5, body: { detail: 'slow down' } });
    expect((await runs()).body).toEqual({ detail: 'slow down' });
    discovery.clearFaults();
    expect((await runs()).status).toBe(200);
  });

  it('takes faults over HTTP and validates them', async () => {
    const bad = await call(`${discovery.url}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ status: 42, count: 1 }),
    });
    expect(bad.status).toBe(400);
    await call(`${discovery.url}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ status: 502, count: 3, method: 'GET', path: '/health' }),
    });
    expect((await call(`${discovery.url}/health/`)).status).toBe(502);
    expect((await call(`${discovery.url}/__sandbox/faults`, { method: 'DELETE' })).status).toBe(
      204,
    );
    expect((await call(`${discovery.url}/health/`)).status).toBe(200);
  });

  it('adds latency to upstream routes but not to control routes', async () => {
    discovery.setLatency(150);
    let started = Date.now();
    await runs();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    started = Date.now();
    await call(`${discovery.url}/__sandbox/stats`);
    expect(Date.now() - started).toBeLessThan(100);

    await call(`${discovery.url}/__sandbox/latency`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ms: 0 }),
    });
    started = Date.now();
    await runs();
    expect(Date.now() - started).toBeLessThan(100);
  });

  it('answers a malformed JSON body in the upstream error shape', async () => {
    const answer = await call<{ detail: string }>(`${lms.url}/api/enrollment/v1/enrollment`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Edx-Api-Key': SANDBOX_CREDENTIALS.lmsApiKey,
      },
      body: '{nope',
    });
    expect(answer.status).toBe(400);
    expect(typeof answer.body.detail).toBe('string');
  });

  it('closes with open keep-alive connections and refuses new ones afterwards', async () => {
    const own = await startSandbox({ only: ['discovery'], seed: false });
    const server = started(own.discovery);
    server.setLatency(2000);
    const pending = fetch(`${server.url}/api/v1/courses/`).then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closedAt = Date.now();
    await own.close();
    expect(Date.now() - closedAt).toBeLessThan(1000);
    expect(await pending).toBe('failed');
    await expect(fetch(`${server.url}/health/`)).rejects.toThrow();
  });

  it('serves an empty catalog without the seed', async () => {
    const own = await startSandbox({ only: ['discovery'], seed: false, latencyMs: 0 });
    try {
      const page = await call<{ count: number }>(`${started(own.discovery).url}/api/v1/courses/`);
      expect(page.body.count).toBe(0);
    } finally {
      await own.close();
    }
  });
});
