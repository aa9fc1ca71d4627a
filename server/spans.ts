import { SpanStatusCode, type Span } from '@opentelemetry/api';

/**
 * Runs the span's work and ends the span: an error thrown is recorded on it, marks it failed and
 * is thrown on. (Errors a result merely carries, such as a GraphQL answer's, leave it alone.)
 */
export async function endSpanAfter<T>(span: Span, work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}
