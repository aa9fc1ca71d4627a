/** Course Discovery's JSON, as far as the gateway reads it (docs/upstream-apis.md). */

export interface DiscoveryPage<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface DiscoverySeat {
  type: string;
  /** A decimal string in the currency's major unit, e.g. "49.00". */
  price: string;
  currency: string;
  sku: string | null;
  upgrade_deadline: string | null;
}

export type DiscoveryAvailability = 'Current' | 'Upcoming' | 'Archived' | 'Starting Soon';

export interface DiscoveryCourseRun {
  uuid: string;
  key: string;
  course: string;
  title: string;
  start: string | null;
  end: string | null;
  enrollment_start: string | null;
  enrollment_end: string | null;
  availability: DiscoveryAvailability;
  is_enrollable: boolean;
  seats: DiscoverySeat[];
}

export interface DiscoveryCourse {
  uuid: string;
  key: string;
  title: string;
  short_description: string | null;
  course_runs: DiscoveryCourseRun[];
}

export interface DiscoveryProgram {
  uuid: string;
  title: string;
  subtitle: string | null;
  /** e.g. MicroMasters, Professional Certificate, XSeries. */
  type: string | null;
  status: 'active' | 'unpublished' | 'retired' | 'deleted';
  marketing_slug: string | null;
  courses: DiscoveryCourse[];
}
