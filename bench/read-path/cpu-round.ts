import { setTimeout as delay } from 'node:timers/promises';
import { keepAliveAgent, requestOk } from './http.js';
import { runOpenLoop } from './open-loop.js';
import { looksSuccessful } from './operations.js';
import { processCpuMs } from './proc-cpu.js';

export interface CpuRound {
  /** Successful requests in the round. */
  requests: number;
  /** The gateway process's CPU time over the round, in ms. */
  cpuMs: number;
}

/**
 * One round of a CPU comparison: POSTs `body` to a gateway at a fixed rate for `seconds`, every
 * answer checked, and reads the gateway's CPU time (`/proc`) before and after. `settleMs` waits
 * before the second reading, for work the gateway does after answering (a trace export).
 */
export async function cpuRound(options: {
  label: string;
  gatewayPid: number;
  request: { url: string; headers: Record<string, string>; body: string };
  ratePerSecond: number;
  seconds: number;
  settleMs?: number;
}): Promise<CpuRound> {
  const { url, headers, body } = options.request;
  const agent = keepAliveAgent();
  const before = processCpuMs(options.gatewayPid);
  const run = await runOpenLoop({
    ratePerSecond: options.ratePerSecond,
    durationMs: options.seconds * 1000,
    send: async () => {
      const answer = await requestOk({ method: 'POST', url, headers, body }, agent);
      if (!looksSuccessful(answer.body)) throw new Error(answer.body.slice(0, 200));
    },
  });
  if (options.settleMs) await delay(options.settleMs);
  const after = processCpuMs(options.gatewayPid);
  agent.destroy();
  if (before === null || after === null) throw new Error('/proc is needed to read CPU time');
  if (run.failed > 0) throw new Error(`${options.label}: ${run.firstFailure ?? ''}`);
  return { requests: run.ok, cpuMs: after - before };
}
