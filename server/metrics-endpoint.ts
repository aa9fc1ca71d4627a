import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/**
 * Whether the TCP peer is this machine. Only the socket's address counts: X-Forwarded-For and
 * the like are whatever the caller wrote.
 */
export function isLoopbackPeer(request: IncomingMessage): boolean {
  const address = request.socket.remoteAddress ?? '';
  return address === '::1' || /^(?:::ffff:)?127\.\d+\.\d+\.\d+$/.test(address);
}

/** Answers a scrape with the registry's text; when `loopbackOnly`, others get a bare 403. */
export function serveMetrics(registry: Registry, options: { loopbackOnly: boolean }) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    if (options.loopbackOnly && !isLoopbackPeer(request)) {
      response.writeHead(403, { 'content-type': 'text/plain' }).end('Forbidden\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  };
}

export interface MetricsServer {
  /** e.g. http://127.0.0.1:9464/metrics */
  readonly url: string;
  close(): Promise<void>;
}

/** METRICS_PORT: a server with /metrics and nothing else, for the scraper's network alone. */
export async function startMetricsServer(
  registry: Registry,
  port: number,
  host?: string,
): Promise<MetricsServer> {
  const scrape = serveMetrics(registry, { loopbackOnly: false });
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method === 'GET' && path === '/metrics') scrape(request, response);
    else response.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host ?? '127.0.0.1'}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
