import net from 'node:net';

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A base port B for which B and every B+offset are free on loopback. Random within a range the
 * kernel does not hand out as ephemeral ports, so it rarely collides with other engineers' runs.
 */
export async function freePortBlock(offsets: readonly number[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const all = [base, ...offsets.map((offset) => base + offset)];
    const free = await Promise.all(all.map(isFree));
    if (free.every(Boolean)) return base;
  }
  throw new Error('No free block of loopback ports found');
}
