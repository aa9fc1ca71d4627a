import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';

/**
 * The process's logger: one JSON object per line on stdout. A line written while a request or
 * job is traced carries its trace_id and span_id; credentials are removed wherever pino finds
 * them (request headers, an HTTP client error's options).
 */
export function createLogger(level: string): Logger {
  return pino({
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
  });
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
