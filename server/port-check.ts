import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Resolves when the port can be listened on as the gateway will (on `host`, or every interface),
 * and rejects with the listen error (EADDRINUSE) otherwise. Checked before the sandbox starts, so
 * a port in use is reported as the one the operator asked for, not one of the sandbox's beside it.
 */
export function checkPortFree(port: number, host?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/**
 * A port P such that P and every P+offset are free on loopback now: fixed ports for a gateway
 * (and the sandbox beside it, PORT+101…) that tests and benches start. Chosen below the kernel's
 * ephemeral range: a port in it can be given to an outgoing connection or a port-0 listener
 * between this probe and the gateway's start, which then stops with "already in use".
 */
export async function freePortBlock(offsets: readonly number[]): Promise<number> {
  const lowest = 10_000;
  const top = Math.max(ephemeralPortsStart() - Math.max(0, ...offsets) - 1, lowest + 10_000);
  const isFree = (port: number) =>
    checkPortFree(port, '127.0.0.1').then(
      () => true,
      () => false,
    );
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = lowest + Math.floor(Math.random() * (top - lowest));
    const free = await Promise.all([base, ...offsets.map((offset) => base + offset)].map(isFree));
    if (free.every(Boolean)) return base;
  }
  throw new Error('found no free block of loopback ports');
}

/** The first port the kernel hands out on its own (Linux's ip_local_port_range; 32768 if unknown). */
function ephemeralPortsStart(): number {
  try {
    const low = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    );
    return Number.isInteger(low) && low > 0 ? low : 32_768;
  } catch {
    return 32_768;
  }
}
