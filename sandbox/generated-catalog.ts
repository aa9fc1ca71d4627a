import type { DemoCourse, DemoCourseRun } from './demo-catalog.js';
import { seededUuid } from './ids.js';

const RUNS_PER_COURSE = 10;

/**
 * A synthetic catalog of `runCount` current runs (ten per course, each with an audit and a
 * verified seat), for catalog-size tests and benchmarks. SKUs are numbered, not hashed, so
 * they never collide however large the catalog.
 */
export function generatedCourses(runCount: number): DemoCourse[] {
  const courses: DemoCourse[] = [];
  for (let first = 0; first < runCount; first += RUNS_PER_COURSE) {
    const courseNumber = String(first / RUNS_PER_COURSE).padStart(5, '0');
    const courseKey = `SandboxX+GEN${courseNumber}`;
    const title = `Generated course ${courseNumber}`;
    const runs: DemoCourseRun[] = [];
    for (let index = first; index < Math.min(first + RUNS_PER_COURSE, runCount); index += 1) {
      const key = `course-v1:${courseKey}+R${String(index - first).padStart(2, '0')}`;
      const sku = (mode: string) => `GEN${String(index).padStart(6, '0')}${mode.slice(0, 1)}`;
      runs.push({
        uuid: seededUuid(`run:${key}`),
        key,
        courseKey,
        title,
        start: '2026-01-01T00:00:00Z',
        end: '2030-01-01T00:00:00Z',
        enrollmentStart: '2025-12-01T00:00:00Z',
        enrollmentEnd: '2029-12-01T00:00:00Z',
        availability: 'Current',
        isEnrollable: true,
        seats: [
          { mode: 'audit', price: '0.00', currency: 'USD', sku: sku('audit'), courseRunKey: key },
          {
            mode: 'verified',
            price: '25.00',
            currency: 'USD',
            sku: sku('verified'),
            courseRunKey: key,
          },
        ],
      });
    }
    courses.push({
      uuid: seededUuid(`course:${courseKey}`),
      key: courseKey,
      title,
      shortDescription: 'A generated course, for catalog-size tests.',
      runs,
    });
  }
  return courses;
}
