import { UpstreamError, UpstreamUnavailableError } from '../../connectors/errors.js';
import { defineFilter } from '../plugin-api.js';

/**
 * Refuses a purchase whose buyer's name (the token's `name`, else the username) is on the
 * Consolidated Screening List, before anything is created or charged. When the list cannot be
 * asked, the purchase is refused too (UPSTREAM_UNAVAILABLE): no screening, no sale.
 */
export const sanctionsScreeningFilter = defineFilter({
  name: 'sanctions-screening',
  create: (deps) => async (check) => {
    const screening = deps.connectors.screening;
    if (!screening) {
      throw new UpstreamUnavailableError('screening', 'no screening API is configured');
    }
    let hits;
    try {
      hits = await screening.search(check.buyer.name ?? check.buyer.username);
    } catch (error) {
      // A refused key or a malformed answer is no more a clearance than an outage.
      if (error instanceof UpstreamUnavailableError) throw error;
      const reason = error instanceof UpstreamError ? error.message : 'an unexpected answer';
      throw new UpstreamUnavailableError('screening', reason, { cause: error });
    }
    if (hits.length === 0) return null;
    return {
      code: 'PURCHASE_NOT_ALLOWED',
      message: 'This purchase cannot be completed. Please contact support.',
      field: null,
    };
  },
});
