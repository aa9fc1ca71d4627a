import { describe, expect, it } from 'vitest';
import {
  PredicateError,
  matches,
  parsePredicate,
} from '../../../sandbox/commercetools-predicate.js';

const order = {
  id: 'b',
  orderNumber: 'EDX-1',
  createdAt: '2026-01-15T10:00:00.000Z',
  orderState: 'Complete',
  customerEmail: 'a@example.com',
  custom: { fields: { lmsUserId: '1001', status: 'FULFILLED' } },
  lineItems: [{ variant: { sku: 'ABC1234' } }, { variant: { sku: 'DEF5678' } }],
};
const check = (text: string): boolean => matches(parsePredicate(text), order);

describe('commercetools where predicates', () => {
  it('evaluates the keyset cursor the gateway sends', () => {
    const cursor = (createdAt: string, id: string) =>
      `custom(fields(lmsUserId="1001")) and (createdAt < "${createdAt}" or (createdAt = "${createdAt}" and id < "${id}"))`;
    expect(check(cursor('2026-01-16T00:00:00Z', 'a'))).toBe(true);
    expect(check(cursor('2026-01-15T10:00:00Z', 'c'))).toBe(true);
    expect(check(cursor('2026-01-15T10:00:00Z', 'a'))).toBe(false);
    expect(check(cursor('2026-01-14T00:00:00Z', 'z'))).toBe(false);
  });

  it('supports in, not in, not(), or precedence, != and is defined', () => {
    expect(check('id in ("a", "b")')).toBe(true);
    expect(check('id not in ("a", "b")')).toBe(false);
    expect(check('not(orderState = "Open")')).toBe(true);
    expect(check('orderState = "Open" or orderState = "Complete" and id = "b"')).toBe(true);
    expect(check('(orderState = "Open" or orderState = "Complete") and id = "c"')).toBe(false);
    expect(check('customerEmail != "x@example.com"')).toBe(true);
    expect(check('custom(fields(refundId is defined))')).toBe(false);
    expect(check('custom(fields(status is not defined))')).toBe(false);
    expect(check('lineItems(variant(sku = "DEF5678"))')).toBe(true);
    expect(check('custom(fields(lmsUserId = "1001" and status = "FULFILLED"))')).toBe(true);
    expect(check('custom(fields(lmsUserId = 1001))')).toBe(false);
  });

  it('reports syntax errors with a column', () => {
    const error = (text: string): string => {
      try {
        parsePredicate(text);
      } catch (e) {
        expect(e).toBeInstanceOf(PredicateError);
        return (e as Error).message;
      }
      throw new Error(`'${text}' parsed`);
    };
    expect(error('id = ')).toMatch(/expected a literal.*column 6/);
    expect(error('id = "x')).toMatch(/Unterminated string/);
    expect(error('(id = "x"')).toMatch(/expected '\)'/);
    expect(error('id = "x" id = "y"')).toMatch(/Unexpected 'id'/);
    expect(error('nope = "x"')).toMatch(/Unknown field 'nope'/);
    expect(error('custom = "x"')).toMatch(/is an object/);
    expect(error('id = 3')).toMatch(/expected a string/);
    expect(error('id # "x"')).toMatch(/Invalid input '#'/);
    expect(error('toString = "x"')).toMatch(/Unknown field/);
  });
});
