import { describeFlows, flowsAsMermaid } from '../flows/flows-print.js';
import { loadFlowsOrExit } from './flows-loading.js';
import { loadConfigOrExit } from './process-lifecycle.js';

/**
 * `npm run flows [-- --mermaid]`: validates the flows FLOWS_CONFIG names (or the built-in ones)
 * and prints them, as text or as a Mermaid flowchart. Exits 1 with one line per problem.
 */
const config = loadConfigOrExit();
const plan = await loadFlowsOrExit(config);
process.stdout.write(
  process.argv.includes('--mermaid') ? flowsAsMermaid(plan) : describeFlows(plan),
);
