import type { ApolloServerPlugin } from '@apollo/server';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface UpstreamRequestEvent {
  upstream: string;
  method: string;
  /** A low-cardinality route label such as `GET /api/v1/course_runs/`. */
  route: string;
  statusCode: number | null;
  durationMs: number;
}

/** Prometheus metrics of one gateway instance (its own registry, so several can share a process). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const upstreamDuration = new Histogram({
    name: 'gateway_upstream_request_duration_seconds',
    help: 'Requests the gateway made to its upstreams',
    labelNames: ['upstream', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // Labelled by operation type only: operation names come from clients and are unbounded.
  const graphqlDuration = new Histogram({
    name: 'gateway_graphql_request_duration_seconds',
    help: 'GraphQL requests served over HTTP',
    labelNames: ['operation_type', 'outcome'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  const graphqlPlugin: ApolloServerPlugin = {
    requestDidStart() {
      const startedAt = process.hrtime.bigint();
      return Promise.resolve({
        willSendResponse({ operation, errors, response }) {
          const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
          graphqlDuration
            .labels(operation?.operation ?? 'unknown', outcomeOf(response.http.status, errors))
            .observe(seconds);
          return Promise.resolve();
        },
      });
    },
  };

  return {
    registry,
    graphqlPlugin,
    recordUpstreamRequest: (event: UpstreamRequestEvent): void => {
      upstreamDuration
        .labels(
          event.upstream,
          event.route,
          event.statusCode === null ? 'none' : String(event.statusCode),
        )
        .observe(event.durationMs / 1000);
    },
  };
}

/** A request refused for its own fault (parse, validation, variables) is the client's error. */
function outcomeOf(status: number | undefined, errors: readonly unknown[] | undefined): string {
  if (status !== undefined && status >= 500) return 'server_error';
  if (status !== undefined && status >= 400) return 'client_error';
  return errors?.length ? 'error' : 'ok';
}

export type Metrics = ReturnType<typeof createMetrics>;
