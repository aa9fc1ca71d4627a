import type { ApolloServerPlugin } from '@apollo/server';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { OrderQueueMetrics } from '../jobs/queue-metrics.js';
import type { CompileOutcome } from './compiled-execution.js';
import type { JobMetrics } from '../jobs/order-worker.js';
import type { OrderStatusFeed } from '../workflows/services.js';

export interface UpstreamRequestEvent {
  upstream: string;
  method: string;
  /** A low-cardinality route label such as `GET /api/v1/course_runs/`. */
  route: string;
  statusCode: number | null;
  durationMs: number;
}

/** Prometheus metrics of one process (its own registry, so several can share a process). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const upstreamDuration = new Histogram({
    name: 'gateway_upstream_request_duration_seconds',
    help: 'Requests the gateway made to its upstreams',
    labelNames: ['upstream', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  // Labelled by operation type only: operation names come from clients and are unbounded.
  const graphqlDuration = new Histogram({
    name: 'gateway_graphql_request_duration_seconds',
    help: 'GraphQL requests served over HTTP',
    labelNames: ['operation_type', 'outcome'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const jobDuration = new Histogram({
    name: 'gateway_job_duration_seconds',
    help: 'Order jobs run by this process, by kind and outcome (completed, retrying, failed)',
    labelNames: ['kind', 'outcome'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const fulfillmentFailures = new Counter({
    name: 'gateway_fulfillment_failures_total',
    help: 'Fulfillment module calls that failed, by module, operation and error type',
    labelNames: ['module', 'operation', 'error_type'],
    registers,
  });
  const reconcilerRepairs = new Counter({
    name: 'gateway_reconciler_repairs_total',
    help: 'Orders the reconciler moved on: payments settled, jobs requeued, refunds and disputes at the processor settled, unpaid checkouts expired',
    labelNames: ['repair'],
    registers,
  });
  const webhookEvents = new Counter({
    name: 'gateway_webhook_events_total',
    help: 'Payment webhooks received, by event type and outcome',
    labelNames: ['type', 'outcome'],
    registers,
  });
  const documentsCompiled = new Counter({
    name: 'gateway_graphql_documents_compiled_total',
    help: 'Recurring GraphQL documents: compiled by graphql-jit, not compilable, or left to graphql-js for holding string literals',
    labelNames: ['outcome'],
    registers,
  });
  const activeSubscriptions = new Gauge({
    name: 'gateway_active_subscriptions',
    help: 'GraphQL subscriptions being served by this process',
    registers,
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

  const jobs: JobMetrics = {
    recordJob: (kind, outcome, seconds) => jobDuration.labels(kind, outcome).observe(seconds),
    recordModuleFailure: (module, operation, errorType) =>
      fulfillmentFailures.labels(module, operation, errorType).inc(),
    recordRepairs: ({ paymentsSettled, jobsRequeued, reversalsSettled, checkoutsExpired }) => {
      reconcilerRepairs.labels('payment_settled').inc(paymentsSettled);
      reconcilerRepairs.labels('job_requeued').inc(jobsRequeued);
      reconcilerRepairs.labels('reversal_settled').inc(reversalsSettled);
      reconcilerRepairs.labels('checkout_expired').inc(checkoutsExpired);
    },
  };

  return {
    registry,
    graphqlPlugin,
    jobs,
    recordUpstreamRequest: (event: UpstreamRequestEvent): void => {
      upstreamDuration
        .labels(
          event.upstream,
          event.route,
          event.statusCode === null ? 'none' : String(event.statusCode),
        )
        .observe(event.durationMs / 1000);
    },
    recordCompile: (outcome: CompileOutcome): void => {
      documentsCompiled.labels(outcome).inc();
    },
    recordWebhook: (type: string, outcome: string): void => {
      webhookEvents.labels(type, outcome).inc();
    },
    /** The queue's jobs by state and kind, read from Redis at each scrape. */
    watchQueue(queue: OrderQueueMetrics): void {
      new Gauge({
        name: 'gateway_queue_jobs',
        help: 'Order jobs in the queue, by state and kind (read at scrape time)',
        labelNames: ['state', 'kind'],
        registers,
        async collect() {
          this.reset();
          for (const { state, kind, count } of await queue.countsByStateAndKind()) {
            this.labels(state, kind).set(count);
          }
        },
      });
    },
    /** Open WebSocket connections, counted at each scrape. */
    watchConnections(count: () => number): void {
      new Gauge({
        name: 'gateway_websocket_connections',
        help: 'WebSocket connections open on this process',
        registers,
        collect() {
          this.set(count());
        },
      });
    },
    /** The feed, counting the subscriptions that watch it. */
    countSubscriptions(feed: OrderStatusFeed): OrderStatusFeed {
      const counted =
        (watch: OrderStatusFeed['watchOrder']): OrderStatusFeed['watchOrder'] =>
        async (id, listener) => {
          const stop = await watch(id, listener);
          activeSubscriptions.inc();
          let stopped = false;
          return () => {
            if (!stopped) activeSubscriptions.dec();
            stopped = true;
            stop();
          };
        };
      return {
        ...feed,
        watchOrder: counted(feed.watchOrder.bind(feed)),
        watchOwner: counted(feed.watchOwner.bind(feed)),
      };
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
