import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';

/**
 * One line per subscription served over WebSocket, as `server/operation-log.ts` writes one per
 * HTTP operation: name, type, how long it was served, outcome (ok, or the error codes it ended
 * with) and who asked; written when it ends, refused or completed. Variables are never logged.
 */
export function createSubscriptionLog(logger: Logger) {
  type Started = { startedAt: number; name: string | null };
  // Per socket, the subscriptions it has open, by the id the client gave each.
  const open = new WeakMap<object, Map<string, Started>>();

  const end = (socket: object, id: string, userId: string | null, outcome: string): void => {
    const started = open.get(socket)?.get(id);
    if (!started) return;
    open.get(socket)?.delete(id);
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
    started(socket: object, id: string, operationName: string | null | undefined): void {
      let byId = open.get(socket);
      if (!byId) open.set(socket, (byId = new Map<string, Started>()));
      byId.set(id, { startedAt: performance.now(), name: operationName ?? null });
    },
    /** The operation's name as its document gives it, once parsed (clients may send none). */
    named(socket: object, id: string, name: string | undefined): void {
      const started = open.get(socket)?.get(id);
      if (started && name) started.name = name;
    },
    failed(
      socket: object,
      id: string,
      userId: string | null,
      errors: readonly GraphQLFormattedError[],
    ) {
      const codes = [...new Set(errors.map((error) => String(error.extensions?.['code'])))];
      end(socket, id, userId, codes.join(',') || 'error');
    },
    completed(socket: object, id: string, userId: string | null): void {
      end(socket, id, userId, 'ok');
    },
  };
}
