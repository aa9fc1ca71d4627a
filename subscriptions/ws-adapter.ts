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
  // Open sockets and their protocol state: a Map, not WeakMaps, whose entries every full GC has
  // to trace as ephemerons; an entry goes when its socket closes.
  const open = new Map<WebSocket, GraphqlWsSocket>();

  function onMessage(this: WebSocket, data: Buffer): void {
    const handle = open.get(this)?.handle;
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
    const state = open.get(this);
    if (state) state.awaitingPong = false;
  }
  function onClose(this: WebSocket, code: number, reason: Buffer): void {
    const state = open.get(this);
    open.delete(this);
    void state?.closed?.(code, String(reason));
  }
  // ws has already closed the socket with the right code (an oversized or bad frame): one line.
  function onError(error: Error & { code?: string }): void {
    settings.logger.warn(
      { reason: error.message, code: error.code },
      'WebSocket closed on a bad frame',
    );
  }

  // Each socket is pinged once per keepAliveMs, a slice of them per tick: pinging 20,000 in one
  // tick would hold up every delivery for as long as 20,000 writes take. A pass over the sockets
  // starts at most once per keepAliveMs: with a few sockets a pass ends within a tick or two,
  // and starting the next one at once pinged each socket every few hundred milliseconds and
  // closed any client whose event loop was busy that long (a browser tab rendering, a laptop
  // waking up), which then missed the changes made while it reconnected.
  let cursor: Iterator<[WebSocket, GraphqlWsSocket]> | null = null;
  let passStartedAt = -Infinity;
  const keepAlive = setInterval(() => {
    if (cursor === null) {
      if (performance.now() - passStartedAt < settings.keepAliveMs) return;
      passStartedAt = performance.now();
      cursor = open.entries();
    }
    for (let quota = Math.ceil(open.size / KEEP_ALIVE_SLICES); quota > 0; quota--) {
      const next = cursor.next();
      if (next.done) {
        cursor = null;
        return;
      }
      const [socket, state] = next.value;
      if (socket.readyState !== socket.OPEN) continue;
      // Pinged on the last pass and not answered since.
      if (state.awaitingPong) {
        socket.terminate();
        continue;
      }
      state.awaitingPong = true;
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
      const state = new GraphqlWsSocket(socket);
      open.set(socket, state);
      state.closed = server.opened(state, { ...extra, socket });
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

/**
 * What graphql-ws's core needs of a socket, and the socket's protocol state; its methods live on
 * the prototype, not per socket.
 */
class GraphqlWsSocket {
  handle: ((data: string) => Promise<void>) | null = null;
  closed: ((code?: number, reason?: string) => Promise<void>) | null = null;
  awaitingPong = false;

  constructor(private readonly socket: WebSocket) {}

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
    this.handle = handle;
  }
}

/** A close reason fits in a control frame (123 bytes). */
function limitReason(reason: string): string {
  return Buffer.byteLength(reason) > 123 ? 'Internal server error' : reason;
}
