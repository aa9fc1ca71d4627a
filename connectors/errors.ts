/** Which system of record an error came from; never the URL, which must not reach a client. */
export type UpstreamName = 'catalog' | 'enrollment' | 'payments' | 'orders' | 'screening';

/** Base of every error a connector throws: callers map these, never raw HTTP errors. */
export class UpstreamError extends Error {
  constructor(
    readonly upstream: UpstreamName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The upstream did not answer usefully: connection refused, timeout, 5xx or 429 after retries. */
export class UpstreamUnavailableError extends UpstreamError {}

/** The upstream answered with a 4xx: the request itself was refused and retrying will not help. */
export class UpstreamRejectedError extends UpstreamError {
  constructor(
    upstream: UpstreamName,
    readonly statusCode: number,
    /** The upstream's own error code or message, for logs and decisions; never for clients. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(upstream, `${upstream} refused the request (${statusCode})`, options);
  }
}

/** The upstream says the write conflicts with a newer version (optimistic concurrency). */
export class UpstreamConflictError extends UpstreamRejectedError {}
