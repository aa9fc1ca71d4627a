import { destroyAll, onServer, RedisServer, waitFor } from './redis-servers.js';

const SLOTS = 16_384;

/** A Redis Cluster of its own: `masters` masters, each with one replica, on free ports. */
export class RedisClusterFixture {
  private constructor(
    readonly masters: RedisServer[],
    readonly replicas: RedisServer[],
  ) {}

  static async start(masterCount = 3): Promise<RedisClusterFixture> {
    const args = ['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000'];
    const servers = await Promise.all(
      Array.from({ length: masterCount * 2 }, () => RedisServer.start({ args })),
    );
    const fixture = new RedisClusterFixture(
      servers.slice(0, masterCount),
      servers.slice(masterCount),
    );
    try {
      await fixture.#form();
    } catch (error) {
      await fixture.destroy();
      throw error;
    }
    return fixture;
  }

  get servers(): RedisServer[] {
    return [...this.masters, ...this.replicas];
  }

  /** The value of REDIS_CLUSTER_NODES: every node, as an operator would list its seeds. */
  get seedNodes(): string {
    return this.servers.map((server) => `127.0.0.1:${server.port}`).join(',');
  }

  /**
   * `CLUSTER FAILOVER` on the first master's replica: a manual failover, as an operator or a
   * managed service runs it for maintenance. Resolves once the replica accepted it, with the
   * promise of its promotion.
   */
  async startFailover(): Promise<{ done: Promise<RedisServer> }> {
    const replica = this.replicas[0]!;
    await onServer(replica.port, (redis) => redis.cluster('FAILOVER'));
    const done = waitFor(
      'the replica promoted',
      async () => (await role(replica.port)) === 'master',
      15_000,
    ).then(() => replica);
    return { done };
  }

  async destroy(): Promise<void> {
    await destroyAll(this.servers);
  }

  async #form(): Promise<void> {
    const count = this.masters.length;
    await Promise.all(
      this.masters.map((server, i) => {
        const first = Math.floor((SLOTS * i) / count);
        const last = Math.floor((SLOTS * (i + 1)) / count) - 1;
        return onServer(server.port, (redis) =>
          redis.call('CLUSTER', 'ADDSLOTSRANGE', first, last),
        );
      }),
    );
    const [first, ...others] = this.servers;
    await onServer(first!.port, async (redis) => {
      for (const server of others) await redis.cluster('MEET', '127.0.0.1', server.port);
    });
    await waitFor('every node meets every other', async () => {
      const views = await Promise.all(
        this.servers.map((server) =>
          onServer(server.port, async (redis) => String(await redis.cluster('NODES'))),
        ),
      );
      return views.every(
        (view) => view.trim().split('\n').length === this.servers.length && !/handshake/.test(view),
      );
    });
    const masterIds = await Promise.all(
      this.masters.map((server) => onServer(server.port, (redis) => redis.cluster('MYID'))),
    );
    await Promise.all(
      this.replicas.map((server, i) =>
        onServer(server.port, (redis) => redis.cluster('REPLICATE', masterIds[i]!)),
      ),
    );
    await waitFor('the cluster ok on every node, every replica in sync', async () => {
      const states = await Promise.all(
        this.servers.map((server) =>
          onServer(server.port, async (redis) => ({
            cluster: await redis.cluster('INFO'),
            replication: await redis.info('replication'),
          })),
        ),
      );
      return states.every(
        ({ cluster, replication }, i) =>
          /cluster_state:ok/.test(cluster) &&
          (i < count || /master_link_status:up/.test(replication)),
      );
    });
  }
}

async function role(port: number): Promise<string> {
  const reply = (await onServer(port, (redis) => redis.call('ROLE'))) as unknown[];
  return String(reply[0]);
}
