import { describe, expect, it } from 'vitest';
import {
  isAlwaysTrue,
  readLineItemTarget,
} from '../../../connectors/commercetools/line-item-predicate.js';

describe('readLineItemTarget', () => {
  it('reads every line, one SKU, a list of SKUs, and these joined with or', () => {
    expect(readLineItemTarget('1 = 1')).toEqual({ kind: 'all-lines' });
    expect(readLineItemTarget('1=1')).toEqual({ kind: 'all-lines' });
    expect(readLineItemTarget('sku = "A" or 1 = 1')).toEqual({ kind: 'all-lines' });
    expect(readLineItemTarget('sku = "ABC"')).toEqual({ kind: 'skus', skus: new Set(['ABC']) });
    expect(readLineItemTarget('sku in ("A", "B")  or sku = "C"')).toEqual({
      kind: 'skus',
      skus: new Set(['A', 'B', 'C']),
    });
    expect(readLineItemTarget('sku = "with \\"quote\\""')).toEqual({
      kind: 'skus',
      skus: new Set(['with "quote"']),
    });
  });

  it('calls anything else unsupported, so that it discounts nothing', () => {
    for (const predicate of [
      'sku = "A" and quantity > 2',
      'sku != "A"',
      'not(sku = "A")',
      'price.centAmount > 1000',
      'sku = "unterminated',
      'sku in ()',
      'sku in ("A" "B")',
      '1 = 2',
      '1 = 1 and sku = "A"',
      '',
      'sku = "A" or',
      'productType.key = "course"',
    ]) {
      expect(readLineItemTarget(predicate)).toMatchObject({ kind: 'unsupported' });
    }
  });
});

describe('isAlwaysTrue', () => {
  it('knows the predicates commercetools writes for every cart', () => {
    expect(isAlwaysTrue(undefined)).toBe(true);
    expect(isAlwaysTrue(' 1 = 1 ')).toBe(true);
    expect(isAlwaysTrue('true')).toBe(true);
    expect(isAlwaysTrue('totalPrice > "100.00 USD"')).toBe(false);
  });
});
