import { timingSafeEqual } from 'node:crypto';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError, Kind, visit, type DocumentNode } from 'graphql';

/** The header the router sends with ROUTER_SECRET (see the README's federation section). */
export const ROUTER_SECRET_HEADER = 'router-secret';

/** The header with which a router asks for the operation's field-by-field trace (ftv1). */
export const FEDERATED_TRACE_HEADER = 'apollo-federation-include-trace';

/**
 * What a subgraph gives its router alone, which proves itself with the shared secret header:
 * - `_service { sdl }`, the whole schema, staff-only mutations included;
 * - field-by-field traces (ftv1): Apollo's inline-trace plugin, which comes after this one,
 *   adds every field's timing and errors to the answer; to anyone else the header is as if it
 *   had not been sent (and their requests keep running compiled, see compiled-execution.ts).
 * With no secret configured they are given to anyone in development and to no one in production.
 */
export function routerOnlyPlugin(options: {
  routerSecret: string | null;
  production: boolean;
}): ApolloServerPlugin<BaseContext> {
  const expected = options.routerSecret === null ? null : Buffer.from(options.routerSecret);
  const allowed = (given: string | undefined): boolean => {
    if (expected === null) return !options.production;
    if (given === undefined) return false;
    const buffer = Buffer.from(given);
    return buffer.length === expected.length && timingSafeEqual(buffer, expected);
  };
  return {
    requestDidStart({ request }) {
      const headers = request.http?.headers;
      if (headers?.has(FEDERATED_TRACE_HEADER) && !allowed(headers.get(ROUTER_SECRET_HEADER))) {
        headers.delete(FEDERATED_TRACE_HEADER);
      }
      return Promise.resolve({
        didResolveOperation({ document, request }) {
          if (!selectsService(document)) return Promise.resolve();
          if (allowed(request.http?.headers.get(ROUTER_SECRET_HEADER))) return Promise.resolve();
          throw new GraphQLError('_service is answered to the router only.', {
            extensions: { code: 'FORBIDDEN', http: { status: 403 } },
          });
        },
      });
    },
  };
}

/**
 * The answer of `selectsService` per document. Apollo Server keeps each parsed and validated
 * document in its document store and hands the same object to every request with that query,
 * so the walk over the whole document (2 % of a MyOrders request's CPU) is done once per query.
 */
const servicesSelected = new WeakMap<DocumentNode, boolean>();

/** Whether any selection in the document (fragments included) asks for `_service`. */
function selectsService(document: DocumentNode): boolean {
  const known = servicesSelected.get(document);
  if (known !== undefined) return known;
  let found = false;
  visit(document, {
    [Kind.FIELD](node) {
      if (node.name.value === '_service') found = true;
    },
  });
  servicesSelected.set(document, found);
  return found;
}
