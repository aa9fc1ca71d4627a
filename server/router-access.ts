import { timingSafeEqual } from 'node:crypto';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError, Kind, visit, type DocumentNode } from 'graphql';

/** The header the router sends with ROUTER_SECRET (see the README's federation section). */
export const ROUTER_SECRET_HEADER = 'router-secret';

/**
 * `_service { sdl }` hands out the whole schema, staff-only mutations included: it is answered
 * only to the router, which proves itself with the shared secret header. With no secret
 * configured it is answered to anyone in development and to no one in production.
 */
export function routerOnlyServicePlugin(options: {
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
    requestDidStart() {
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
