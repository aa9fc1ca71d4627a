import type { DiscountCode, DiscountRule } from '../connectors/discounts.js';
import { fromMinorUnits, toMinorUnits, type Money } from '../connectors/money.js';
import type { GatewayContext } from '../server/context.js';
import type { CheckoutQuote } from './checkout.js';
import { BadInputError } from './errors.js';
import type { UserError } from './user-errors.js';

/** A code applied to a basket: what the client sees, plus the code's id for the order. */
export interface AppliedDiscount {
  code: string;
  codeId: string;
  amount: Money;
}

export const MAX_DISCOUNT_CODE_LENGTH = 64;
/** What codes look like; anything else is no code of ours and is not looked up. */
const CODE_PATTERN = /^[A-Za-z0-9_-]+$/;
const FIELD = ['discountCode'];

/** The client's code, trimmed; null when none was given. Over-long input is a bad request. */
export function readDiscountCode(raw: string | null | undefined): string | null {
  const code = raw?.trim() ?? '';
  if (code.length > MAX_DISCOUNT_CODE_LENGTH) {
    throw new BadInputError(`discountCode must be at most ${MAX_DISCOUNT_CODE_LENGTH} characters.`);
  }
  return code === '' ? null : code;
}

/** The quote with the code's discount taken off its lines and total, or with the code's userError. */
export async function applyDiscountCode(
  ctx: GatewayContext,
  priced: CheckoutQuote,
  text: string,
  ownerId: string,
): Promise<CheckoutQuote> {
  if (!priced.total) return priced;
  const { code, error } = await findUsableCode(ctx, text, ownerId);
  const refused = (userError: UserError): CheckoutQuote => ({
    ...priced,
    total: null,
    userErrors: [userError],
  });
  if (error) return refused(error);
  const { currencyCode } = priced.total;
  const discounts = lineDiscounts(
    code.rules,
    priced.lines.map((line) => ({ sku: line.product.sku, price: line.price })),
    currencyCode,
  );
  const off = discounts.reduce((sum, minor) => sum + minor, 0);
  if (!code.conditionUnderstood || off === 0)
    return refused(codeError('DISCOUNT_CODE_NOT_APPLICABLE', code.code));
  return {
    lines: priced.lines.map((line, index) => ({
      ...line,
      discount: fromMinorUnits(discounts[index] ?? 0, currencyCode),
    })),
    total: fromMinorUnits(toMinorUnits(priced.total) - off, currencyCode),
    discount: { code: code.code, codeId: code.id, amount: fromMinorUnits(off, currencyCode) },
    userErrors: [],
  };
}

/**
 * Finds the code and checks that the learner may use it now: its own window and active flag,
 * its rules', and its limits (all uses, and this learner's). Null error means usable.
 */
async function findUsableCode(
  ctx: GatewayContext,
  text: string,
  ownerId: string,
): Promise<{ code: DiscountCode; error: null } | { code: null; error: UserError }> {
  const invalid = { code: null, error: codeError('DISCOUNT_CODE_INVALID', text) } as const;
  if (!CODE_PATTERN.test(text)) return invalid;
  const code = await ctx.connectors.discounts.findCode(text);
  if (!code || !code.isActive) return invalid;
  const now = Date.now();
  const window = windowOf(code, now);
  if (window === 'expired') return { code: null, error: codeError('DISCOUNT_CODE_EXPIRED', text) };
  if (window === 'not-yet') return invalid;
  const rules = code.rules.filter((rule) => rule.isActive && windowOf(rule, now) === 'open');
  if (rules.length === 0) {
    const expired = code.rules.some((rule) => rule.isActive && windowOf(rule, now) === 'expired');
    return expired ? { code: null, error: codeError('DISCOUNT_CODE_EXPIRED', text) } : invalid;
  }
  const usedUp = limitReached(code, ownerId);
  if (usedUp) return { code: null, error: usedUp };
  return { code: { ...code, rules }, error: null };
}

