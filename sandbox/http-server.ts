import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import express from 'express';
import type {
  ErrorRequestHandler,
  Express,
  NextFunction,
  Request,
  RequestHandler,
  Response,
} from 'express';
import { createExpressServer } from '../server/express-server.js';

export type SandboxUpstream = 'discovery' | 'lms' | 'stripe' | 'commercetools';

export interface SandboxFault {
  status: number;
  count: number;
  method?: string;
  /** Prefix match on the request's pathname. */
  path?: string;
  body?: unknown;
}

export interface SandboxServer {
  readonly name: SandboxUpstream;
  /** Base URL, no trailing slash, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** Requests served, keyed by `METHOD routePattern`. */
  stats(): Record<string, number>;
  totalRequests(): number;
  resetStats(): void;
  setLatency(ms: number): void;
  /** The next `count` matching requests get `status`; faults are consumed in the order given. */
  injectFault(fault: SandboxFault): void;
  clearFaults(): void;
  /** Stops accepting connections and destroys open ones (simulates an outage). */
  close(): Promise<void>;
}

export type RouteMethod = 'get' | 'post' | 'put' | 'delete';

/** Registers an upstream route; the scaffolding counts it, delays it and may fault it first. */
export type RouteRegistrar = (
  method: RouteMethod,
  path: string,
  ...handlers: RequestHandler[]
) => void;

export interface HttpServerOptions {
  name: SandboxUpstream;
  host: string;
  port: number;
  latencyMs: number;
  /** The upstream's own error body for a status (faults, unknown routes, malformed bodies). */
  errorBody(status: number, message: string): unknown;
  defineRoutes(route: RouteRegistrar): void;
  /** Extra `/__sandbox/...` routes, answered without stats, latency or faults. */
  defineControlRoutes?(app: Express): void;
  /** Called once when the server closes, to stop background work such as webhook retries. */
  onClose?(): void;
}

const STATUS_MESSAGES: Readonly<Record<number, string>> = {
  400: 'Bad request.',
  401: 'Authentication credentials were not provided.',
  403: 'Forbidden.',
  404: 'Not found.',
  409: 'Conflict.',
  429: 'Too many requests.',
  500: 'Internal server error.',
  502: 'Bad gateway.',
  503: 'Service unavailable.',
  504: 'Gateway timeout.',
};

export function statusMessage(status: number): string {
  return STATUS_MESSAGES[status] ?? `Sandbox fault ${status}.`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseFault(body: unknown): SandboxFault | string {
  if (!isRecord(body)) return 'body must be a JSON object';
  const { status, count, method, path } = body;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    return 'status must be an HTTP status code';
  }
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
    return 'count must be a positive integer';
  }
  if (method !== undefined && typeof method !== 'string') return 'method must be a string';
  if (path !== undefined && typeof path !== 'string') return 'path must be a string';
  return { status, count, method, path, body: body.body };
}

function parseLatency(body: unknown): number | undefined {
  const ms = isRecord(body) ? body.ms : undefined;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** Starts one sandbox upstream: an express 5 app with stats, latency, faults and control routes. */
export async function startHttpServer(options: HttpServerOptions): Promise<SandboxServer> {
  const counts = new Map<string, number>();
  let total = 0;
  let latencyMs = options.latencyMs;
  const faults: SandboxFault[] = [];

  const takeFault = (req: Request): SandboxFault | undefined => {
    const index = faults.findIndex(
      (f) =>
        (f.method === undefined || f.method.toUpperCase() === req.method) &&
        (f.path === undefined || req.path.startsWith(f.path)),
    );
    const fault = faults[index];
    if (!fault) return undefined;
    fault.count -= 1;
    if (fault.count <= 0) faults.splice(index, 1);
    return fault;
  };

  const count = (key: string): void => {
    counts.set(key, (counts.get(key) ?? 0) + 1);
    total += 1;
  };

  const upstreamGate =
    (key: string): RequestHandler =>
    async (req: Request, res: Response, next: NextFunction) => {
      count(key);
      if (latencyMs > 0) await delay(latencyMs);
      // The server may have been closed (an outage) while this request waited.
      if (res.destroyed || res.headersSent) return;
      const fault = takeFault(req);
      if (fault) {
        res
          .status(fault.status)
          .json(fault.body ?? options.errorBody(fault.status, statusMessage(fault.status)));
        return;
      }
      next();
    };

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(express.json({ limit: '1mb' }));
  app.use(express.urlencoded({ extended: true, limit: '1mb' }));

  app.get('/__sandbox/stats', (_req, res) => {
    res.json({ total, routes: Object.fromEntries(counts) });
  });
  app.post('/__sandbox/reset-stats', (_req, res) => {
    counts.clear();
    total = 0;
    res.status(204).end();
  });
  app.put('/__sandbox/latency', (req, res) => {
    const ms = parseLatency(req.body);
    if (ms === undefined) {
      res.status(400).json({ error: 'body must be { "ms": number >= 0 }' });
      return;
    }
    latencyMs = ms;
    res.status(204).end();
  });
  app.post('/__sandbox/faults', (req, res) => {
    const fault = parseFault(req.body);
    if (typeof fault === 'string') {
      res.status(400).json({ error: fault });
      return;
    }
    faults.push(fault);
    res.status(204).end();
  });
  app.delete('/__sandbox/faults', (_req, res) => {
    faults.length = 0;
    res.status(204).end();
  });
  options.defineControlRoutes?.(app);

  options.defineRoutes((method, path, ...handlers) => {
    app[method](path, upstreamGate(`${method.toUpperCase()} ${path}`), ...handlers);
  });

  app.use((req, res) => {
    count(`${req.method} (no route)`);
    res.status(404).json(options.errorBody(404, `No route for ${req.method} ${req.path}.`));
  });
  const onError: ErrorRequestHandler = (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    // body-parser marks malformed bodies with a 4xx status; anything else is a sandbox bug.
    const status =
      isRecord(error) && typeof error.status === 'number' && error.status < 500
        ? error.status
        : 500;
    const message = status < 500 && error instanceof Error ? error.message : statusMessage(status);
    res.status(status).json(options.errorBody(status, message));
  };
  app.use(onError);

  // Born with Express's prototypes, so the sandbox's own GC pauses stay out of the benches' figures.
  const server = createExpressServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;

  let closing: Promise<void> | undefined;
  return {
    name: options.name,
    url: `http://${host}:${port}`,
    stats: () => Object.fromEntries(counts),
    totalRequests: () => total,
    resetStats: () => {
      counts.clear();
      total = 0;
    },
    setLatency: (ms) => {
      latencyMs = Math.max(0, ms);
    },
    injectFault: (fault) => {
      faults.push({ ...fault });
    },
    clearFaults: () => {
      faults.length = 0;
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        options.onClose?.();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

export { isRecord };

/** A client-supplied value for an error message: strings as they are, anything else as JSON. */
export function displayValue(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined');
}

/** A named route parameter (express types allow arrays for wildcards; these routes have none). */
export function routeParam(req: Request, name: string): string {
  const value = req.params[name];
  return typeof value === 'string' ? value : '';
}
