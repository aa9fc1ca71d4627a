/**
 * `npm run bench:subscriptions`: holds N concurrent graphql-ws clients on one gateway process
 * (N = 1,000 and 10,000 by default), PUBLISHes order status changes on Redis as the worker does,
 * and prints publish-to-receive latency (p50/p99/max), deliveries/s and the gateway's memory per
 * connection. A benchmark, not a test: it prints figures and fails only when it cannot measure.
 * See README.md ("Subscriptions fan-out"); the parts live in ./subscriptions/.
 */
import { benchOneSize } from './subscriptions/bench-one-size.js';
import { cleanUpOnExitAndSignals, cleanupAll, interrupted } from './subscriptions/cleanup.js';
import { checkGatewayFileLimit, ensureFileLimit, ReExec } from './subscriptions/file-limit.js';
import { readOptions } from './subscriptions/options.js';
import {
  log,
  machineFacts,
  printAim,
  printHeader,
  printSize,
  type MemoryRow,
  type Row,
} from './subscriptions/report.js';

const options = readOptions();
cleanUpOnExitAndSignals();

/** Resolves false when the bench re-ran itself under a raised file limit (that child reports). */
async function main(): Promise<boolean> {
  try {
    checkGatewayFileLimit(Math.max(...options.sizes));
    ensureFileLimit(Math.min(Math.max(...options.sizes), options.clientsPerProcess));
  } catch (error) {
    if (error instanceof ReExec) return false;
    throw error;
  }
  printHeader(machineFacts(options));
  const rows: Row[] = [];
  const memory: MemoryRow[] = [];
  for (const [run, count] of options.sizes.entries()) {
    const result = await benchOneSize(run, count, options);
    rows.push(...result.rows);
    memory.push(result.memory);
    log(`N=${count}: done; gateway fds at idle ${result.memory.idle.openFds}`);
    printSize(result.rows, result.memory, result.notes);
  }
  printAim(rows, memory);
  return true;
}

const finished = await main().catch(async (error: unknown) => {
  // Interrupted: what failed is the work the signal cut short; the signal's cleanup exits.
  if (interrupted()) return new Promise<boolean>(() => undefined);
  process.stderr.write(
    `bench:subscriptions failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  await cleanupAll();
  process.exit(1);
});
if (finished) process.exit(0);
