export interface SubscriptionLimitSettings {
  /** Subscriptions one socket may hold at once. */
  perSocket: number;
  /** Subscriptions one learner may hold at once over all their sockets to this process. */
  perLearner: number;
  /** Subscribe messages one socket may send per second (with a burst of twice that). */
  subscribesPerSecond: number;
}

/** graphql-ws's own code for "too many" (4429); its client does not retry after it. */
export const CLOSE_TOO_MANY_SUBSCRIBES = 4429;

/**
 * What a connection looks like to graphql-ws: its active subscriptions by id, and its state
 * (`extra`), where its subscribe rate is counted.
 */
interface Connection {
  subscriptions: Record<string, unknown>;
  extra: { subscribeTokens?: { tokens: number; at: number } };
}

export type Refusal =
  { kind: 'close'; code: number; reason: string } | { kind: 'error'; message: string };

/**
 * Bounds what one socket and one learner can ask of the gateway (one learner's flood of
 * guessed order ids slowed every other client), decided before anything is read.
 */
export function createSubscriptionLimits(settings: SubscriptionLimitSettings) {
  const connectionsByLearner = new Map<string, Set<Connection>>();
  const burst = settings.subscribesPerSecond * 2;

  const takeToken = (connection: Connection): boolean => {
    const now = Date.now();
    const bucket = (connection.extra.subscribeTokens ??= { tokens: burst, at: now });
    bucket.tokens = Math.min(
      burst,
      bucket.tokens + ((now - bucket.at) / 1000) * settings.subscribesPerSecond,
    );
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  };

  return {
    /** Counts the connection towards its learner until `disconnected`. */
    connected(learnerId: string, connection: Connection): void {
      let connections = connectionsByLearner.get(learnerId);
      if (!connections) {
        connections = new Set();
        connectionsByLearner.set(learnerId, connections);
      }
      connections.add(connection);
    },

    disconnected(learnerId: string, connection: Connection): void {
      const connections = connectionsByLearner.get(learnerId);
      if (!connections?.delete(connection) || connections.size > 0) return;
      connectionsByLearner.delete(learnerId);
    },

    /**
     * Null when the subscribe just received may go ahead. graphql-ws has already added it to
     * the connection's subscriptions, so the counts include it.
     */
    refusal(learnerId: string, connection: Connection): Refusal | null {
      if (!takeToken(connection)) {
        return {
          kind: 'close',
          code: CLOSE_TOO_MANY_SUBSCRIBES,
          reason: `Too many subscribe requests: at most ${settings.subscribesPerSecond} per second`,
        };
      }
      if (Object.keys(connection.subscriptions).length > settings.perSocket) {
        return {
          kind: 'error',
          message: `At most ${settings.perSocket} subscriptions per connection; complete one first.`,
        };
      }
      let held = 0;
      for (const other of connectionsByLearner.get(learnerId) ?? []) {
        held += Object.keys(other.subscriptions).length;
      }
      if (held > settings.perLearner) {
        return {
          kind: 'error',
          message: `At most ${settings.perLearner} subscriptions per learner; complete one first.`,
        };
      }
      return null;
    },
  };
}