/** The use that would go over one of the code's limits for this learner, as a userError. */
export function limitReached(code: DiscountCode, ownerId: string): UserError | null {
  const mine = code.uses.filter((use) => use.ownerId === ownerId).length;
  if (code.maxApplications !== null && code.uses.length >= code.maxApplications) {
    return codeError('DISCOUNT_CODE_USED_UP', code.code);
  }
  if (code.maxApplicationsPerCustomer !== null && mine >= code.maxApplicationsPerCustomer) {
    return {
      code: 'DISCOUNT_CODE_USED_UP',
      message: `You have already used ${code.code} as many times as it allows.`,
      field: FIELD,
    };
  }
  return null;
}

/**
 * What the code's rules take off each line, in minor units. Rules apply highest priority first,
 * each to what the earlier ones left (commercetools' stacking), until one that stops the others
 * has taken something off. A relative discount is rounded half to even; an absolute one is taken
 * off each targeted line, never below zero.
 */
export function lineDiscounts(
  rules: readonly DiscountRule[],
  lines: readonly { sku: string; price: Money }[],
  currencyCode: string,
): number[] {
  const discounts = lines.map(() => 0);
  const ordered = [...rules].sort((a, b) => b.priority - a.priority);
  for (const rule of ordered) {
    let applied = false;
    lines.forEach((line, index) => {
      if (!targets(rule, line.sku)) return;
      const remaining = toMinorUnits(line.price) - (discounts[index] ?? 0);
      const off = Math.max(Math.min(amountOff(rule, remaining, currencyCode), remaining), 0);
      discounts[index] = (discounts[index] ?? 0) + off;
      applied ||= off > 0;
    });
    if (applied && rule.stopsLowerRules) break;
  }
  return discounts;
}

function targets(rule: DiscountRule, sku: string): boolean {
  switch (rule.target.kind) {
    case 'all-lines':
      return true;
    case 'skus':
      return rule.target.skus.has(sku);
    case 'unsupported':
      return false;
  }
}

function amountOff(rule: DiscountRule, remaining: number, currencyCode: string): number {
  switch (rule.value.kind) {
    case 'relative':
      return halfEven(remaining * rule.value.permyriad, 10_000);
    case 'absolute': {
      const amount = rule.value.amounts.find((money) => money.currencyCode === currencyCode);
      return amount ? toMinorUnits(amount) : 0;
    }
    case 'unsupported':
      return 0;
  }
}

function halfEven(numerator: number, denominator: number): number {
  const quotient = Math.floor(numerator / denominator);
  const rest = numerator - quotient * denominator;
  if (rest * 2 > denominator || (rest * 2 === denominator && quotient % 2 === 1)) {
    return quotient + 1;
  }
  return quotient;
}

function windowOf(
  period: { validFrom: string | null; validUntil: string | null },
  now: number,
): 'open' | 'not-yet' | 'expired' {
  if (period.validUntil !== null && Date.parse(period.validUntil) <= now) return 'expired';
  if (period.validFrom !== null && Date.parse(period.validFrom) > now) return 'not-yet';
  return 'open';
}

const MESSAGES = {
  DISCOUNT_CODE_INVALID: () => 'That is not a valid discount code.',
  DISCOUNT_CODE_EXPIRED: (code: string) => `${code} has expired.`,
  DISCOUNT_CODE_USED_UP: (code: string) => `${code} has been used as many times as it allows.`,
  DISCOUNT_CODE_NOT_APPLICABLE: (code: string) => `${code} does not apply to these products.`,
} as const;

/** The userError of a code that is not (or no longer) there. */
export function invalidCode(): UserError {
  return codeError('DISCOUNT_CODE_INVALID', '');
}

function codeError(kind: keyof typeof MESSAGES, code: string): UserError {
  return { code: kind, message: MESSAGES[kind](code), field: FIELD };
}

/** A zero amount in the currency, for lines no code touched. */
export function zero(currencyCode: string): Money {
  return fromMinorUnits(0, currencyCode);
}
