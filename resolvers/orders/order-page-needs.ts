import {
  getNamedType,
  isObjectType,
  type FieldNode,
  type GraphQLOutputType,
  type GraphQLResolveInfo,
} from 'graphql';
// graphql-js's own field collection (@internal, stable through v16): the fields it will execute,
// with fragments, type conditions, @skip and @include applied exactly as execution applies them.
import { collectSubfields } from 'graphql/execution/collectFields.js';
import type { OrderPageNeeds } from '../../workflows/orders.js';

/** A selected field, aliases merged: what it returns and every node that selects it. */
interface Selected {
  type: GraphQLOutputType;
  nodes: FieldNode[];
}

/**
 * What the query asks of each order on a page (`edges.node`), so that the records its fields need
 * are fetched before they run. `info` is that of the field returning the `OrderConnection`.
 */
export function orderPageNeeds(info: GraphQLResolveInfo): OrderPageNeeds {
  const connection = subfields(info, { type: info.returnType, nodes: [...info.fieldNodes] });
  const order = subfields(info, subfields(info, connection.get('edges')).get('node'));
  const line = subfields(info, order.get('lines'));
  return {
    payments: order.has('payment'),
    products: line.has('product'),
    enrollments: line.has('enrollment'),
  };
}

/** The fields selected under `field`, by field name; none when it is absent or not an object. */
function subfields(info: GraphQLResolveInfo, field: Selected | undefined): Map<string, Selected> {
  const selected = new Map<string, Selected>();
  const type = field && getNamedType(field.type);
  if (!field || !isObjectType(type)) return selected;
  const definitions = type.getFields();
  const collected = collectSubfields(
    info.schema,
    info.fragments,
    info.variableValues,
    type,
    field.nodes,
  );
  for (const nodes of collected.values()) {
    const name = nodes[0]?.name.value;
    const definition = name === undefined ? undefined : definitions[name];
    if (name === undefined || !definition) continue; // __typename
    const entry = selected.get(name) ?? { type: definition.type, nodes: [] };
    entry.nodes.push(...nodes);
    selected.set(name, entry);
  }
  return selected;
}
