/**
 * Errors a workflow throws when a request cannot be served as asked. server/format-error.ts maps
 * each to its `extensions.code`. Expected business outcomes are not errors: they are userErrors.
 */
export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
}

export class ForbiddenError extends Error {
  override name = 'ForbiddenError';
}

/** The arguments are malformed (a bad cursor, a page size out of range). */
export class BadInputError extends Error {
  override name = 'BadInputError';
}
