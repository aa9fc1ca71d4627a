import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { RequestHandler, Response } from 'express';

// A caller's id is echoed into logs and headers: bounded, and no characters that could forge a line.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Takes the caller's `X-Request-ID` when it is well-formed, or makes one, and echoes it back. */
export function requestIds(): RequestHandler {
  return (req, res, next) => {
    const given = req.header('x-request-id');
    const id = given !== undefined && ACCEPTABLE_ID.test(given) ? given : randomUUID();
    res.locals['requestId'] = id;
    res.setHeader('X-Request-ID', id);
    trace.getActiveSpan()?.setAttribute('http.request.id', id);
    next();
  };
}

/** The id requestIds() gave this request. */
export function requestIdOf(res: Response): string {
  const id: unknown = res.locals['requestId'];
  return typeof id === 'string' ? id : 'none';
}
