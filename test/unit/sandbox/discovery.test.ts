import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_COURSES,
  DEMO_COURSE_RUNS,
  DEMO_PROGRAMS,
  demoSeat,
} from '../../../sandbox/demo-data.js';
import type { Sandbox } from '../../../sandbox/index.js';
import { call, sandboxFor, started } from './support.js';

interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}
interface Seat {
  type: string;
  price: string;
  currency: string;
  sku: string;
}
interface Run {
  key: string;
  course: string;
  availability: string;
  is_enrollable: boolean;
  enrollment_end: string | null;
  seats: Seat[];
}
interface Course {
  key: string;
  title: string;
  course_runs: Run[];
}

let sandbox: Sandbox;
let base: string;

beforeAll(async () => {
  sandbox = await sandboxFor({ only: ['discovery'] });
  base = started(sandbox.discovery).url;
});
afterAll(() => sandbox.close());

describe('discovery sandbox', () => {
  it('pages courses by key with absolute next/previous links', async () => {
    const first = await call<Page<Course>>(`${base}/api/v1/courses/?limit=4&offset=0`);
    expect(first.status).toBe(200);
    expect(first.body.count).toBe(DEMO_COURSES.length);
    expect(first.body.results.map((c) => c.key)).toEqual(
      DEMO_COURSES.slice(0, 4).map((c) => c.key),
    );
    expect(first.body.previous).toBeNull();
    expect(first.body.next).toBe(`${base}/api/v1/courses/?limit=4&offset=4`);

    const second = await call<Page<Course>>(first.body.next ?? '');
    expect(second.body.results.map((c) => c.key)).toEqual(
      DEMO_COURSES.slice(4, 8).map((c) => c.key),
    );
    expect(second.body.previous).toBe(`${base}/api/v1/courses/?limit=4`);

    const keys = [...first.body.results, ...second.body.results].map((c) => c.key);
    expect([...keys].sort()).toEqual(keys);
  });

  it('clamps limit to 100 and falls back to defaults on junk', async () => {
    const page = await call<Page<Run>>(`${base}/api/v1/course_runs/?limit=1000&offset=abc`);
    expect(page.body.results).toHaveLength(Math.min(100, DEMO_COURSE_RUNS.length));
    expect(page.body.count).toBe(DEMO_COURSE_RUNS.length);
  });

  it('filters courses with q in title or key, case-insensitively', async () => {
    const byTitle = await call<Page<Course>>(`${base}/api/v1/courses/?q=PYTHON`);
    expect(byTitle.body.results.map((c) => c.key)).toEqual(['SandboxX+PY101']);
    const byKey = await call<Page<Course>>(`${base}/api/v1/courses/?q=ml301`);
    expect(byKey.body.results.map((c) => c.title)).toEqual(['Machine Learning']);
    const none = await call<Page<Course>>(`${base}/api/v1/courses/?q=zzz`);
    expect(none.body).toEqual({ count: 0, next: null, previous: null, results: [] });
  });

  it('batches course runs by keys, in key order, leaving out unknown keys', async () => {
    const wanted = [
      'course-v1:SandboxX+PY101+3T2026',
      'course-v1:SandboxX+DS201+1T2025',
      'course-v1:Nope+X+1T2020',
    ];
    const page = await call<Page<Run>>(
      `${base}/api/v1/course_runs/?limit=100&keys=${encodeURIComponent(wanted.join(','))}`,
    );
    expect(page.body.count).toBe(2);
    expect(page.body.results.map((r) => r.key)).toEqual([wanted[1], wanted[0]]);
    const current = page.body.results[1];
    expect(current?.availability).toBe('Current');
    expect(current?.is_enrollable).toBe(true);
    expect(Date.parse(current?.enrollment_end ?? '')).toBeGreaterThan(Date.now());
    expect(current?.seats).toContainEqual(
      expect.objectContaining({
        type: 'verified',
        price: '49.00',
        currency: 'USD',
        sku: demoSeat(wanted[0] ?? '', 'verified').sku,
      }),
    );
    expect(current?.seats).toContainEqual(
      expect.objectContaining({ type: 'audit', price: '0.00' }),
    );
  });

  it('batches courses by keys and nests their runs', async () => {
    const page = await call<Page<Course>>(
      `${base}/api/v1/courses/?keys=SandboxX%2BEU200,SandboxX%2BPY101`,
    );
    expect(page.body.results.map((c) => c.key)).toEqual(['SandboxX+EU200', 'SandboxX+PY101']);
    expect(
      page.body.results[0]?.course_runs.every((r) => r.seats.every((s) => s.currency === 'EUR')),
    ).toBe(true);
    expect(page.body.results[1]?.course_runs.length).toBeGreaterThan(1);
  });

  it('refuses more than 100 keys', async () => {
    const keys = Array.from({ length: 101 }, (_, i) => `k${i}`).join(',');
    const answer = await call<{ detail: string }>(`${base}/api/v1/course_runs/?keys=${keys}`);
    expect(answer.status).toBe(400);
    expect(answer.body.detail).toMatch(/100/);
  });

  it('answers the health check and a DRF 404 for unknown routes', async () => {
    expect((await call(`${base}/health/`)).body).toEqual({ overall_status: 'OK' });
    const missing = await call<{ detail: string }>(`${base}/api/v1/nothing/`);
    expect(missing.status).toBe(404);
    expect(typeof missing.body.detail).toBe('string');
  });
});

describe('programs', () => {
  interface Program {
    uuid: string;
    title: string;
    status: string;
    courses: Course[];
  }

  it('lists the programs with their courses, runs and seats, paged', async () => {
    const page = await call<Page<Program>>(`${base}/api/v1/programs/?limit=2`);
    expect(page.body.count).toBe(DEMO_PROGRAMS.length);
    expect(page.body.results.map((program) => program.uuid)).toEqual(
      DEMO_PROGRAMS.slice(0, 2).map((program) => program.uuid),
    );
    expect(page.body.next).toContain('offset=2');
    const first = page.body.results[0]!;
    expect(first.status).toBe('active');
    expect(first.courses.map((course) => course.key)).toEqual(
      DEMO_PROGRAMS[0]!.courses.map((course) => course.key),
    );
    expect(first.courses[0]!.course_runs.length).toBeGreaterThan(0);
  });

  it('filters by uuids= and status=, and refuses more than 100 uuids', async () => {
    const wanted = [DEMO_PROGRAMS[3]!.uuid, DEMO_PROGRAMS[1]!.uuid, 'unknown'];
    const found = await call<Page<Program>>(`${base}/api/v1/programs/?uuids=${wanted.join(',')}`);
    expect(found.body.results.map((program) => program.uuid).sort()).toEqual(
      [DEMO_PROGRAMS[3]!.uuid, DEMO_PROGRAMS[1]!.uuid].sort(),
    );
    const retired = await call<Page<Program>>(`${base}/api/v1/programs/?status=retired`);
    expect(retired.body.results).toEqual([]);
    const tooMany = Array.from({ length: 101 }, (_, i) => `u${i}`).join(',');
    expect((await call(`${base}/api/v1/programs/?uuids=${tooMany}`)).status).toBe(400);
  });
});
