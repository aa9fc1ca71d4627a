import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';

/** Lines are written once this many bytes wait, or when flushMs has passed. */
const LOG_BUFFER_BYTES = 4096;

/**
 * The process's logger: one JSON object per line on stdout. A line written while a request or
 * job is traced carries its trace_id and span_id; credentials are removed wherever pino finds
 * them (request headers, an HTTP client error's options).
 *
 * Lines wait in memory for up to `flushMs` (LOG_FLUSH_MS) or 4 KB and are written together.
 * pino's default writes each line by itself through libuv's thread pool, a hand-off and a wake-up
 * per line at moderate rates: with one line per GraphQL operation, a cached CourseCatalog at 300
 * req/s takes 11–16 % less CPU this way (bench/README.md, session 22). pino writes what waits
 * when the process exits, a crash included; a SIGKILL loses at most those lines. `flushMs` 0
 * writes each line at once, synchronously.
 */
export function createLogger(level: string, flushMs: number): Logger {
  // A silent logger writes nothing, so it gets no flush timer either (tests make many).
  const destination =
    flushMs === 0 || level === 'silent'
      ? pino.destination({ dest: 1, sync: true })
      : pino.destination({
          dest: 1,
          sync: false,
          minLength: LOG_BUFFER_BYTES,
          periodicFlush: flushMs,
        });
  return pino(
    {
      level,
      hooks: {
        // A job's logger names its order; a call naming it too would put the key in the line twice
        // (valid to JSON.parse, which keeps the last, but not to every log pipeline).
        logMethod(args, method) {
          const [fields] = args;
          if (isObject(fields) && 'orderId' in fields) {
            const bound = (this.bindings() as { orderId?: unknown }).orderId;
            if (bound !== undefined && bound === fields['orderId']) {
              const { orderId: _named, ...rest } = fields;
              args[0] = rest;
            }
          }
          method.apply(this, args);
        },
      },
      mixin() {
        const span = trace.getActiveSpan();
        if (!span) return {};
        const spanContext = span.spanContext();
        return isSpanContextValid(spanContext)
          ? { trace_id: spanContext.traceId, span_id: spanContext.spanId }
          : {};
      },
      redact: {
        paths: [
          'authorization',
          'cookie',
          '*.authorization',
          '*.cookie',
          '*.headers.authorization',
          '*.headers.cookie',
          'err.options',
          'err.request',
          'err.response',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Node's own warnings (deprecations and the like) as log lines instead of raw stderr text. */
export function logProcessWarnings(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) =>
    logger.warn({ warning: { name: warning.name, message: warning.message } }, 'process warning'),
  );
}
