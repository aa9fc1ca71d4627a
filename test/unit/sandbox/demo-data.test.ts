import { describe, expect, it } from 'vitest';
import {
  DEMO_COURSES,
  DEMO_COURSE_RUNS,
  DEMO_ORDERS,
  DEMO_USERS,
  findSeatBySku,
} from '../../../sandbox/demo-data.js';

describe('demo data', () => {
  it('has enough courses and runs, with audit and verified seats and unique 7-hex SKUs', () => {
    expect(DEMO_COURSES.length).toBeGreaterThanOrEqual(6);
    expect(DEMO_COURSE_RUNS.length).toBeGreaterThanOrEqual(12);
    expect(DEMO_COURSES.some((c) => c.runs.length > 1)).toBe(true);
    expect(
      DEMO_COURSES.some((c) => c.runs.every((r) => r.seats.every((s) => s.currency === 'EUR'))),
    ).toBe(true);
    const skus = DEMO_COURSE_RUNS.flatMap((r) => r.seats.map((s) => s.sku));
    expect(new Set(skus).size).toBe(skus.length);
    for (const run of DEMO_COURSE_RUNS) {
      expect(run.seats.find((s) => s.mode === 'audit')?.price).toBe('0.00');
      expect(run.seats.find((s) => s.mode === 'verified')?.price).toMatch(/^[1-9]\d*\.\d\d$/);
      for (const seat of run.seats) expect(seat.sku).toMatch(/^[0-9A-F]{7}$/);
      if (run.availability === 'Current')
        expect(Date.parse(run.enrollmentEnd ?? '')).toBeGreaterThan(Date.now());
    }
  });

  it('gives alice 26+ orders: distinct dates, no SKU held twice, one refunded, several free', () => {
    const alice = DEMO_ORDERS.filter((o) => o.user === DEMO_USERS.alice);
    expect(alice.length).toBeGreaterThanOrEqual(26);
    expect(new Set(alice.map((o) => o.createdAt)).size).toBe(alice.length);
    const twoYearsAgo = Date.now() - 2 * 365 * 86_400_000;
    expect(
      alice.every(
        (o) => Date.parse(o.createdAt) > twoYearsAgo && Date.parse(o.createdAt) < Date.now(),
      ),
    ).toBe(true);
    const active = alice
      .filter((o) => o.status === 'FULFILLED')
      .flatMap((o) => o.lines.map((l) => l.sku));
    expect(new Set(active).size).toBe(active.length);
    expect(alice.filter((o) => o.status === 'REFUNDED')).toHaveLength(1);
    expect(
      alice.filter((o) => o.totalCents === 0 && o.payment === null).length,
    ).toBeGreaterThanOrEqual(3);
    for (const order of alice) {
      expect(order.lines.length).toBeGreaterThanOrEqual(1);
      expect(order.lines.length).toBeLessThanOrEqual(2);
      for (const line of order.lines)
        expect(findSeatBySku(line.sku)?.courseRunKey).toBe(line.courseRunKey);
    }
    expect(DEMO_ORDERS.filter((o) => o.user === DEMO_USERS.bob)).toHaveLength(2);
    expect(
      DEMO_ORDERS.some((o) => o.user === DEMO_USERS.carol || o.user === DEMO_USERS.staff),
    ).toBe(false);
    expect(DEMO_ORDERS.map((o) => o.number)).toEqual(
      DEMO_ORDERS.map((_, i) => `EDX-${100001 + i}`),
    );
  });
});
