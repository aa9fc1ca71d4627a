import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A few listed parties, as the real list names them (surname first for people). */
const LISTED = [
  { id: 'SDN-90001', name: 'BLOCKED, Ivan', alt_names: ['Ivan Blocked'], source: 'SDN' },
  { id: 'DPL-90002', name: 'LISTED, Person', alt_names: ['Listed Person'], source: 'DPL' },
  { id: 'EL-90003', name: 'Sanctioned Trading Company', alt_names: [], source: 'EL' },
];

export interface SandboxScreeningServer {
  url: string;
  /** While down, every request answers 503, as an outage would. */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

/**
 * The Consolidated Screening List's search, over the sandbox's few listed parties: a name
 * matches when, case and word order aside, it is one of a party's names.
 */
export async function startScreeningSandbox(options: {
  host: string;
  port: number;
  /** What `subscription-key` must be. */
  apiKey: string;
}): Promise<SandboxScreeningServer> {
  let down = false;
  const server = createServer((req, res) => {
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const url = new URL(req.url ?? '/', 'http://sandbox');
    if (down) return json(503, { error: 'Service Unavailable' });
    if (req.headers['subscription-key'] !== options.apiKey) {
      return json(401, {
        statusCode: 401,
        message: 'Access denied due to invalid subscription key.',
      });
    }
    if (req.method !== 'GET' || url.pathname !== '/consolidated_screening_list/v1/search') {
      return json(404, { error: 'Not Found' });
    }
    const name = url.searchParams.get('name');
    if (!name) return json(400, { error: 'name is required' });
    const wanted = words(name);
    const results = LISTED.filter((party) =>
      [party.name, ...party.alt_names].some((listed) => words(listed) === wanted),
    );
    return json(200, {
      total: results.length,
      sources: [],
      results,
      search_performed_at: new Date().toISOString(),
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    setDown: (value) => {
      down = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function words(name: string): string {
  return name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .sort()
    .join(' ');
}
