import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError, OperationTypeNode } from 'graphql';

/**
 * A subscription POSTed to /graphql is refused with 400 and a message saying where subscriptions
 * are served. Executed over HTTP, its field (which only has a `subscribe`) would resolve to null
 * and the client would get an INTERNAL_SERVER_ERROR for its own mistake.
 */
export const subscriptionsOverWebSocketOnly: ApolloServerPlugin<BaseContext> = {
  requestDidStart() {
    return Promise.resolve({
      didResolveOperation({ operation }) {
        if (operation?.operation !== OperationTypeNode.SUBSCRIPTION) return Promise.resolve();
        throw new GraphQLError(
          'Subscriptions are served over WebSocket (graphql-ws) at /graphql, not over HTTP.',
          { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } },
        );
      },
    });
  },
};
