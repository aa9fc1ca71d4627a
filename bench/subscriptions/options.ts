import { parseArgs } from 'node:util';

/** order: every client orderStatusChanged; owner: every client myOrderStatusChanged; mix: half each. */
export type Mix = 'mix' | 'order' | 'owner';

/** The command-line options parsed, plus the Redis URL and this run's id; see readOptions. */
export interface FanoutOptions {
  /** --clients: N per run. */
  sizes: number[];
  mix: Mix;
  pacedRounds: number;
  burstRounds: number;
  /** --rate. */
  publishRate: number;
  firstRate: number;
  rampRate: number;
  maxInFlight: number;
  /** --clients-per-process: the most clients one client process holds. */
  clientsPerProcess: number;
  /** --gateway-root: the checkout whose dist/server/main.js is measured (another build's, for "before"). */
  gatewayRoot: string | undefined;
  gatewayFlags: string[];
  gatewayLog: string | undefined;
  heapSnapshots: string | undefined;
  redisUrl: string;
  /** Part of every run's Redis key prefix, so runs never share keys. */
  runId: string;
}

/** The command line (see README.md, "Subscriptions fan-out") and the environment, read once. */
export function readOptions(): FanoutOptions {
  const { values: args } = parseArgs({
    options: {
      /** Concurrent clients per run; each run gets a fresh gateway process. */
      clients: { type: 'string', default: '1000,10000' },
      /** order: every client orderStatusChanged; owner: every client myOrderStatusChanged; mix: half each. */
      mix: { type: 'string', default: 'mix' },
      rounds: { type: 'string', default: '5' },
      /** Paced rounds publish this many status changes per second (each reaches 2 clients in the mix). */
      rate: { type: 'string', default: '1000' },
      'burst-rounds': { type: 'string', default: '2' },
      /**
       * Round 0 (not in the steady-state figures) goes slower: each myOrderStatusChanged
       * subscription's first change reads the order upstream, and too many at once time out.
       */
      'first-rate': { type: 'string', default: '250' },
      /** Connection ramp: new clients per second, and subscriptions awaiting their first answer. */
      'ramp-rate': { type: 'string', default: '1000' },
      'in-flight': { type: 'string', default: '64' },
      /**
       * Clients are spread over client processes of at most this many: one process may open only
       * as many sockets as its open-file limit, and one event loop would itself be measured.
       */
      'clients-per-process': { type: 'string', default: '5000' },
      /** Measure the gateway built in this checkout (e.g. a copy at the base commit) instead. */
      'gateway-root': { type: 'string' },
      /** Extra node flags for the gateway, e.g. --cpu-prof --cpu-prof-dir=/tmp/prof. */
      'gateway-flags': { type: 'string', default: '' },
      /** Appends the gateway's stdout/stderr (e.g. --trace-gc) to this file. */
      'gateway-log': { type: 'string' },
      /** Writes gateway heap snapshots before connecting and at idle into this directory. */
      'heap-snapshots': { type: 'string' },
    },
  });
  return {
    sizes: args.clients
      .split(',')
      .map((size) => Number(size.trim()))
      .filter((size) => Number.isInteger(size) && size > 0),
    mix: args.mix === 'order' || args.mix === 'owner' ? args.mix : 'mix',
    pacedRounds: Number(args.rounds),
    burstRounds: Number(args['burst-rounds']),
    publishRate: Number(args.rate),
    firstRate: Number(args['first-rate']),
    rampRate: Number(args['ramp-rate']),
    maxInFlight: Number(args['in-flight']),
    clientsPerProcess: Math.max(1, Number(args['clients-per-process'])),
    gatewayRoot: args['gateway-root'],
    gatewayFlags: args['gateway-flags'].split(' ').filter(Boolean),
    gatewayLog: args['gateway-log'],
    heapSnapshots: args['heap-snapshots'],
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    runId: `${process.pid}-${Date.now()}`,
  };
}
