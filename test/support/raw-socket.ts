import WebSocket from 'ws';

export interface RawSocket {
  socket: WebSocket;
  /** Every message the server sent, parsed. */
  messages: { id?: string; type: string; payload?: unknown }[];
  /** Resolves with the close code and reason once the server (or we) closed it. */
  closed: Promise<{ code: number; reason: string }>;
  subscribe(id: string, query: string, variables: Record<string, unknown>): void;
}

/**
 * A graphql-transport-ws connection driven message by message, as a misbehaving client would:
 * no client library in between to pace or deduplicate what is sent. Resolves once acknowledged.
 */
export async function openRawSocket(baseUrl: string, token: string): Promise<RawSocket> {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  const messages: RawSocket['messages'] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  socket.on('error', () => undefined);
  socket.on('message', (data: Buffer) => {
    messages.push(JSON.parse(data.toString()) as RawSocket['messages'][number]);
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(
    JSON.stringify({ type: 'connection_init', payload: { authorization: `JWT ${token}` } }),
  );
  const deadline = Date.now() + 5000;
  while (!messages.some((message) => message.type === 'connection_ack')) {
    if (Date.now() > deadline) throw new Error(`not acknowledged: ${JSON.stringify(messages)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    socket,
    messages,
    closed,
    subscribe(id, query, variables) {
      socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
    },
  };
}
