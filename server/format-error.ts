import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from 'pino';
import {
  UpstreamError,
  UpstreamUnavailableError,
  type UpstreamName,
} from '../connectors/errors.js';
import { isRedisOutage } from './redis-errors.js';
import { AuthenticationError, BadInputError, ForbiddenError } from '../workflows/errors.js';

/** The only codes a client ever sees in `extensions.code`. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'GRAPHQL_PARSE_FAILED'
  | 'GRAPHQL_VALIDATION_FAILED'
  | 'UPSTREAM_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

// Apollo's own request-level codes, folded into the contract's smaller set.
const REQUEST_CODES: Record<string, ErrorCode> = {
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  INTROSPECTION_DISABLED: 'GRAPHQL_VALIDATION_FAILED',
  MAX_RECURSIVE_SELECTIONS_EXCEEDED: 'GRAPHQL_VALIDATION_FAILED',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  BAD_REQUEST: 'BAD_USER_INPUT',
  OPERATION_RESOLUTION_FAILURE: 'BAD_USER_INPUT',
  PERSISTED_QUERY_NOT_FOUND: 'BAD_USER_INPUT',
  PERSISTED_QUERY_NOT_SUPPORTED: 'BAD_USER_INPUT',
};

const UPSTREAM_LABELS: Record<UpstreamName, string> = {
  catalog: 'The course catalog',
  enrollment: 'The enrollment service',
  payments: 'The payment service',
  orders: 'The order service',
  screening: 'The screening service',
};

/**
 * The one place where errors become what clients see. It never throws, and it never lets an
 * upstream's message, URL or stack through: those go to the log only.
 */
export function createErrorFormatter(options: { logger: Logger; exposeStackTraces: boolean }) {
  const { logger, exposeStackTraces } = options;
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    try {
      const original = unwrapResolverError(error);
      const shaped = (code: ErrorCode, message: string, keepStack = false) => ({
        message,
        ...(formatted.locations ? { locations: formatted.locations } : {}),
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions: {
          code,
          ...(keepStack && exposeStackTraces && formatted.extensions?.['stacktrace']
            ? { stacktrace: formatted.extensions['stacktrace'] }
            : {}),
        },
      });

      if (original instanceof AuthenticationError) {
        return shaped('UNAUTHENTICATED', original.message);
      }
      if (original instanceof ForbiddenError) return shaped('FORBIDDEN', original.message);
      if (original instanceof BadInputError) return shaped('BAD_USER_INPUT', original.message);
      if (original instanceof UpstreamUnavailableError) {
        logger.warn({ err: original, path: formatted.path }, 'upstream unavailable');
        return shaped(
          'UPSTREAM_UNAVAILABLE',
          `${UPSTREAM_LABELS[original.upstream]} is unavailable; try again shortly.`,
        );
      }
      if (isRedisOutage(original)) {
        logger.warn({ err: original, path: formatted.path }, 'Redis unavailable');
        return shaped(
          'UPSTREAM_UNAVAILABLE',
          'The service is briefly unavailable; try again shortly.',
        );
      }
      if (original instanceof UpstreamError) {
        // A refusal of a well-formed request means misconfiguration or a gateway bug.
        logger.error({ err: original, path: formatted.path }, 'upstream refused a request');
        return shaped('INTERNAL_SERVER_ERROR', 'Internal server error.');
      }

      const code = formatted.extensions?.['code'];
      const requestCode = typeof code === 'string' ? REQUEST_CODES[code] : undefined;
      if (requestCode) return shaped(requestCode, formatted.message);
      if (code === 'UNAUTHENTICATED' || code === 'FORBIDDEN') {
        return shaped(code, formatted.message);
      }

      logger.error({ err: original, path: formatted.path }, 'unexpected error in a request');
      return shaped('INTERNAL_SERVER_ERROR', 'Internal server error.', true);
    } catch {
      return { message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    }
  };
}
