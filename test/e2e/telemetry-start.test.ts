import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { deleteKeys } from '../support/gateway.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';
import { startGatewayProcess, type ChildRun } from '../support/worker-process.js';

const DIST = (path: string) => fileURLToPath(new URL(`../../dist/${path}`, import.meta.url));

describe('tracing set up from OTEL_* variables', () => {
  let sandbox: Sandbox;
  let receiver: OtlpReceiver;
  let gateway: (ChildRun & { url: string }) | undefined;
  const keyPrefix = `test:${randomUUID()}:`;

  beforeAll(async () => {
    sandbox = await startSandbox();
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    gateway?.child.kill('SIGKILL');
    await receiver.close();
    await sandbox.close();
    await deleteKeys(keyPrefix);
  });

  /** A new traced gateway (the one before is killed), exporting to the receiver every 100 ms. */
  const restartTraced = (environment: Record<string, string>) => {
    gateway?.child.kill('SIGKILL');
    return startGatewayProcess(
      { sandbox, keyPrefix },
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        ...environment,
      },
    );
  };

  /**
   * POSTs the query with a request id of its own and waits for the export of its server span:
   * the spans of its trace, which end before that one, were exported by then too.
   */
  const spansOfRequest = async (query: string) => {
    const requestId = randomUUID();
    const response = await fetch(`${gateway!.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ query }),
    });
    expect(response.status).toBe(200);
    const deadline = Date.now() + 10_000;
    const server = () =>
      receiver.spans.find((span) => span.attributes['http.request.id'] === requestId);
    while (!server()) {
      if (Date.now() > deadline) throw new Error(`the server span of ${query} was not exported`);
      await sleep(100);
    }
    return receiver.spans.filter((span) => span.traceId === server()!.traceId);
  };

  it('exports OTLP/HTTP protobuf, continuing the trace of an incoming traceparent', async () => {
    gateway = await restartTraced({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' });
    const traceId = randomBytes(16);
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: `00-${traceId.toString('hex')}-${randomBytes(8).toString('hex')}-01`,
      },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.status).toBe(200);
    const deadline = Date.now() + 10_000;
    while (!receiver.bodies.some(({ body }) => body.includes(traceId))) {
      if (Date.now() > deadline) throw new Error('no protobuf export held the trace id');
      await sleep(100);
    }
    const carrying = receiver.bodies.filter(({ body }) => body.includes(traceId));
    expect(carrying.every(({ contentType }) => contentType === 'application/x-protobuf')).toBe(
      true,
    );
  });

  it('answers as usual whatever a malformed traceparent says', async () => {
    for (const traceparent of [
      'garbage',
      `00-${'0'.repeat(32)}-${'0'.repeat(16)}-01`,
      `ff-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
      `00-${'a'.repeat(31)}-${'b'.repeat(16)}-01`,
      'x'.repeat(8_000),
    ]) {
      const response = await fetch(`${gateway!.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(response.status, traceparent.slice(0, 40)).toBe(200);
      expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
    }
  });

  it('samples as OTEL_TRACES_SAMPLER says, following a sampled caller', async () => {
    gateway = await restartTraced({
      // The production setting the README gives, at its extreme: no new trace is sampled.
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0',
    });
    // Spans carry the request id, so an export holding it is the trace of that request.
    const unsampled = `unsampled-${randomUUID()}`;
    const sampled = `sampled-${randomUUID()}`;
    const ask = (requestId: string, traceparent?: string) =>
      fetch(`${gateway!.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-request-id': requestId,
          ...(traceparent ? { traceparent } : {}),
        },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
    expect((await ask(unsampled)).status).toBe(200);
    const parent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
    expect((await ask(sampled, parent)).status).toBe(200);
    const deadline = Date.now() + 10_000;
    while (!receiver.bodies.some(({ body }) => body.includes(sampled))) {
      if (Date.now() > deadline) throw new Error("the sampled caller's trace was not exported");
      await sleep(100);
    }
    expect(receiver.bodies.some(({ body }) => body.includes(unsampled))).toBe(false);
  });

  it('gives a compiled run the execute span an interpreted run gets', async () => {
    gateway = await restartTraced({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      GRAPHQL_COMPILE_AFTER_RUNS: '2',
    });
    // The first run is graphql-js's (the GraphQL instrumentation's span); the second compiles.
    const executeSpans = [];
    for (const run of ['interpreted', 'compiled']) {
      const inTrace = await spansOfRequest('query Twice { __typename }');
      const execute = inTrace.filter((span) => span.name === 'query Twice');
      expect(execute, `${run}: one execute span`).toHaveLength(1);
      executeSpans.push(execute[0]!);
    }
    for (const span of executeSpans) {
      expect(span.attributes).toMatchObject({
        'graphql.operation.type': 'query',
        'graphql.operation.name': 'Twice',
      });
    }
  });

  it('loads only the instrumentations OTEL_NODE_DISABLED_INSTRUMENTATIONS leaves', async () => {
    gateway = await restartTraced({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'graphql',
      // Compiled at once: a compiled run makes no execute span either.
      GRAPHQL_COMPILE_AFTER_RUNS: '1',
    });
    const inTrace = await spansOfRequest('query Named { __typename }');
    // Parse, validate and execute spans would have ended, and been exported, before the POST.
    // The server span is named after its route, as Express now handles /graphql in the app itself.
    expect(inTrace.map((span) => span.name)).toEqual(['POST /graphql']);
  });

  it.each([
    ['OTEL_NODE_ENABLED_INSTRUMENTATIONS', 'http,grpc'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'],
    ['OTEL_TRACES_SAMPLER', 'sometimes'],
    ['OTEL_TRACES_SAMPLER_ARG', '1.5'],
  ])('stops with one line naming a bad %s', async (variable, value) => {
    const child = spawn(
      process.execPath,
      ['--import', DIST('server/telemetry.js'), DIST('server/main.js')],
      {
        env: {
          PATH: process.env['PATH'] ?? '',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
          [variable]: value,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^Invalid configuration: ${variable} [^\\n]*\\n$`));
  });
});
