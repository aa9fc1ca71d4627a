import { checkedBuiltInFlows, FlowsFileError, readFlowsFile } from '../flows/flows-file.js';
import type { FlowsPlan } from '../flows/flows-plan.js';
import type { FlowsConfig } from './config.js';
import { exitWith } from './process-lifecycle.js';

/** The flows the configuration names: the flows file's (FLOWS_CONFIG), or the built-in ones. */
export async function loadFlows(config: FlowsConfig): Promise<FlowsPlan> {
  if (!config.file) return checkedBuiltInFlows(config.moduleByMode);
  return readFlowsFile(config.file, {
    fulfillment: config.moduleByMode,
    env: { secret: config.secret },
  });
}

/** The flows, or the program stops with one line per problem (no stack trace). */
export async function loadFlowsOrExit(config: FlowsConfig): Promise<FlowsPlan> {
  try {
    return await loadFlows(config);
  } catch (error) {
    if (error instanceof FlowsFileError) {
      exitWith(error.problems.map((problem) => `Invalid flows: ${problem}`).join('\n'));
    }
    throw error;
  }
}
