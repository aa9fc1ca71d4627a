/**
 * OpenTelemetry tracing, loaded before the program with `node --import ./dist/server/telemetry.js`
 * (npm start and npm run worker do it). With OTEL_EXPORTER_OTLP_ENDPOINT unset it does nothing at
 * all: no loader hook, no SDK, so the OpenTelemetry API calls in the program stay no-ops.
 *
 * ESM modules can only be patched if a loader hook sees them being imported, so the hook is
 * registered here, before the program's first import of http, express, graphql or ioredis.
 */
import { register } from 'node:module';
import {
  ConfigError,
  loadTelemetryConfig,
  type InstrumentationName,
  type TelemetryConfig,
} from './config.js';
import { exitWith } from './process-lifecycle.js';

// Neither health probes nor scrapes are worth a trace each.
const UNTRACED_PATHS = new Set(['/metrics', '/healthz', '/readyz']);

async function startTracing(settings: TelemetryConfig): Promise<void> {
  const { createAddHookMessageChannel } = await import('import-in-the-middle');
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  const [
    { NodeSDK },
    { HttpInstrumentation },
    { ExpressInstrumentation, ExpressLayerType },
    { GraphQLInstrumentation },
    { IORedisInstrumentation },
    { UndiciInstrumentation },
  ] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-express'),
    import('@opentelemetry/instrumentation-graphql'),
    import('@opentelemetry/instrumentation-ioredis'),
    import('@opentelemetry/instrumentation-undici'),
  ]);
  // Each exporter reads the endpoint, headers and timeout from the standard OTEL_* variables.
  const { OTLPTraceExporter } =
    settings.protocol === 'http/json'
      ? await import('@opentelemetry/exporter-trace-otlp-http')
      : await import('@opentelemetry/exporter-trace-otlp-proto');

  const wanted = (name: InstrumentationName) => settings.instrumentations.has(name);
  const sdk = new NodeSDK({
    serviceName: settings.serviceName,
    traceExporter: new OTLPTraceExporter(),
    // Traces only: metrics are Prometheus's (/metrics) and logs go to stdout.
    metricReaders: [],
    logRecordProcessors: [],
    // Each is constructed only when loaded: a constructor already enables its hooks.
    instrumentations: [
      // No header is recorded unless named in headersToSpanAttributes: tokens and cookies stay out.
      wanted('http') &&
        new HttpInstrumentation({
          ignoreIncomingRequestHook: (request) =>
            UNTRACED_PATHS.has((request.url ?? '').split('?')[0] ?? ''),
        }),
      // Middleware spans (cors, body parsers) would only add cost: routers and handlers remain.
      wanted('express') &&
        new ExpressInstrumentation({
          ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER],
        }),
      // Parse, validate and execute spans; a span per resolver would cost more than it tells.
      wanted('graphql') &&
        new GraphQLInstrumentation({ ignoreResolveSpans: true, mergeItems: true }),
      // Only commands made for a traced request or job: BullMQ's polling would flood the traces.
      wanted('ioredis') && new IORedisInstrumentation({ requireParentSpan: true }),
      // The connectors call upstreams through undici, which the http instrumentation does not see:
      // this one gives each upstream call its client span and its traceparent header.
      wanted('undici') && new UndiciInstrumentation(),
    ].filter((instrumentation) => instrumentation !== false),
  });
  sdk.start();
  await waitForAllMessagesAcknowledged();
}

let settings: TelemetryConfig | null;
try {
  settings = loadTelemetryConfig();
} catch (error) {
  if (error instanceof ConfigError) exitWith(error.message);
  throw error;
}
if (settings) await startTracing(settings);
