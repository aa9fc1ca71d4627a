import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  upstream: string;
  method: string;
  path: string;
  traceparent: string | undefined;
  userAgent: string | undefined;
}

export interface RecordingProxy {
  /** The proxy's base URL, to configure in place of the upstream's. */
  url: string;
  close(): Promise<void>;
}

/**
 * A pass-through HTTP proxy in front of one upstream that records the method, path, `traceparent`
 * and `User-Agent` of every request the gateway sends it, as the real upstream would receive them.
 */
export async function startRecordingProxy(
  upstream: string,
  targetUrl: string,
  log: ProxiedRequest[],
): Promise<RecordingProxy> {
  const target = new URL(targetUrl);
  const server = createServer((incoming, outgoing) => {
    const traceparent = incoming.headers['traceparent'];
    log.push({
      upstream,
      method: incoming.method ?? '',
      path: (incoming.url ?? '').split('?')[0] ?? '',
      traceparent: typeof traceparent === 'string' ? traceparent : undefined,
      userAgent: incoming.headers['user-agent'],
    });
    const forwarded = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: target.host },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.writeHead(502).end());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
