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
