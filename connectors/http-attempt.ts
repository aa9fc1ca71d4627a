import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

/** One attempt's answer, its body read whole. */
export interface Answer {
  statusCode: number;
  retryAfter: string | undefined;
  body: string;
}

export interface AttemptRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body: string | null;
}

/** Ends an attempt that ran past its time; named by code like a socket's own timeout. */
export class AttemptTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor() {
    super('The upstream did not answer in time');
    this.name = 'AttemptTimeoutError';
  }
}

/**
 * Sends one request and reads its whole answer, or fails after `timeoutMs` (waiting for a socket,
 * connecting and reading included). Straight on undici's dispatcher: the answer is JSON read
 * whole, so `request()`'s body stream, its promise plumbing and an AbortController per attempt
 * would be allocations for nothing.
 */
export function sendAttempt(
  dispatcher: Dispatcher,
  request: AttemptRequest,
  timeoutMs: number,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const handler = new AttemptHandler(resolve, reject);
    handler.startTimer(timeoutMs);
    dispatcher.dispatch(
      { method: request.method, path: request.path, headers: request.headers, body: request.body },
      handler,
    );
  });
}

class AttemptHandler implements Dispatcher.DispatchHandler {
  readonly #resolve: (answer: Answer) => void;
  readonly #reject: (error: unknown) => void;
  #controller: Dispatcher.DispatchController | null = null;
  #timer: NodeJS.Timeout | null = null;
  #settled = false;
  #statusCode = 0;
  #retryAfter: string | undefined;
  #chunks: Buffer[] = [];

  constructor(resolve: (answer: Answer) => void, reject: (error: unknown) => void) {
    this.#resolve = resolve;
    this.#reject = reject;
  }

  startTimer(timeoutMs: number): void {
    this.#timer = setTimeout(() => {
      // Settled now even when no socket was given yet: a caller never waits past its time.
      this.#fail(new AttemptTimeoutError());
      this.#controller?.abort(new AttemptTimeoutError());
    }, timeoutMs);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#settled) controller.abort(new AttemptTimeoutError());
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    // 1xx answers are informational; the final one follows.
    if (statusCode < 200) return;
    this.#statusCode = statusCode;
    const retryAfter = headers['retry-after'];
    this.#retryAfter = typeof retryAfter === 'string' ? retryAfter : undefined;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.#settled) return;
    this.#settle();
    const chunks = this.#chunks;
    const body =
      chunks.length === 0
        ? ''
        : (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString('utf8');
    this.#resolve({ statusCode: this.#statusCode, retryAfter: this.#retryAfter, body });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#fail(error);
  }

  #fail(error: unknown): void {
    if (this.#settled) return;
    this.#settle();
    this.#reject(error);
  }

  #settle(): void {
    this.#settled = true;
    if (this.#timer) clearTimeout(this.#timer);
  }
}
