import type { Money } from './money.js';

/** Which order lines a discount applies to. */
export type DiscountTarget =
  | { kind: 'all-lines' }
  | { kind: 'skus'; skus: ReadonlySet<string> }
  /** A target this gateway cannot evaluate: it applies to nothing, so nothing is discounted by guess. */
  | { kind: 'unsupported'; description: string };

export type DiscountValue =
  /** Hundredths of a percent: 2000 is 20 %. */
  | { kind: 'relative'; permyriad: number }
  /** Taken off each targeted line, one amount per currency. */
  | { kind: 'absolute'; amounts: readonly Money[] }
  | { kind: 'unsupported'; description: string };

/** One discount rule a code grants (a commercetools cart discount). */
export interface DiscountRule {
  id: string;
  isActive: boolean;
  validFrom: string | null;
  validUntil: string | null;
  value: DiscountValue;
  target: DiscountTarget;
  /** Rules with a higher priority apply first, each to what the previous ones left. */
  priority: number;
  /** Once this rule has taken something off, no rule of lower priority applies. */
  stopsLowerRules: boolean;
}

/** A discount code with its rules and the uses the gateway has counted. */
export interface DiscountCode {
  id: string;
  /** The order system's optimistic-concurrency version, needed to record a use. */
  version: number;
  code: string;
  isActive: boolean;
  validFrom: string | null;
  validUntil: string | null;
  maxApplications: number | null;
  maxApplicationsPerCustomer: number | null;
  /** False when the code carries a condition on the basket that this gateway cannot evaluate. */
  conditionUnderstood: boolean;
  rules: DiscountRule[];
  /** One entry per purchase holding a use (see DiscountUse). */
  uses: DiscountUse[];
  /** Whether the code already has custom fields, where the uses are recorded beside others. */
  hasCustomFields: boolean;
}

/** A purchase's use of a code, named by its owner and the purchase's idempotency key. */
export interface DiscountUse {
  ownerId: string;
  purchaseKey: string;
}

/** Discount codes as the order system keeps them (first implementation: commercetools). */
export interface DiscountConnector {
  /** The code with its rules, or null when no code has that text. */
  findCode(code: string): Promise<DiscountCode | null>;
  /** The code by id, read afresh (for a use to be recorded against its latest version). */
  getCode(id: string): Promise<DiscountCode | null>;
  /**
   * Replaces the code's recorded uses, at exactly this version. Throws UpstreamConflictError
   * when the code changed since: the caller reads it again and decides again.
   */
  setUses(
    code: Pick<DiscountCode, 'id' | 'version' | 'hasCustomFields'>,
    uses: readonly DiscountUse[],
  ): Promise<void>;
  /** Resolves when the discount codes can be read (the API client may lack the scope for them). */
  checkReachable(): Promise<void>;
}
