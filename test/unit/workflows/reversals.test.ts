import { describe, expect, it } from 'vitest';
import type { OrderLine } from '../../../connectors/orders.js';
import { matchLines } from '../../../workflows/reversals.js';

function line(id: string, price: string, discount = '0.00'): OrderLine {
  return {
    id,
    sku: id,
    courseRunKey: `course-v1:X+${id}+T`,
    mode: 'verified',
    price: { amount: price, currencyCode: 'USD' },
    discount: { amount: discount, currencyCode: 'USD' },
    status: 'FULFILLED',
  };
}

const ids = (lines: OrderLine[] | null) => lines?.map((l) => l.id) ?? null;

describe('matching a refund made at the processor to lines', () => {
  const lines = [line('a', '149.00', '29.80'), line('b', '99.00', '19.80'), line('c', '49.00')];

  it('takes the line whose price after the discount is the amount', () => {
    expect(ids(matchLines(lines, 7920))).toEqual(['b']);
    expect(ids(matchLines(lines, 11920))).toEqual(['a']);
  });

  it('takes the smallest set of lines adding up to it, the first in line order among equals', () => {
    expect(ids(matchLines(lines, 11920 + 4900))).toEqual(['a', 'c']);
    expect(ids(matchLines(lines, 11920 + 7920 + 4900))).toEqual(['a', 'b', 'c']);
    const twins = [line('x', '10.00'), line('y', '10.00')];
    expect(ids(matchLines(twins, 1000))).toEqual(['x']);
  });

  it('takes nothing for an amount no set of lines adds up to, nor free lines', () => {
    expect(matchLines(lines, 1000)).toBeNull();
    expect(matchLines(lines, 0)).toBeNull();
    expect(matchLines([line('free', '0.00')], 0)).toBeNull();
    expect(matchLines([], 100)).toBeNull();
  });
});
