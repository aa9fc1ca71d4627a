import { checkedBuiltInFlows, FlowsFileError, readFlowsFile } from '../flows/flows-file.js';
import type { FlowsPlan } from '../flows/flows-plan.js';
import type { FlowsConfig, GatewayConfig } from './config.js';
import { exitWith } from './process-lifecycle.js';

/** The flows the configuration names: the flows file's (FLOWS_CONFIG), or the built-in ones. */
export async function loadFlows(config: FlowsConfig): Promise<FlowsPlan> {
  if (!config.file) return checkedBuiltInFlows(config.moduleByMode);
  return readFlowsFile(config.file, {
    fulfillment: config.moduleByMode,
    env: { secret: config.secret },
  });
}

/**
 * What the flows use that production must configure: outside production the sandbox serves mail
 * and screening, in production nothing does, and a receipt or a screening would fail at each
 * order instead of once, at start.
 */
export function unconfiguredUpstreams(plan: FlowsPlan, config: GatewayConfig): string[] {
  if (config.nodeEnv !== 'production') return [];
  const handlers = new Set(
    Object.values(plan.handlers).flatMap((steps) => steps.map((s) => s.name)),
  );
  const filters = new Set(Object.values(plan.filters).flat());
  const problems: string[] = [];
  if (handlers.has('receipt-email') && !config.mail.smtpUrl) {
    problems.push('the receipt-email handler needs SMTP_URL when NODE_ENV=production');
  }
  if (filters.has('sanctions-screening') && !config.screening) {
    problems.push(
      'the sanctions-screening filter needs SANCTIONS_API_URL when NODE_ENV=production',
    );
  }
  return problems;
}

/** The flows, or the program stops with one line per problem (no stack trace). */
export async function loadFlowsOrExit(config: GatewayConfig): Promise<FlowsPlan> {
  let plan: FlowsPlan;
  try {
    plan = await loadFlows(config.flows);
  } catch (error) {
    if (error instanceof FlowsFileError) {
      exitWith(error.problems.map((problem) => `Invalid flows: ${problem}`).join('\n'));
    }
    throw error;
  }
  const missing = unconfiguredUpstreams(plan, config);
  if (missing.length > 0) exitWith(`Invalid configuration: ${missing.join('; ')}`);
  return plan;
}
