import { z } from 'zod';
import type { CatalogCourse } from '../connectors/catalog.js';
import { primeCourses } from '../connectors/loaders.js';
import type { GatewayContext } from '../server/context.js';
import { BadInputError } from './errors.js';
import { checkPageSize, decodeCursor, offsetConnection, type Connection } from './paging.js';

export type CourseConnection = Connection<CatalogCourse> & { totalCount: number };

const courseCursor = z.object({ offset: z.number().int().min(0).max(1_000_000) });
const MAX_SEARCH_LENGTH = 200;

/** A page of the public catalog. Offsets are hidden in opaque cursors. */
export async function listCourses(
  ctx: GatewayContext,
  args: { first: number; after?: string | null; search?: string | null },
): Promise<CourseConnection> {
  checkPageSize(args.first);
  const search = args.search?.trim() || undefined;
  if (search !== undefined && search.length > MAX_SEARCH_LENGTH) {
    throw new BadInputError(`search must be at most ${MAX_SEARCH_LENGTH} characters.`);
  }
  const start = args.after ? decodeCursor(args.after, courseCursor).offset + 1 : 0;
  const page = await ctx.connectors.catalog.listCourses({
    offset: start,
    limit: args.first,
    ...(search === undefined ? {} : { search }),
  });
  primeCourses(ctx.loaders, page.courses);
  return offsetConnection(start, page.courses, page.totalCount);
}
