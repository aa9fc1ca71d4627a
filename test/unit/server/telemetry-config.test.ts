import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadTelemetryConfig } from '../../../server/config.js';

function message(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

describe('observability configuration', () => {
  it('traces nothing without an OTLP endpoint', () => {
    expect(loadTelemetryConfig({})).toBeNull();
    expect(loadTelemetryConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBeNull();
  });

  it('exports over OTLP/HTTP protobuf by default, JSON when asked', () => {
    expect(loadTelemetryConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({
      endpoint: 'http://collector:4318',
      protocol: 'http/protobuf',
      serviceName: 'commerce-gateway',
      instrumentations: new Set(['http', 'express', 'graphql', 'ioredis', 'undici']),
    });
    expect(
      loadTelemetryConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example.org/',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'checkout-worker',
      }),
    ).toMatchObject({ protocol: 'http/json', serviceName: 'checkout-worker' });
  });

  it('loads the instrumentations OTEL_NODE_ENABLED_INSTRUMENTATIONS names, less the disabled', () => {
    const loaded = (environment: Record<string, string>) => [
      ...loadTelemetryConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', ...environment })!
        .instrumentations,
    ];
    expect(loaded({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http, undici' })).toEqual([
      'http',
      'undici',
    ]);
    expect(loaded({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'express,ioredis' })).toEqual([
      'http',
      'graphql',
      'undici',
    ]);
    // Disabled wins, as in @opentelemetry/auto-instrumentations-node; empty means unset.
    expect(
      loaded({
        OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,graphql',
        OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'graphql',
      }),
    ).toEqual(['http']);
    expect(loaded({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: '' })).toHaveLength(5);
    expect(
      loaded({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http,express,graphql,ioredis,undici' }),
    ).toEqual([]);
  });

  it('names the variable of a bad tracing setting, in both loaders', () => {
    for (const load of [loadTelemetryConfig, loadConfig]) {
      expect(
        message(() =>
          load({
            OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
            OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
          }),
        ),
      ).toMatch(/^Invalid configuration: OTEL_EXPORTER_OTLP_PROTOCOL /);
      expect(message(() => load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }))).toMatch(
        /^Invalid configuration: OTEL_EXPORTER_OTLP_ENDPOINT /,
      );
      // An instrumentation this gateway does not have (a typo, or one of auto-instrumentations').
      expect(
        message(() =>
          load({
            OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
            OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http,expres',
          }),
        ),
      ).toMatch(/^Invalid configuration: OTEL_NODE_DISABLED_INSTRUMENTATIONS /);
    }
  });

  it('takes METRICS_PORT and ATTENTION_AFTER_SECONDS, and refuses bad ones', () => {
    expect(loadConfig({}).metricsPort).toBeNull();
    expect(loadConfig({}).attentionAfterMs).toBe(900_000);
    expect(loadConfig({ METRICS_PORT: '9464', ATTENTION_AFTER_SECONDS: '60' })).toMatchObject({
      metricsPort: 9464,
      attentionAfterMs: 60_000,
    });
    expect(message(() => loadConfig({ METRICS_PORT: '70000' }))).toMatch(
      /^Invalid configuration: METRICS_PORT /,
    );
    expect(message(() => loadConfig({ ATTENTION_AFTER_SECONDS: 'soon' }))).toMatch(
      /^Invalid configuration: ATTENTION_AFTER_SECONDS /,
    );
  });
});
