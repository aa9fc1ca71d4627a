import type { IncomingMessage, Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { RequestHandler } from 'express';

export interface ConnectionLimits {
  /** The whole header block must arrive within this long. */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this long. */
  requestTimeoutMs: number;
  /** Open connections (HTTP and WebSocket) one client address may hold; 0 for no bound. */
  maxConnectionsPerClient: number;
}

/**
 * Options for http.createServer: Node's defaults (60 s for headers, 300 s for a request,
 * checked every 30 s) let a client that sends a byte a second hold a socket for minutes.
 */
export function serverTimeouts(limits: ConnectionLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
  };
}

/**
 * Refuses a client address's connection beyond the bound at once (429, closed), before anything
 * is parsed, so one address cannot hold all the gateway's sockets.
 */
export function boundConnectionsPerClient(server: Server, maxPerClient: number): void {
  if (maxPerClient <= 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = (open.get(address) ?? 0) + 1;
    if (count > maxPerClient) {
      socket.end(
        'HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      );
      socket.destroySoon();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
  });
}

/**
 * Answers 413 as soon as the declared Content-Length is over the limit. body-parser would refuse
 * it too, but only after reading (or waiting for) the whole declared body.
 */
export function refuseDeclaredOversize(maxBytes: number): RequestHandler {
  return (req: IncomingMessage, res, next) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared <= maxBytes) {
      next();
      return;
    }
    res.set('Connection', 'close');
    next(
      Object.assign(new Error('declared body too large'), {
        status: 413,
        type: 'entity.too.large',
      }),
    );
  };
}
