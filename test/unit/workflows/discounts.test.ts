import { describe, expect, it } from 'vitest';
import type { DiscountCode, DiscountRule } from '../../../connectors/discounts.js';
import { limitReached, lineDiscounts, readDiscountCode } from '../../../workflows/discounts.js';
import { BadInputError } from '../../../workflows/errors.js';

const usd = (amount: string) => ({ amount, currencyCode: 'USD' });

function rule(overrides: Partial<DiscountRule>): DiscountRule {
  return {
    id: 'rule',
    isActive: true,
    validFrom: null,
    validUntil: null,
    value: { kind: 'relative', permyriad: 2000 },
    target: { kind: 'all-lines' },
    priority: 0.5,
    stopsLowerRules: false,
    ...overrides,
  };
}

const lines = [
  { sku: 'A', price: usd('149.00') },
  { sku: 'B', price: usd('29.00') },
];

describe('lineDiscounts', () => {
  it('takes a relative discount off every targeted line, rounding half to even', () => {
    expect(lineDiscounts([rule({})], lines, 'USD')).toEqual([2980, 580]);
    const halves = [
      { sku: 'A', price: usd('0.25') },
      { sku: 'B', price: usd('0.75') },
    ];
    // 50 % of 25 and 75 cents: 12.5 → 12, 37.5 → 38.
    expect(
      lineDiscounts([rule({ value: { kind: 'relative', permyriad: 5000 } })], halves, 'USD'),
    ).toEqual([12, 38]);
  });

  it('takes an absolute amount off each targeted line, never below zero, in the basket currency', () => {
    const absolute = rule({ value: { kind: 'absolute', amounts: [usd('40.00')] } });
    expect(lineDiscounts([absolute], lines, 'USD')).toEqual([4000, 2900]);
    expect(lineDiscounts([absolute], lines, 'EUR')).toEqual([0, 0]);
  });

  it('applies to the SKUs the target names, and to nothing for a target it cannot read', () => {
    expect(
      lineDiscounts([rule({ target: { kind: 'skus', skus: new Set(['B']) } })], lines, 'USD'),
    ).toEqual([0, 580]);
    expect(
      lineDiscounts(
        [rule({ target: { kind: 'unsupported', description: 'quantity > 2' } })],
        lines,
        'USD',
      ),
    ).toEqual([0, 0]);
    expect(
      lineDiscounts(
        [rule({ value: { kind: 'unsupported', description: 'giftLineItem' } })],
        lines,
        'USD',
      ),
    ).toEqual([0, 0]);
  });

  it('stacks rules by priority, each on what the previous left, unless one stops the rest', () => {
    const tenOff = rule({ priority: 0.9, value: { kind: 'absolute', amounts: [usd('10.00')] } });
    const half = rule({ priority: 0.1, value: { kind: 'relative', permyriad: 5000 } });
    // 149 - 10 = 139, half of it 69.50; 29 - 10 = 19, half of it 9.50.
    expect(lineDiscounts([half, tenOff], lines, 'USD')).toEqual([1000 + 6950, 1000 + 950]);
    expect(lineDiscounts([half, { ...tenOff, stopsLowerRules: true }], lines, 'USD')).toEqual([
      1000, 1000,
    ]);
  });
});

describe('limitReached', () => {
  const code: DiscountCode = {
    id: 'c',
    version: 1,
    code: 'SPRING',
    isActive: true,
    validFrom: null,
    validUntil: null,
    maxApplications: 3,
    maxApplicationsPerCustomer: 1,
    conditionUnderstood: true,
    rules: [],
    uses: [
      { ownerId: '1', purchaseKey: 'k1' },
      { ownerId: '2', purchaseKey: 'k2' },
    ],
    hasCustomFields: true,
  };

  it('counts every use against maxApplications and the learner’s own against the per-customer limit', () => {
    expect(limitReached(code, '3')).toBeNull();
    expect(limitReached(code, '1')).toMatchObject({ code: 'DISCOUNT_CODE_USED_UP' });
    const full = { ...code, uses: [...code.uses, { ownerId: '9', purchaseKey: 'k9' }] };
    expect(limitReached(full, '3')).toMatchObject({ code: 'DISCOUNT_CODE_USED_UP' });
    expect(
      limitReached({ ...full, maxApplications: null, maxApplicationsPerCustomer: null }, '1'),
    ).toBeNull();
  });
});

describe('readDiscountCode', () => {
  it('trims, treats blank as none, and refuses more than 64 characters', () => {
    expect(readDiscountCode('  SPRING20 ')).toBe('SPRING20');
    expect(readDiscountCode('   ')).toBeNull();
    expect(readDiscountCode(undefined)).toBeNull();
    expect(readDiscountCode('A'.repeat(64))).toHaveLength(64);
    expect(() => readDiscountCode('A'.repeat(65))).toThrow(BadInputError);
  });
});
