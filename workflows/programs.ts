import { z } from 'zod';
import type { CatalogCourse, CatalogSeat } from '../connectors/catalog.js';
import { fromMinorUnits, toMinorUnits, type Money } from '../connectors/money.js';
import type { CatalogProgram } from '../connectors/programs.js';
import type { GatewayContext } from '../server/context.js';
import { requireViewer } from './access.js';
import { holdsSeat } from './checkout.js';
import { BadInputError } from './errors.js';
import { checkPageSize, decodeCursor, offsetConnection, type Connection } from './paging.js';

export type ProgramConnection = Connection<CatalogProgram> & { totalCount: number };

/** What a learner buys to take a whole program in one mode. */
export interface ProgramOffer {
  products: CatalogSeat[];
  total: Money | null;
}

const programCursor = z.object({ offset: z.number().int().min(0).max(1_000_000) });
const MODE = /^[a-z][a-z0-9-]{0,31}$/;

/** A page of the catalog's programs. Offsets are hidden in opaque cursors. */
export async function listPrograms(
  ctx: GatewayContext,
  args: { first: number; after?: string | null },
): Promise<ProgramConnection> {
  checkPageSize(args.first);
  const start = args.after ? decodeCursor(args.after, programCursor).offset + 1 : 0;
  const page = await ctx.connectors.programs.listPrograms({ offset: start, limit: args.first });
  for (const program of page.programs) {
    ctx.loaders.program.clear(program.uuid).prime(program.uuid, program);
  }
  return offsetConnection(start, page.programs, page.totalCount);
}

/**
 * One seat of the mode per course of the program, in the course's enrollable run (the one that
 * starts first, when several are open), leaving out the courses the learner already holds in
 * that mode. Courses with no such seat for sale are left out too: the offer is what can be bought.
 */
export async function offerProgram(
  ctx: GatewayContext,
  program: CatalogProgram,
  mode: string,
): Promise<ProgramOffer> {
  const viewer = requireViewer(ctx);
  if (!MODE.test(mode)) throw new BadInputError('mode is not an enrollment mode.');
  const keys = program.courses.map((course) => course.key);
  const [courses, enrollments] = await Promise.all([
    ctx.loaders.course.loadMany(keys),
    ctx.loaders.enrollmentsByUsername.load(viewer.username),
  ]);
  const products: CatalogSeat[] = [];
  for (const course of courses) {
    if (course instanceof Error) throw course;
    const seat = course ? seatToSell(course, mode) : null;
    if (!seat || !course) continue;
    const held = course.runs.some((run) =>
      holdsSeat(enrollments, { ...seat, courseRunKey: run.key }),
    );
    if (!held) products.push(seat);
  }
  return { products, total: totalOf(products) };
}

function seatToSell(course: CatalogCourse, mode: string): CatalogSeat | null {
  const open = course.runs
    .filter((run) => run.isEnrollable)
    .sort((a, b) => (a.start ?? '').localeCompare(b.start ?? ''));
  for (const run of open) {
    const seat = run.seats.find((candidate) => candidate.mode === mode);
    if (seat) return seat;
  }
  return null;
}

function totalOf(products: readonly CatalogSeat[]): Money | null {
  const currencies = new Set(products.map((seat) => seat.price.currencyCode));
  const [currencyCode] = currencies;
  if (currencies.size !== 1 || currencyCode === undefined) return null;
  const minor = products.reduce((sum, seat) => sum + toMinorUnits(seat.price), 0);
  return fromMinorUnits(minor, currencyCode);
}
