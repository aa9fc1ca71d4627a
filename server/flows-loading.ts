import { builtInFlows, type FlowsPlan } from '../flows/flows-plan.js';
import type { FlowsConfig } from './config.js';
import { exitWith } from './process-lifecycle.js';

/** The flows the configuration names: the flows file's, or the built-in ones. */
export async function loadFlows(config: FlowsConfig): Promise<FlowsPlan> {
  return Promise.resolve(builtInFlows(config.moduleByMode));
}

/** The flows, or the program stops with one line per problem. */
export async function loadFlowsOrExit(config: FlowsConfig): Promise<FlowsPlan> {
  try {
    return await loadFlows(config);
  } catch (error) {
    if (error instanceof Error) exitWith(error.message);
    throw error;
  }
}
