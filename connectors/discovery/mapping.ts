import type { CatalogCourse, CatalogCourseRun, CatalogSeat } from '../catalog.js';
import { toMinorUnits, type Money } from '../money.js';
import type { DiscoveryCourse, DiscoveryCourseRun, DiscoverySeat } from './wire-types.js';

export function toCourseRun(run: DiscoveryCourseRun): CatalogCourseRun {
  return {
    key: run.key,
    courseKey: run.course,
    title: run.title,
    start: run.start ?? null,
    end: run.end ?? null,
    isEnrollable: run.is_enrollable === true,
    seats: (run.seats ?? []).flatMap((seat) => {
      const mapped = toSeat(seat, run.key);
      return mapped ? [mapped] : [];
    }),
  };
}

export function toCourse(course: DiscoveryCourse): CatalogCourse {
  return {
    key: course.key,
    title: course.title,
    runs: (course.course_runs ?? []).map(toCourseRun),
  };
}

/**
 * A seat without a SKU or with a price we cannot represent exactly cannot be sold, so it is left
 * out rather than failing the whole course run (and every other seat on the page) with it.
 */
function toSeat(seat: DiscoverySeat, courseRunKey: string): CatalogSeat | null {
  if (!seat.sku) return null;
  const price = toMoney(seat.price, seat.currency);
  if (!price) return null;
  return { sku: seat.sku, mode: seat.type, price, courseRunKey };
}

function toMoney(amount: string, currency: string): Money | null {
  if (typeof amount !== 'string' || typeof currency !== 'string') return null;
  const money = { amount: amount.trim(), currencyCode: currency.trim().toUpperCase() };
  if (!/^[A-Z]{3}$/.test(money.currencyCode)) return null;
  try {
    toMinorUnits(money);
  } catch {
    return null;
  }
  return money;
}

/** The SKUs a run's seats carry, for the SKU index. */
export function skusOf(run: DiscoveryCourseRun): string[] {
  return (run.seats ?? []).flatMap((seat) => (seat.sku ? [seat.sku] : []));
}
