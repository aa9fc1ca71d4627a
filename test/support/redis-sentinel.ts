import { destroyAll, onServer, RedisServer, waitFor } from './redis-servers.js';

/** How long Sentinels wait before they call a silent master down and fail over. */
export const SENTINEL_DOWN_AFTER_MS = 5_000;

export const SENTINEL_MASTER_NAME = 'cgw-test';

/** Redis behind Sentinel: one master, one replica and three Sentinels, on free ports. */
export class RedisSentinelFixture {
  private constructor(
    readonly servers: RedisServer[],
    readonly sentinels: RedisServer[],
  ) {}

  static async start(): Promise<RedisSentinelFixture> {
    const master = await RedisServer.start();
    const replica = await RedisServer.start({
      args: ['--replicaof', '127.0.0.1', String(master.port)],
    });
    const sentinels: RedisServer[] = [];
    const fixture = new RedisSentinelFixture([master, replica], sentinels);
    try {
      for (let i = 0; i < 3; i += 1) {
        sentinels.push(
          await RedisServer.start({
            sentinel: () => [
              `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${master.port} 2`,
              // Short, so a dead master is noticed within a test's patience; still far above
              // the time a busy 2-core machine may leave a healthy server unanswered, and long
              // enough that a readiness check, whose Redis command gives up after 1.5 s, sees
              // the gap before the replica is promoted even when the machine is loaded.
              `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} ${SENTINEL_DOWN_AFTER_MS}`,
              `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 10000`,
              `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
            ],
          }),
        );
      }
      await fixture.#waitUntilWatching(master.port);
    } catch (error) {
      await fixture.destroy();
      throw error;
    }
    return fixture;
  }

  /** The value of REDIS_SENTINELS. */
  get sentinelNodes(): string {
    return this.sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(',');
  }

  /** The data server Sentinel names as master now. */
  async master(): Promise<RedisServer> {
    const [, port] = (await onServer(this.sentinels[0]!.port, (redis) =>
      redis.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER_NAME),
    )) as [string, string];
    const master = this.servers.find((server) => server.port === Number(port));
    if (!master) throw new Error(`Sentinel names an unknown master on port ${port}`);
    return master;
  }

  /**
   * `SENTINEL FAILOVER`; resolves once a Sentinel accepted it, with the promise of every Sentinel
   * naming the other server master (its replica in sync again).
   */
  async startFailover(): Promise<{ done: Promise<RedisServer> }> {
    const before = await this.master();
    await onServer(this.sentinels[0]!.port, (redis) =>
      redis.call('SENTINEL', 'FAILOVER', SENTINEL_MASTER_NAME),
    );
    const after = this.servers.find((server) => server !== before)!;
    return { done: this.#waitUntilWatching(after.port).then(() => after) };
  }

  async destroy(): Promise<void> {
    await destroyAll([...this.sentinels, ...this.servers]);
  }

  /**
   * Until every Sentinel names `masterPort` master, knows its replica in sync, and knows the
   * other Sentinels: only then can a failover be asked for and be carried out.
   */
  async #waitUntilWatching(masterPort: number): Promise<void> {
    await waitFor(
      `every Sentinel watching the master on ${masterPort} and its replica`,
      async () => {
        const views = await Promise.all(
          this.sentinels.map((sentinel) =>
            onServer(sentinel.port, async (redis) => ({
              master: (await redis.call(
                'SENTINEL',
                'GET-MASTER-ADDR-BY-NAME',
                SENTINEL_MASTER_NAME,
              )) as string[],
              replicas: (await redis.call('SENTINEL', 'REPLICAS', SENTINEL_MASTER_NAME)) as [
                string[],
              ],
              sentinels: (await redis.call('SENTINEL', 'SENTINELS', SENTINEL_MASTER_NAME)) as [],
            })),
          ),
        );
        return views.every(
          (view) =>
            Number(view.master[1]) === masterPort &&
            view.sentinels.length === this.sentinels.length - 1 &&
            view.replicas.some((fields) => {
              const flags = fields[fields.indexOf('flags') + 1] ?? '';
              const link = fields[fields.indexOf('master-link-status') + 1];
              return flags === 'slave' && link === 'ok';
            }),
        );
      },
      40_000,
    );
  }
}
