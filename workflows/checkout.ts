import type { CatalogSeat } from '../connectors/catalog.js';
import type { Enrollment } from '../connectors/enrollment.js';
import { fromMinorUnits, toMinorUnits, type Money } from '../connectors/money.js';
import type { GatewayContext } from '../server/context.js';
import { requireViewer } from './access.js';
import { applyDiscountCode, readDiscountCode, zero, type AppliedDiscount } from './discounts.js';
import { BadInputError } from './errors.js';
import type { UserError } from './user-errors.js';

export interface CheckoutQuoteLine {
  product: CatalogSeat;
  price: Money;
  /** What the discount code takes off `price`. */
  discount: Money;
  /** The course run's title, which the order keeps as the line's name. */
  title: string;
}

/** What a set of SKUs costs the viewer now, or why they cannot be bought. */
export interface CheckoutQuote {
  lines: CheckoutQuoteLine[];
  /** After the discount. Null when there are userErrors: nothing can be charged for an invalid basket. */
  total: Money | null;
  discount: AppliedDiscount | null;
  userErrors: UserError[];
}

export const MAX_SKUS_PER_ORDER = 20;

/**
 * Prices a basket from the catalog (never from the client) and checks that the viewer may buy it.
 * Shared by the checkout preview and the purchase, so both apply the same rules.
 */
export async function quoteCheckout(
  ctx: GatewayContext,
  requestedSkus: readonly string[],
  discountCode?: string | null,
): Promise<CheckoutQuote> {
  const viewer = requireViewer(ctx);
  if (requestedSkus.length > MAX_SKUS_PER_ORDER) {
    throw new BadInputError(`skus may list at most ${MAX_SKUS_PER_ORDER} products.`);
  }
  const code = readDiscountCode(discountCode);
  // A seat is bought once: repeating a SKU in the basket means the same product.
  const skus = [...new Set(requestedSkus.map((sku) => sku.trim()))];
  if (skus.length === 0) {
    return quote(
      [],
      [{ code: 'EMPTY_CART', message: 'Add at least one product.', field: ['skus'] }],
    );
  }

  const [seats, enrollments] = await Promise.all([
    ctx.loaders.seatBySku.loadMany(skus),
    ctx.loaders.enrollmentsByUsername.load(viewer.username),
  ]);

  const lines: CheckoutQuoteLine[] = [];
  const userErrors: UserError[] = [];
  for (const [index, sku] of skus.entries()) {
    const seat = seats[index];
    if (seat instanceof Error) throw seat;
    const field = ['skus', String(requestedSkus.indexOf(sku))];
    if (!seat) {
      userErrors.push({ code: 'SKU_NOT_FOUND', message: `No product has SKU ${sku}.`, field });
      continue;
    }
    const run = await ctx.loaders.courseRun.load(seat.courseRunKey);
    if (!run?.isEnrollable) {
      userErrors.push({
        code: 'NOT_PURCHASABLE',
        message: `${sku} is not open for enrollment.`,
        field,
      });
      continue;
    }
    if (holdsSeat(enrollments, seat)) {
      userErrors.push({
        code: 'ALREADY_PURCHASED',
        message: `You already have ${seat.mode} access to ${seat.courseRunKey}.`,
        field,
      });
      continue;
    }
    lines.push({
      product: seat,
      price: seat.price,
      discount: zero(seat.price.currencyCode),
      title: run.title,
    });
  }
  const priced = quote(lines, userErrors);
  return code === null ? priced : applyDiscountCode(ctx, priced, code, viewer.userId);
}

/**
 * An active enrollment in the run already gives what this seat sells when it is the same mode,
 * or when the seat is the free audit mode (every paid mode includes audit access).
 */
export function holdsSeat(enrollments: readonly Enrollment[], seat: CatalogSeat): boolean {
  return enrollments.some(
    (enrollment) =>
      enrollment.isActive &&
      enrollment.courseRunKey === seat.courseRunKey &&
      (enrollment.mode === seat.mode || seat.mode === 'audit'),
  );
}

function quote(lines: CheckoutQuoteLine[], userErrors: UserError[]): CheckoutQuote {
  if (userErrors.length > 0) return { lines, total: null, discount: null, userErrors };
  const currencies = new Set(lines.map((line) => line.price.currencyCode));
  if (currencies.size > 1) {
    return {
      lines,
      total: null,
      discount: null,
      userErrors: [
        {
          code: 'MIXED_CURRENCIES',
          message: `These products are priced in different currencies (${[...currencies].join(', ')}); buy them separately.`,
          field: ['skus'],
        },
      ],
    };
  }
  const [currencyCode = 'USD'] = currencies;
  const totalMinor = lines.reduce((sum, line) => sum + toMinorUnits(line.price), 0);
  return { lines, total: fromMinorUnits(totalMinor, currencyCode), discount: null, userErrors };
}
