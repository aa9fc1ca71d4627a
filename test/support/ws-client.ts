import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

export interface SubscriptionOptions {
  token?: string;
  /** Sent as connectionParams as is (overrides token). */
  connectionParams?: Record<string, unknown>;
  cookie?: string;
  origin?: string;
  /** The URL to (re)connect to: a function so a test can move the client to another gateway. */
  url?: () => string;
  retryAttempts?: number;
}

export interface Watched<Data> {
  results: FormattedExecutionResult<Data, unknown>[];
  /** Why the socket closed, when it did: { code, reason }. */
  closes: { code: number; reason: string }[];
  /** Resolves when `predicate` holds for the results so far; rejects after `timeoutMs`. */
  until(
    predicate: (results: FormattedExecutionResult<Data, unknown>[]) => boolean,
    timeoutMs?: number,
  ): Promise<void>;
  done: Promise<void>;
  client: Client;
  dispose(): Promise<void>;
}

/** Subscribes with the real graphql-ws client over a real WebSocket, collecting what arrives. */
export function watch<Data = Record<string, unknown>>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown>,
  options: SubscriptionOptions = {},
): Watched<Data> {
  const headers: Record<string, string> = {};
  if (options.cookie) headers['cookie'] = options.cookie;
  if (options.origin) headers['origin'] = options.origin;
  class HeaderWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  const results: FormattedExecutionResult<Data, unknown>[] = [];
  const closes: { code: number; reason: string }[] = [];
  const waiters = new Set<() => void>();
  const client = createClient({
    url: () => toWs(options.url ? options.url() : baseUrl),
    webSocketImpl: HeaderWebSocket,
    connectionParams:
      options.connectionParams ??
      (options.token ? { authorization: `JWT ${options.token}` } : undefined),
    retryAttempts: options.retryAttempts ?? 0,
    retryWait: () => new Promise((resolve) => setTimeout(resolve, 100)),
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        closes.push({ code, reason: String(reason) });
        for (const waiter of waiters) waiter();
      },
    },
  });
  const done = new Promise<void>((resolve) => {
    client.subscribe<Data>(
      { query, variables },
      {
        next: (result) => {
          results.push(result);
          for (const waiter of waiters) waiter();
        },
        error: (error) => {
          results.push({ errors: normalizeErrors(error) });
          resolve();
          for (const waiter of waiters) waiter();
        },
        complete: () => resolve(),
      },
    );
  });
  return {
    results,
    closes,
    done,
    client,
    until(predicate, timeoutMs = 15_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (predicate(results)) {
            cleanup();
            resolve();
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `condition not met in ${timeoutMs} ms; got ${JSON.stringify({ results, closes })}`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async dispose() {
      await client.dispose();
    },
  };
}

function toWs(url: string): string {
  return `${url.replace(/^http/, 'ws')}/graphql`;
}

function normalizeErrors(error: unknown): { message: string }[] {
  if (Array.isArray(error)) return error as { message: string }[];
  if (error instanceof Error) return [{ message: error.message }];
  const event = error as { code?: number; reason?: string };
  return [{ message: `closed ${String(event.code)} ${String(event.reason)}` }];
}
