import type { ErrorRequestHandler } from 'express';

/**
 * The last middleware: errors raised before GraphQL runs (a body too large or not JSON) answer
 * with a GraphQL-shaped JSON error. Express's own handler would answer with an HTML page and,
 * outside production, the stack trace.
 */
export function createHttpErrorHandler(
  onUnexpected: (error: unknown) => void,
): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const { status, type } = error as { status?: number; type?: string };
    const known = typeof status === 'number' && status >= 400 && status < 500;
    if (!known) onUnexpected(error);
    const message =
      type === 'entity.too.large'
        ? 'The request body is too large.'
        : type === 'entity.parse.failed'
          ? 'The request body is not valid JSON.'
          : known
            ? 'The request was refused.'
            : 'Internal server error.';
    res.status(known ? status : 500).json({
      errors: [
        { message, extensions: { code: known ? 'BAD_USER_INPUT' : 'INTERNAL_SERVER_ERROR' } },
      ],
    });
  };
}
