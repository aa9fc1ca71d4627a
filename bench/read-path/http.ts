import http from 'node:http';

/** One answered request: status and body (the body is read to the end so timings include it). */
export interface HttpAnswer {
  status: number;
  body: string;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

const CLIENT_IDLE_TIMEOUT_MS = 4000;

/**
 * A keep-alive agent per target, unlimited sockets: an open-loop run must never queue inside
 * the client, or the client's queueing would be reported as server latency.
 *
 * An idle socket is closed by the client after 4 s, before Node's servers close it at their
 * 5 s keep-alive timeout: otherwise a burst's spare sockets sit idle until the server closes
 * one just as the agent hands it a request, and that request fails with "socket hang up".
 */
export function keepAliveAgent(): http.Agent {
  return new http.Agent({
    keepAlive: true,
    maxSockets: Infinity,
    maxFreeSockets: 1024,
    timeout: CLIENT_IDLE_TIMEOUT_MS,
  });
}

/** A plain node:http request: the cheapest client there is, so the bench process stays light. */
export function request(req: HttpRequest, agent?: http.Agent): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const outgoing = http.request(req.url, { method: req.method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

/** Like `request`, but anything other than 2xx is an error naming the URL and the status. */
export async function requestOk(req: HttpRequest, agent?: http.Agent): Promise<HttpAnswer> {
  const answer = await request(req, agent);
  if (answer.status < 200 || answer.status > 299) {
    throw new Error(
      `${req.method} ${req.url} answered ${answer.status}: ${answer.body.slice(0, 200)}`,
    );
  }
  return answer;
}
