import type { Request, Response } from 'express';
import type { DemoCourse, DemoCourseRun, DemoSeat } from './demo-catalog.js';
import type { DemoProgram } from './demo-programs.js';
import type { RouteRegistrar } from './http-server.js';

/** Discovery (Django REST framework) errors are `{ detail }`. */
export function discoveryErrorBody(_status: number, message: string): unknown {
  return { detail: message };
}

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
const MAX_KEYS = 100;

function seatJson(seat: DemoSeat): Record<string, unknown> {
  return {
    type: seat.mode,
    price: seat.price,
    currency: seat.currency,
    sku: seat.sku,
    upgrade_deadline: null,
    credit_provider: null,
    credit_hours: null,
    bulk_sku: null,
  };
}

function runJson(run: DemoCourseRun): Record<string, unknown> {
  return {
    uuid: run.uuid,
    key: run.key,
    course: run.courseKey,
    title: run.title,
    start: run.start,
    end: run.end,
    enrollment_start: run.enrollmentStart,
    enrollment_end: run.enrollmentEnd,
    availability: run.availability,
    is_enrollable: run.isEnrollable,
    seats: run.seats.map(seatJson),
  };
}

function courseJson(course: DemoCourse): Record<string, unknown> {
  return {
    uuid: course.uuid,
    key: course.key,
    title: course.title,
    short_description: course.shortDescription,
    course_runs: course.runs.map(runJson),
  };
}

function programJson(program: DemoProgram): Record<string, unknown> {
  return {
    uuid: program.uuid,
    title: program.title,
    subtitle: program.subtitle,
    type: program.type,
    status: 'active',
    marketing_slug: program.marketingSlug,
    marketing_url: `https://www.example.org/${program.type.toLowerCase().replace(/ /g, '-')}/${program.marketingSlug}`,
    authoring_organizations: [{ key: 'SandboxX', name: 'Sandbox University' }],
    is_program_eligible_for_one_click_purchase: true,
    courses: program.courses.map(courseJson),
  };
}

function queryString(req: Request, name: string): string | undefined {
  const value: unknown = req.query[name];
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** DRF's LimitOffsetPagination: bad numbers fall back to the defaults, limit is clamped. */
function paging(req: Request): { limit: number; offset: number } {
  const limit = Number.parseInt(queryString(req, 'limit') ?? '', 10);
  const offset = Number.parseInt(queryString(req, 'offset') ?? '', 10);
  return {
    limit: Number.isInteger(limit) && limit > 0 ? Math.min(limit, MAX_LIMIT) : DEFAULT_LIMIT,
    offset: Number.isInteger(offset) && offset > 0 ? offset : 0,
  };
}

function pageUrl(req: Request, limit: number, offset: number): string {
  const url = new URL(req.originalUrl, `${req.protocol}://${req.get('host') ?? 'localhost'}`);
  url.searchParams.set('limit', String(limit));
  if (offset > 0) url.searchParams.set('offset', String(offset));
  else url.searchParams.delete('offset');
  return url.toString();
}

function sendPage<T>(
  req: Request,
  res: Response,
  items: readonly T[],
  toJson: (item: T) => unknown,
): void {
  const { limit, offset } = paging(req);
  res.json({
    count: items.length,
    next: offset + limit < items.length ? pageUrl(req, limit, offset + limit) : null,
    previous: offset > 0 ? pageUrl(req, limit, Math.max(0, offset - limit)) : null,
    results: items.slice(offset, offset + limit).map(toJson),
  });
}

/** `keys=` (or another list parameter) as a set, or a 400 already sent when the list is too long. */
function requestedKeys(
  req: Request,
  res: Response,
  parameter = 'keys',
): Set<string> | null | undefined {
  const raw = queryString(req, parameter);
  if (raw === undefined) return null;
  const keys = raw
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
  if (keys.length > MAX_KEYS) {
    res.status(400).json({ detail: `At most ${MAX_KEYS} keys may be requested at once.` });
    return undefined;
  }
  return new Set(keys);
}

export function discoveryRoutes(
  courses: readonly DemoCourse[],
  programs: readonly DemoProgram[] = [],
): (route: RouteRegistrar) => void {
  const runs = courses
    .flatMap((course) => course.runs)
    .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  const sortedCourses = [...courses].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));

  return (route) => {
    route('get', '/api/v1/courses/', (req, res) => {
      const keys = requestedKeys(req, res);
      if (keys === undefined) return;
      const q = queryString(req, 'q')?.trim().toLowerCase();
      const matches = sortedCourses.filter(
        (course) =>
          (keys === null || keys.has(course.key)) &&
          (!q || course.title.toLowerCase().includes(q) || course.key.toLowerCase().includes(q)),
      );
      sendPage(req, res, matches, courseJson);
    });

    route('get', '/api/v1/course_runs/', (req, res) => {
      const keys = requestedKeys(req, res);
      if (keys === undefined) return;
      sendPage(req, res, keys === null ? runs : runs.filter((run) => keys.has(run.key)), runJson);
    });

    route('get', '/api/v1/programs/', (req, res) => {
      const uuids = requestedKeys(req, res, 'uuids');
      if (uuids === undefined) return;
      // Every demo program is active; asking for another status finds none.
      const statuses = queryString(req, 'status')?.split(',') ?? ['active'];
      const matches = statuses.includes('active')
        ? programs.filter((program) => uuids === null || uuids.has(program.uuid))
        : [];
      sendPage(req, res, matches, programJson);
    });

    route('get', '/health/', (_req, res) => {
      res.json({ overall_status: 'OK' });
    });
  };
}
