import { CloseCode, makeServer, type ServerOptions } from 'graphql-ws';
import type { Logger } from 'pino';
import type { WebSocket, WebSocketServer } from 'ws';

/** Keep-alive ticks per keep-alive period, each pinging its share of the sockets. */
const KEEP_ALIVE_SLICES = 100;

/**
 * graphql-ws's protocol core on `ws` sockets, in place of graphql-ws's own adapter
 * (`graphql-ws/use/ws`), which costs every connection a ping timer, half a dozen closures and the
 * upgrade request (headers and all) for as long as the socket lives. Here every socket shares one
 * keep-alive timer and one set of listeners, and keeps only what `extra` is given.
 */
export function serveGraphqlWs<P extends Record<string, unknown> | undefined, E extends object>(
  wss: WebSocketServer,
  options: ServerOptions<P, E & { socket: WebSocket }>,
  settings: { keepAliveMs: number; production: boolean; logger: Logger },
) {
  const server = makeServer(options);
  type Closed = (code?: number, reason?: string) => Promise<void>;
  const handlers = new WeakMap<WebSocket, (data: string) => Promise<void>>();
  const closers = new WeakMap<WebSocket, Closed>();
  // Pinged on the last keep-alive tick and not answered since: terminated on the next one.
  const awaitingPong = new WeakSet<WebSocket>();

  function onMessage(this: WebSocket, data: Buffer): void {
    const handle = handlers.get(this);
    if (!handle) return;
    handle(String(data)).catch((error: unknown) => {
      settings.logger.error({ err: error }, 'WebSocket message handling failed');
      this.close(
        CloseCode.InternalServerError,
        settings.production
          ? 'Internal server error'
          : limitReason(error instanceof Error ? error.message : String(error)),
      );
    });
  }
  function onPong(this: WebSocket): void {
    awaitingPong.delete(this);
  }
  function onClose(this: WebSocket, code: number, reason: Buffer): void {
    const closed = closers.get(this);
    handlers.delete(this);
    closers.delete(this);
    awaitingPong.delete(this);
    void closed?.(code, String(reason));
  }
  // ws has already closed the socket with the right code (an oversized or bad frame): one line.
  function onError(error: Error & { code?: string }): void {
    settings.logger.warn(
      { reason: error.message, code: error.code },
      'WebSocket closed on a bad frame',
    );
  }

  // Each socket is pinged once per keepAliveMs, a slice of them per tick: pinging 20,000 in one
  // tick would hold up every delivery for as long as 20,000 writes take.
  let cursor: Iterator<WebSocket> | null = null;
  const keepAlive = setInterval(() => {
    for (let quota = Math.ceil(wss.clients.size / KEEP_ALIVE_SLICES); quota > 0; quota--) {
      cursor ??= wss.clients.values();
      const next = cursor.next();
      if (next.done) {
        cursor = null;
        return;
      }
      const socket = next.value;
      if (socket.readyState !== socket.OPEN) continue;
      // Pinged on the last pass and not answered since.
      if (awaitingPong.has(socket)) {
        socket.terminate();
        continue;
      }
      awaitingPong.add(socket);
      socket.ping();
    }
  }, settings.keepAliveMs / KEEP_ALIVE_SLICES);
  keepAlive.unref();

  return {
    /** Serves graphql-ws on a socket just upgraded; `extra` is all the hooks will see of it. */
    opened(socket: WebSocket, extra: E): void {
      socket.on('error', onError);
      socket.on('message', onMessage);
      socket.on('pong', onPong);
      socket.once('close', onClose);
      const closed = server.opened(new GraphqlWsSocket(socket, handlers), {
        ...extra,
        socket,
      });
      closers.set(socket, closed);
    },
    async dispose(): Promise<void> {
      clearInterval(keepAlive);
      for (const client of wss.clients) client.close(1001, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => {
        wss.close((error) => (error ? reject(error) : resolve()));
      });
    },
  };
}

/** What graphql-ws's core needs of a socket; its methods live on the prototype, not per socket. */
class GraphqlWsSocket {
  constructor(
    private readonly socket: WebSocket,
    private readonly handlers: WeakMap<WebSocket, (data: string) => Promise<void>>,
  ) {}

  get protocol(): string {
    return this.socket.protocol;
  }

  send(data: string): Promise<void> {
    const socket = this.socket;
    return new Promise((resolve, reject) => {
      if (socket.readyState !== socket.OPEN) return resolve();
      socket.send(data, (error) => (error ? reject(error) : resolve()));
    });
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  onMessage(handle: (data: string) => Promise<void>): void {
    this.handlers.set(this.socket, handle);
  }
}

/** A close reason fits in a control frame (123 bytes). */
function limitReason(reason: string): string {
  return Buffer.byteLength(reason) > 123 ? 'Internal server error' : reason;
}
