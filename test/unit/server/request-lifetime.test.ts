import { Agent, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString, getHeapSpaceStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ApolloServer } from '@apollo/server';
import express from 'express';
import {
  GraphQLFloat,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { compiledExecutionGateway } from '../../../server/compiled-execution.js';
import { createContextFactory } from '../../../server/context.js';
import { createExpressServer } from '../../../server/express-server.js';
import type { CommerceServices, OrderStatusFeed } from '../../../workflows/services.js';

// What a request allocates must die young: V8 kept some per-request objects alive through every
// young-generation collection (an object literal's getter closing over the request, objects
// re-parented by Object.setPrototypeOf), and each request was then copied twice and promoted to
// the old generation. Under load that made 6-8 ms scavenge pauses and frequent full collections.
//
// Each test runs ROUNDS requests that each hold about PAYLOAD_BYTES, then two young-generation
// collections, and reads how much the old generation grew. When a request's objects are kept,
// it grows by up to ROUNDS × PAYLOAD_BYTES (about 6-9 MB measured); when they die young, by what
// warming up compiled and cached (under 0.5 MB).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (options?: { type: 'major' | 'minor' }) => void;

const ROUNDS = 300;
const PAYLOAD_BYTES = 32 * 1024;
const MAX_OLD_GROWTH_BYTES = 2 * 1024 * 1024;

/** About PAYLOAD_BYTES of new objects, different each call. */
function payload(round: number): number[] {
  return Array.from({ length: PAYLOAD_BYTES / 8 }, (_, i) => round * 1e6 + i + 0.5);
}

function getText(port: number, headers: Record<string, string>, agent: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/', headers, agent }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve(text));
      response.on('error', reject);
    }).on('error', reject);
  });
}

function oldSpaceUsed(): number {
  const old = getHeapSpaceStatistics().find((space) => space.space_name === 'old_space');
  if (!old) throw new Error('V8 reports no old_space');
  return old.space_used_size;
}

/** How much the old generation grows over `run` (after warming it up) and two minor GCs. */
async function oldGrowthOver(run: (round: number) => Promise<void>): Promise<number> {
  for (let round = 0; round < 30; round += 1) await run(round);
  gc();
  const before = oldSpaceUsed();
  for (let round = 0; round < ROUNDS; round += 1) await run(round);
  gc({ type: 'minor' });
  gc({ type: 'minor' });
  return oldSpaceUsed() - before;
}

describe('what a request allocates dies young', () => {
  it('for an Express request served by createExpressServer', async () => {
    const app = express();
    app.use((req, res) => {
      // Express's own methods on both, as every handler uses them.
      res.locals['payload'] = payload(Number(req.get('x-round')));
      res.json({ ok: true });
    });
    const server = createExpressServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const agent = new Agent({ keepAlive: true });
    try {
      // node:http as the client: fetch keeps its own per-request objects alive the same way.
      const growth = await oldGrowthOver(async (round) => {
        const body = await getText(port, { 'x-round': String(round) }, agent);
        expect(JSON.parse(body)).toEqual({ ok: true });
      });
      expect(growth).toBeLessThan(MAX_OLD_GROWTH_BYTES);
    } finally {
      agent.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('for a context and the loaders it made', async () => {
    // The loaders are made but never asked to load: nothing here calls a connector.
    const services = { connectors: {} } as unknown as CommerceServices;
    const contexts = createContextFactory({
      services,
      statusFeed: {} as OrderStatusFeed,
      authenticate: () => Promise.resolve({ viewer: null, problem: 'missing' }),
    });
    const growth = await oldGrowthOver(async (round) => {
      const context = contexts.forAuthentication({ viewer: null, problem: 'missing' });
      context.loaders.enrollmentsByUsername.prime('alice', payload(round) as never);
      await Promise.resolve();
    });
    expect(growth).toBeLessThan(MAX_OLD_GROWTH_BYTES);
  });

  it('for an operation Apollo Server runs through the compiled-execution gateway', async () => {
    // Apollo Server's gateway mode is patched (patches/@apollo+server+*.patch): unpatched, its
    // per-request object literal with a status getter kept every request's context and result.
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: {
          numbers: {
            type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(GraphQLFloat))),
            args: { round: { type: new GraphQLNonNull(GraphQLInt) } },
            resolve: (_root, args: { round: number }) => payload(args.round),
          },
        },
      }),
    });
    const apollo = new ApolloServer<{ round: number }>({
      gateway: compiledExecutionGateway(schema, { compileAfterRuns: 1, traced: false }),
    });
    await apollo.start();
    try {
      const growth = await oldGrowthOver(async (round) => {
        const answer = await apollo.executeOperation(
          { query: 'query ($round: Int!) { numbers(round: $round) }', variables: { round } },
          { contextValue: { round } },
        );
        if (answer.body.kind !== 'single') throw new Error('expected a single result');
        expect(answer.body.singleResult.errors).toBeUndefined();
      });
      expect(growth).toBeLessThan(MAX_OLD_GROWTH_BYTES);
    } finally {
      await apollo.stop();
    }
  });
});
