import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from './context.js';

/**
 * One line per GraphQL operation over HTTP: its name and type, how long it took, its outcome
 * (ok, or the error codes it answered with) and who asked. Variables are never logged: they
 * may hold what a learner typed.
 */
export const operationLogPlugin: ApolloServerPlugin<GatewayContext> = {
  requestDidStart({ contextValue }) {
    const startedAt = performance.now();
    return Promise.resolve({
      willSendResponse({ operation, operationName, response }) {
        // The errors as sent, after format-error gave each its code.
        const sent =
          response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
        const codes = [...new Set(sent.map((error) => String(error.extensions?.['code'])))];
        contextValue.logger.info(
          {
            operationName: operationName ?? null,
            operationType: operation?.operation ?? null,
            durationMs: Math.round((performance.now() - startedAt) * 10) / 10,
            outcome: codes.length === 0 ? 'ok' : codes.join(','),
            userId: contextValue.auth.viewer?.userId ?? null,
          },
          'graphql operation',
        );
        return Promise.resolve();
      },
    });
  },
};
