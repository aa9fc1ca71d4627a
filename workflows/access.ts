import type { Order } from '../connectors/orders.js';
import type { GatewayContext } from '../server/context.js';
import type { Viewer } from '../server/auth.js';
import { AuthenticationError } from './errors.js';

/** The signed-in viewer, or UNAUTHENTICATED saying whether credentials were missing or refused. */
export function requireViewer(ctx: GatewayContext): Viewer {
  if (ctx.auth.viewer) return ctx.auth.viewer;
  throw new AuthenticationError(
    ctx.auth.problem === 'invalid'
      ? 'The credentials are invalid or expired; sign in again.'
      : 'Sign in to see this: send a JWT in the Authorization header or the edX JWT cookies.',
  );
}

/** A learner sees their own orders only; staff see every order. */
export function canSeeOrder(viewer: Viewer, order: Order): boolean {
  return viewer.isStaff || order.ownerId === viewer.userId;
}
