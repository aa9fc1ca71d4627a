import { DAY_MS, DEMO_REFERENCE_MS, DEMO_USERS, demoSeat, findCourseRun } from './demo-catalog.js';
import type { DemoUser } from './demo-catalog.js';
import { seededStripeId, seededUuid } from './ids.js';

/**
 * The demo users' order history, as the three systems of record hold it: the commercetools
 * order, the Stripe PaymentIntent (and refund) behind it, and the LMS enrollments it granted.
 */

export interface DemoOrderLine {
  id: string;
  sku: string;
  courseRunKey: string;
  mode: string;
  title: string;
  /** Decimal string, as the catalog gives it. */
  price: string;
  cents: number;
  currency: string;
  status: 'FULFILLED' | 'REVOKED';
}

export interface DemoPayment {
  paymentIntentId: string;
  chargeId: string;
  refundId: string | null;
  /** Unix seconds, for Stripe's `created`. */
  created: number;
  refundCreated: number | null;
}

export interface DemoOrder {
  id: string;
  number: string;
  user: DemoUser;
  /** ISO timestamp with milliseconds, as commercetools writes it. */
  createdAt: string;
  status: 'FULFILLED' | 'REFUNDED';
  currency: string;
  totalCents: number;
  lines: DemoOrderLine[];
  /** Null for free orders, which skip payment. */
  payment: DemoPayment | null;
}

type LineSpec = readonly [runKey: string, mode: string];
interface OrderSpec {
  user: DemoUser;
  createdMs: number;
  lines: readonly LineSpec[];
  refunded?: boolean;
}

const HOUR_MS = 3_600_000;
const v = (run: string): LineSpec => [`course-v1:SandboxX+${run}`, 'verified'];
const a = (run: string): LineSpec => [`course-v1:SandboxX+${run}`, 'audit'];

/** Alice's orders, oldest first; every run appears at most once, so no seat is held twice. */
const ALICE_LINES: readonly (readonly LineSpec[])[] = [
  [v('PY101+1T2025')],
  [a('CS50X+1T2025')],
  [v('SQL150+1T2025'), a('FIN210+1T2025')],
  [v('WEB110+1T2025')],
  [v('DS201+1T2025')],
  [v('PY101+2T2025')],
  [v('EU200+2T2025')],
  [a('ETH100+2T2025')],
  [v('UX120+2T2025')],
  [v('DS201+2T2025')],
  [a('PY101+3T2025')],
  [v('ML301+3T2025')],
  [v('CS50X+3T2025'), v('SQL150+3T2025')],
  [v('DS201+3T2025')],
  [v('PY101+1T2026')],
  [v('CS50X+1T2026')],
  [v('ETH100+1T2026')],
  [a('UX120+1T2026')],
  [v('DS201+1T2026')],
  [v('PY101+2T2026')],
  [v('WEB110+2T2026')],
  [v('ML301+2T2026')],
  [v('EU200+2T2026')],
  [a('CS50X+2T2026')],
  [v('UX120+2T2026'), v('SQL150+2T2026')],
  [v('PY101+3T2026')],
  [a('ETH100+3T2026')],
  [v('SQL150+3T2026')],
];
/** Index in ALICE_LINES of the one refunded order. */
const ALICE_REFUNDED = 11;

const ORDER_SPECS: readonly OrderSpec[] = [
  ...ALICE_LINES.map((lines, i): OrderSpec => {
    const daysAgo = (ALICE_LINES.length - 1 - i) * 26 + 3;
    return {
      user: DEMO_USERS.alice,
      createdMs:
        DEMO_REFERENCE_MS - daysAgo * DAY_MS + (9 + (i % 9)) * HOUR_MS + ((i * 7) % 60) * 60_000,
      lines,
      refunded: i === ALICE_REFUNDED,
    };
  }),
  {
    user: DEMO_USERS.bob,
    createdMs: DEMO_REFERENCE_MS - 200 * DAY_MS + 14.25 * HOUR_MS,
    lines: [a('PY101+2T2026')],
  },
  {
    user: DEMO_USERS.bob,
    createdMs: DEMO_REFERENCE_MS - 20 * DAY_MS + 16.5 * HOUR_MS,
    lines: [v('DS201+3T2026')],
  },
];

function toCents(price: string): number {
  const [whole = '0', fraction = ''] = price.split('.');
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0').slice(0, 2));
}

function buildOrder(spec: OrderSpec, number: string): DemoOrder {
  const lines = spec.lines.map(([runKey, mode], index): DemoOrderLine => {
    const seat = demoSeat(runKey, mode);
    return {
      id: seededUuid(`line:${number}:${index}`),
      sku: seat.sku,
      courseRunKey: runKey,
      mode,
      title: findCourseRun(runKey)?.title ?? runKey,
      price: seat.price,
      cents: toCents(seat.price),
      currency: seat.currency,
      status: spec.refunded ? 'REVOKED' : 'FULFILLED',
    };
  });
  const currency = lines[0]?.currency ?? 'USD';
  if (lines.some((line) => line.currency !== currency))
    throw new Error(`Demo order ${number} mixes currencies`);
  const totalCents = lines.reduce((sum, line) => sum + line.cents, 0);
  const created = Math.floor(spec.createdMs / 1000);
  return {
    id: seededUuid(`order:${number}`),
    number,
    user: spec.user,
    createdAt: new Date(spec.createdMs).toISOString(),
    status: spec.refunded ? 'REFUNDED' : 'FULFILLED',
    currency,
    totalCents,
    lines,
    payment:
      totalCents === 0
        ? null
        : {
            paymentIntentId: seededStripeId('pi', `pi:${number}`),
            chargeId: seededStripeId('ch', `ch:${number}`),
            refundId: spec.refunded ? seededStripeId('re', `re:${number}`) : null,
            created,
            refundCreated: spec.refunded ? created + 10 * 86_400 : null,
          },
  };
}

/** Every demo order, oldest first, numbered EDX-100001 upwards in that order. */
export const DEMO_ORDERS: readonly DemoOrder[] = [...ORDER_SPECS]
  .sort((x, y) => x.createdMs - y.createdMs)
  .map((spec, i) => buildOrder(spec, `EDX-${100001 + i}`));

export function demoOrdersOf(username: string): DemoOrder[] {
  return DEMO_ORDERS.filter((order) => order.user.username === username);
}
