import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../server/config.js';
import { configError } from '../../support/configuration.js';

describe('Redis configuration', () => {
  it('reads Sentinel: hosts, master name, both passwords, TLS', () => {
    const config = loadConfig({
      REDIS_SENTINELS: 's1.example.org:26379, [::1]:26380',
      REDIS_SENTINEL_NAME: 'mymaster',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
      REDIS_PASSWORD: 'redis-secret',
      REDIS_TLS: 'true',
    });
    expect(config.redis.target).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: 's1.example.org', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      masterName: 'mymaster',
      sentinelPassword: 'sentinel-secret',
      password: 'redis-secret',
      tls: true,
    });
    expect(config.redis.isDefault).toBe(false);
  });

  it('reads Cluster seed nodes, and Sentinel or Cluster wins over REDIS_URL', () => {
    const config = loadConfig({
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7001',
    });
    expect(config.redis.target).toEqual({
      mode: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
      password: null,
      tls: false,
    });
  });

  it('reads the failed-job retention, the command timeout and the start-up wait', () => {
    const config = loadConfig({
      FAILED_JOB_RETENTION_DAYS: '30',
      REDIS_COMMAND_TIMEOUT_MS: '800',
      REDIS_READY_TIMEOUT_MS: '30000',
    });
    expect(config.jobs.failedJobRetentionDays).toBe(30);
    expect(config.redis.commandTimeoutMs).toBe(800);
    expect(config.redis.readyTimeoutMs).toBe(30_000);
  });

  it.each([
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, /^Invalid configuration: REDIS_URL /],
    [
      { REDIS_SENTINELS: 'sentinel-without-port' },
      /REDIS_SENTINELS has "sentinel-without-port"; write host:port/,
    ],
    [
      { REDIS_SENTINELS: 'a:26379,b:99999', REDIS_SENTINEL_NAME: 'm' },
      /REDIS_SENTINELS has "b:99999"/,
    ],
    [{ REDIS_SENTINELS: ' , ' }, /REDIS_SENTINELS names no host:port/],
    [{ REDIS_SENTINELS: 'a:26379' }, /REDIS_SENTINEL_NAME is required when REDIS_SENTINELS is set/],
    [{ REDIS_SENTINEL_NAME: 'mymaster' }, /REDIS_SENTINEL_NAME is set but REDIS_SENTINELS is not/],
    [
      { REDIS_CLUSTER_NODES: 'a:7000', REDIS_SENTINELS: 'b:26379', REDIS_SENTINEL_NAME: 'm' },
      /both set; set one of them/,
    ],
    [{ REDIS_CLUSTER_NODES: 'a:7000;b:7001' }, /REDIS_CLUSTER_NODES has "a:7000;b:7001"/],
    [{ REDIS_PASSWORD: 'x' }, /REDIS_PASSWORD applies to REDIS_SENTINELS or REDIS_CLUSTER_NODES/],
    [{ REDIS_TLS: 'yes', REDIS_CLUSTER_NODES: 'a:7000' }, /^Invalid configuration: REDIS_TLS /],
    [{ REDIS_TLS: 'true' }, /use rediss:\/\//],
    [{ REDIS_COMMAND_TIMEOUT_MS: '10' }, /^Invalid configuration: REDIS_COMMAND_TIMEOUT_MS /],
    [{ REDIS_READY_TIMEOUT_MS: 'soon' }, /^Invalid configuration: REDIS_READY_TIMEOUT_MS /],
    [{ REDIS_READY_TIMEOUT_MS: '0' }, /^Invalid configuration: REDIS_READY_TIMEOUT_MS /],
    [{ FAILED_JOB_RETENTION_DAYS: '0' }, /^Invalid configuration: FAILED_JOB_RETENTION_DAYS /],
    [
      { FAILED_JOB_RETENTION_DAYS: 'forever' },
      /^Invalid configuration: FAILED_JOB_RETENTION_DAYS /,
    ],
  ])('refuses %o in one line naming the variable', (environment, message) => {
    const text = configError(environment);
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });

  it('never puts a password in its message', () => {
    const text = configError({ REDIS_PASSWORD: 'hunter2-secret' });
    expect(text).not.toContain('hunter2-secret');
  });
});
