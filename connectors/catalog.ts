import type { UpstreamError } from './errors.js';
import type { Money } from './money.js';

/** One purchasable seat of a course run: what the API calls a Product. */
export interface CatalogSeat {
  sku: string;
  /** The enrollment mode it grants: audit, verified, professional, no-id-professional, credit… */
  mode: string;
  price: Money;
  courseRunKey: string;
}

export interface CatalogCourseRun {
  key: string;
  courseKey: string;
  title: string;
  start: string | null;
  end: string | null;
  isEnrollable: boolean;
  seats: CatalogSeat[];
}

export interface CatalogCourse {
  key: string;
  title: string;
  runs: CatalogCourseRun[];
}

export interface CatalogPage {
  totalCount: number;
  courses: CatalogCourse[];
}

/** The product catalog (first implementation: Open edX Course Discovery). */
export interface CatalogConnector {
  /** Courses ordered by key, optionally filtered by a free-text search. */
  listCourses(args: { offset: number; limit: number; search?: string }): Promise<CatalogPage>;
  /**
   * Courses by key, from the cache or one upstream request; unknown keys are absent. When the
   * upstream fails, the keys it was asked for map to the error and cached ones still answer.
   */
  getCourses(keys: readonly string[]): Promise<Map<string, CatalogCourse | UpstreamError>>;
  /** Course runs by key, like getCourses. */
  getCourseRuns(keys: readonly string[]): Promise<Map<string, CatalogCourseRun | UpstreamError>>;
  /** Seats by SKU; unknown SKUs are absent. */
  findSeats(skus: readonly string[]): Promise<Map<string, CatalogSeat>>;
  /** Resolves when the upstream answers, throws an UpstreamError otherwise. */
  checkReachable(): Promise<void>;
}
