import { context, propagation, ROOT_CONTEXT, SpanKind, trace, type Span } from '@opentelemetry/api';
import { endSpanAfter } from '../server/spans.js';

/** W3C trace context (`traceparent`, `tracestate`) as carried in a job's data. */
export type JobTraceContext = Record<string, string>;

const tracer = trace.getTracer('commerce-gateway/jobs');

/**
 * The caller's trace context, to store in the job it adds, so the job's span continues the
 * caller's trace; undefined when nothing is being traced (tracing off, or no active span).
 */
export function currentTraceContext(): JobTraceContext | undefined {
  const carrier: JobTraceContext = {};
  propagation.inject(context.active(), carrier);
  return Object.keys(carrier).length > 0 ? carrier : undefined;
}

/**
 * Runs a job inside a span that continues the trace of whoever added it (or starts one), named
 * after the job kind and carrying its order id. Errors mark the span and are thrown on.
 */
export function runInJobSpan<T>(
  job: {
    name: string;
    id?: string | undefined;
    data: { orderId: string; trace?: JobTraceContext };
  },
  run: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = job.data.trace ? propagation.extract(ROOT_CONTEXT, job.data.trace) : ROOT_CONTEXT;
  return tracer.startActiveSpan(
    `job ${job.name}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'bullmq',
        'messaging.operation.type': 'process',
        ...(job.id !== undefined ? { 'messaging.message.id': job.id } : {}),
        ...(job.data.orderId ? { 'order.id': job.data.orderId } : {}),
      },
    },
    parent,
    (span) => endSpanAfter(span, () => run(span)),
  );
}
