import { FILTER_POINTS, FLOW_EVENTS, type FlowEventType } from './events.js';
import type { FlowsPlan } from './flows-plan.js';

/** What raises each event, for the diagram: the workflow step or the handler that leads to it. */
const RAISED_BY: Readonly<Record<FlowEventType, string>> = {
  OrderPlaced: 'purchase',
  OrderPaid: 'payment',
  PaymentFailed: 'payment',
  OrderFulfilled: 'fulfillment',
  FulfillmentFailed: 'fulfillment',
  RefundRequested: 'refundOrder',
  OrderRefunded: 'revocation',
};

/** The flows as text: what `npm run flows` prints. */
export function describeFlows(plan: FlowsPlan): string {
  const lines = [`Flows: ${plan.source ?? 'built-in (no FLOWS_CONFIG)'}`, 'filters:'];
  for (const point of FILTER_POINTS) {
    lines.push(`  ${point}: ${plan.filters[point].join(', ') || '(none)'}`);
  }
  lines.push('handlers:');
  for (const event of FLOW_EVENTS) {
    const steps = plan.handlers[event];
    if (steps.length === 0) continue;
    const names = steps.map((step) => `${step.id}${step.optional ? ' (optional)' : ''}`);
    lines.push(`  ${event}: ${names.join(', ')}`);
  }
  lines.push('fulfillment:');
  for (const [mode, module] of Object.entries(plan.fulfillment)) {
    lines.push(`  ${mode} -> ${module}`);
  }
  if (plan.plugins.length > 0) lines.push(`plugins: ${plan.plugins.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The flows as a Mermaid flowchart: where events come from (workflow steps as parallelograms,
 * handlers by dotted edges), events as stadiums, their handlers as boxes (dotted when optional),
 * filters as hexagons, and the fulfillment modules with the modes they serve.
 */
export function flowsAsMermaid(plan: FlowsPlan): string {
  const lines = ['flowchart LR'];
  const id = (text: string) => text.replace(/[^A-Za-z0-9]/g, '_');
  const handlerIds = new Set(FLOW_EVENTS.flatMap((event) => plan.handlers[event].map((s) => s.id)));
  let previous = 'purchase';
  lines.push('  purchase[/"purchase"/]');
  for (const [index, filter] of plan.filters.purchase.entries()) {
    const node = `filter_${index}_${id(filter)}`;
    lines.push(`  ${previous} --> ${node}{{"${filter}"}}`);
    previous = node;
  }
  for (const event of FLOW_EVENTS) {
    const from = RAISED_BY[event];
    if (from === 'purchase') lines.push(`  ${previous} --> ${event}(["${event}"])`);
    else if (handlerIds.has(from)) lines.push(`  h_${id(from)} -.-> ${event}(["${event}"])`);
    else lines.push(`  ${id(from)}[/"${from}"/] --> ${event}(["${event}"])`);
    for (const step of plan.handlers[event]) {
      lines.push(`  ${event} ${step.optional ? '-.->' : '-->'} h_${id(step.id)}["${step.id}"]`);
    }
  }
  const byModule = new Map<string, string[]>();
  for (const [mode, module] of Object.entries(plan.fulfillment)) {
    byModule.set(module, [...(byModule.get(module) ?? []), mode]);
  }
  for (const [module, modes] of byModule) {
    lines.push(`  h_fulfillment --> m_${id(module)}[["${module}: ${modes.join(', ')}"]]`);
  }
  return `${lines.join('\n')}\n`;
}
