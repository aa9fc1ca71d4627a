import type { Cluster, Redis } from 'ioredis';

import { UpstreamError } from '../errors.js';
import { chunk, type HttpClient } from '../http-client.js';
import type { CatalogProgram, ProgramConnector, ProgramPage } from '../programs.js';
import { toCourse } from './mapping.js';
import type { DiscoveryPage, DiscoveryProgram } from './wire-types.js';

/** Discovery's largest page and the most uuids one `uuids=` filter takes. */
const PAGE_SIZE = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface DiscoveryProgramOptions {
  redis: Redis | Cluster;
  keyPrefix: string;
  catalogCacheTtlSeconds: number;
}

/**
 * Programs over Course Discovery's `/api/v1/programs/`, cached in Redis as the upstream sent
 * them (like the other catalog reads), one key per program so that no read spans hash slots.
 */
export class DiscoveryProgramConnector implements ProgramConnector {
  readonly #http: HttpClient;
  readonly #redis: Redis | Cluster;
  readonly #prefix: string;
  readonly #ttlSeconds: number;

  constructor(http: HttpClient, options: DiscoveryProgramOptions) {
    this.#http = http;
    this.#redis = options.redis;
    this.#prefix = `${options.keyPrefix}catalog:program:`;
    this.#ttlSeconds = options.catalogCacheTtlSeconds;
  }

  async listPrograms(args: { offset: number; limit: number }): Promise<ProgramPage> {
    const page = await this.#http.get<DiscoveryPage<DiscoveryProgram>>('/api/v1/programs/', {
      query: {
        status: 'active',
        limit: Math.min(Math.max(args.limit, 1), PAGE_SIZE),
        offset: Math.max(args.offset, 0),
      },
    });
    await this.#store(page.results);
    return { totalCount: page.count, programs: page.results.map(toProgram) };
  }

  async getPrograms(
    uuids: readonly string[],
  ): Promise<Map<string, CatalogProgram | UpstreamError>> {
    const wanted = [...new Set(uuids.map((uuid) => uuid.toLowerCase()))].filter((uuid) =>
      UUID.test(uuid),
    );
    const found = new Map<string, CatalogProgram | UpstreamError>();
    const cached = await Promise.all(wanted.map((uuid) => this.#redis.get(this.#prefix + uuid)));
    const misses: string[] = [];
    wanted.forEach((uuid, index) => {
      const program = parse(cached[index]);
      if (program) found.set(uuid, toProgram(program));
      else misses.push(uuid);
    });
    if (misses.length === 0) return withRequestedCase(uuids, found);
    try {
      const pages = await Promise.all(
        chunk(misses, PAGE_SIZE).map((batch) =>
          this.#http.get<DiscoveryPage<DiscoveryProgram>>('/api/v1/programs/', {
            query: { uuids: batch.join(','), status: 'active', limit: PAGE_SIZE },
          }),
        ),
      );
      const fetched = pages.flatMap((page) => page.results);
      await this.#store(fetched);
      for (const program of fetched) found.set(program.uuid.toLowerCase(), toProgram(program));
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      for (const uuid of misses) found.set(uuid, error);
    }
    return withRequestedCase(uuids, found);
  }

  async checkReachable(): Promise<void> {
    await this.#http.get<unknown>('/api/v1/programs/', { query: { limit: 1 } });
  }

  async #store(programs: readonly DiscoveryProgram[]): Promise<void> {
    await Promise.all(
      programs.map((program) =>
        this.#redis.set(
          this.#prefix + program.uuid.toLowerCase(),
          JSON.stringify(program),
          'EX',
          this.#ttlSeconds,
        ),
      ),
    );
  }
}

function toProgram(program: DiscoveryProgram): CatalogProgram {
  return {
    uuid: program.uuid,
    title: program.title,
    courses: (program.courses ?? []).map(toCourse),
  };
}

function parse(value: string | null | undefined): DiscoveryProgram | null {
  if (!value) return null;
  try {
    return JSON.parse(value) as DiscoveryProgram;
  } catch {
    // A corrupt entry is a miss; the fresh answer overwrites it.
    return null;
  }
}

/** Callers look programs up by the uuid they were given, whatever its case. */
function withRequestedCase<V>(uuids: readonly string[], found: Map<string, V>): Map<string, V> {
  const result = new Map<string, V>();
  for (const uuid of uuids) {
    const value = found.get(uuid.toLowerCase());
    if (value !== undefined) result.set(uuid, value);
  }
  return result;
}
