import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';

type Started = { startedAt: number; name: string | null };

/**
 * A socket's state (graphql-ws's `extra`) holds the subscriptions it has open, by the id the
 * client gave each: they go with the socket, without a WeakMap entry per socket.
 */
export interface LoggedSocket {
  operations?: Map<string, Started>;
}

/**
 * One line per subscription served over WebSocket, as `server/operation-log.ts` writes one per
 * HTTP operation: name, type, how long it was served, outcome (ok, or the error codes it ended
 * with) and who asked; written when it ends, refused or completed. Variables are never logged.
 */
export function createSubscriptionLog(logger: Logger) {
  const end = (socket: LoggedSocket, id: string, userId: string | null, outcome: string): void => {
    const started = socket.operations?.get(id);
    if (!started) return;
    socket.operations?.delete(id);
    logger.info(
      {
        operationName: started.name,
        operationType: 'subscription',
        durationMs: Math.round((performance.now() - started.startedAt) * 10) / 10,
        outcome,
        userId,
        transport: 'websocket',
      },
      'graphql operation',
    );
  };

  return {
    started(socket: LoggedSocket, id: string, operationName: string | null | undefined): void {
      socket.operations ??= new Map();
      socket.operations.set(id, { startedAt: performance.now(), name: operationName ?? null });
    },
    /** The operation's name as its document gives it, once parsed (clients may send none). */
    named(socket: LoggedSocket, id: string, name: string | undefined): void {
      const started = socket.operations?.get(id);
      if (started && name) started.name = name;
    },
    failed(
      socket: LoggedSocket,
      id: string,
      userId: string | null,
      errors: readonly GraphQLFormattedError[],
    ) {
      const codes = [...new Set(errors.map((error) => String(error.extensions?.['code'])))];
      end(socket, id, userId, codes.join(',') || 'error');
    },
    completed(socket: LoggedSocket, id: string, userId: string | null): void {
      end(socket, id, userId, 'ok');
    },
  };
}
