import { describe, expect, it } from 'vitest';
import { clusterVersionProblem } from '../../../server/redis-connections.js';

const info = (version: string) =>
  `# Server\r\nredis_version:${version}\r\nredis_git_sha1:00000000\r\nredis_mode:cluster\r\n`;

describe('the Redis Cluster version check (sharded pub/sub)', () => {
  it('passes masters on Redis 7 or later, Valkey included (it reports a 7.2 redis_version)', () => {
    expect(
      clusterVersionProblem([
        { address: '10.0.0.1:6379', info: info('7.0.15') },
        { address: '10.0.0.2:6379', info: info('7.2.4') },
        { address: '10.0.0.3:6379', info: info('8.2.1') },
      ]),
    ).toBeNull();
  });

  it('names each master on an older Redis, or one that could not say', () => {
    expect(
      clusterVersionProblem([
        { address: '10.0.0.1:6379', info: info('7.0.15') },
        { address: '10.0.0.2:6379', info: info('6.2.14') },
        { address: '10.0.0.3:6379', info: '' },
      ]),
    ).toBe(
      'Redis Cluster: live order status needs Redis 7 or later on every master (sharded pub/sub); ' +
        '10.0.0.2:6379 (6.2.14), 10.0.0.3:6379 (version unknown) run an older one.',
    );
  });

  it('reads a malformed version as unknown, not as new enough', () => {
    expect(clusterVersionProblem([{ address: 'a:1', info: info('seven') }])).toContain(
      'a:1 (seven) runs an older one',
    );
  });
});
