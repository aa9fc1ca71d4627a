import { seededSku, seededUuid } from './ids.js';

/**
 * The demo catalog and users every sandbox starts with. Keys, SKUs and ids are
 * the same on every start; dates of the runs open for enrollment and of the orders are computed
 * from today (UTC midnight), so those runs stay enrollable and the history stays recent.
 */

export type Availability = 'Current' | 'Upcoming' | 'Archived' | 'Starting Soon';

export interface DemoSeat {
  mode: string;
  /** Decimal string in the currency's major unit, as Discovery gives it. */
  price: string;
  currency: string;
  sku: string;
  courseRunKey: string;
}

export interface DemoCourseRun {
  uuid: string;
  key: string;
  courseKey: string;
  title: string;
  start: string | null;
  end: string | null;
  enrollmentStart: string | null;
  enrollmentEnd: string | null;
  availability: Availability;
  isEnrollable: boolean;
  seats: DemoSeat[];
}

export interface DemoCourse {
  uuid: string;
  key: string;
  title: string;
  shortDescription: string;
  runs: DemoCourseRun[];
}

export interface DemoUser {
  userId: number;
  username: string;
  email: string;
  name: string;
  administrator: boolean;
}

export const DEMO_USERS = {
  alice: {
    userId: 1001,
    username: 'alice',
    email: 'alice@example.com',
    name: 'Alice Anderson',
    administrator: false,
  },
  bob: {
    userId: 1002,
    username: 'bob',
    email: 'bob@example.com',
    name: 'Bob Brown',
    administrator: false,
  },
  carol: {
    userId: 1003,
    username: 'carol',
    email: 'carol@example.com',
    name: 'Carol Clark',
    administrator: false,
  },
  staff: {
    userId: 9001,
    username: 'staff',
    email: 'staff@example.com',
    name: 'Sandbox Staff',
    administrator: true,
  },
} as const satisfies Record<string, DemoUser>;

const DAY_MS = 86_400_000;
/** Midnight UTC today: the reference for every relative date, stable within a day. */
const TODAY = Math.floor(Date.now() / DAY_MS) * DAY_MS;
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
const daysFromToday = (days: number): string => iso(TODAY + days * DAY_MS);

/** Term start months: 1T = January, 2T = April, 3T = September (edX's usual calendar). */
const TERM_START_MONTH: Readonly<Record<string, number>> = { '1T': 0, '2T': 3, '3T': 8 };

interface RunSpec {
  term: string;
  when: 'archived' | 'current' | 'upcoming';
  professional?: string;
}
interface CourseSpec {
  key: string;
  title: string;
  shortDescription: string;
  verifiedPrice: string;
  currency: string;
  runs: RunSpec[];
}

const archived = (...terms: string[]): RunSpec[] =>
  terms.map((term) => ({ term, when: 'archived' }));
const CURRENT_TERM = '3T2026';

const COURSE_SPECS: readonly CourseSpec[] = [
  {
    key: 'SandboxX+PY101',
    title: 'Python for Everybody',
    shortDescription: 'Programming from the ground up, in Python.',
    verifiedPrice: '49.00',
    currency: 'USD',
    runs: [
      ...archived('1T2025', '2T2025', '3T2025', '1T2026', '2T2026'),
      { term: CURRENT_TERM, when: 'current' },
    ],
  },
  {
    key: 'SandboxX+DS201',
    title: 'Data Science Foundations',
    shortDescription: 'Statistics, data wrangling and visualisation.',
    verifiedPrice: '99.00',
    currency: 'USD',
    runs: [
      ...archived('1T2025', '2T2025', '3T2025', '1T2026'),
      { term: CURRENT_TERM, when: 'current', professional: '199.00' },
    ],
  },
  {
    key: 'SandboxX+WEB110',
    title: 'Web Development with JavaScript',
    shortDescription: 'HTML, CSS and JavaScript for the modern web.',
    verifiedPrice: '79.00',
    currency: 'USD',
    runs: [
      ...archived('1T2025', '2T2026'),
      { term: CURRENT_TERM, when: 'current' },
      { term: '1T2027', when: 'upcoming' },
    ],
  },
  {
    key: 'SandboxX+ML301',
    title: 'Machine Learning',
    shortDescription: 'Supervised and unsupervised learning in practice.',
    verifiedPrice: '149.00',
    currency: 'USD',
    runs: [
      ...archived('3T2025', '2T2026'),
      { term: CURRENT_TERM, when: 'current', professional: '299.00' },
    ],
  },
  {
    key: 'SandboxX+CS50X',
    title: 'Introduction to Computer Science',
    shortDescription: 'Algorithms, data structures and the craft of programming.',
    verifiedPrice: '89.00',
    currency: 'USD',
    runs: [
      ...archived('1T2025', '3T2025', '1T2026', '2T2026'),
      { term: CURRENT_TERM, when: 'current' },
    ],
  },
  {
    key: 'SandboxX+EU200',
    title: 'European Union Law',
    shortDescription: 'The institutions and legal order of the European Union.',
    verifiedPrice: '59.00',
    currency: 'EUR',
    runs: [...archived('2T2025', '2T2026'), { term: CURRENT_TERM, when: 'current' }],
  },
  {
    key: 'SandboxX+ETH100',
    title: 'Ethics of Artificial Intelligence',
    shortDescription: 'Fairness, accountability and transparency in AI systems.',
    verifiedPrice: '39.00',
    currency: 'USD',
    runs: [...archived('2T2025', '1T2026'), { term: CURRENT_TERM, when: 'current' }],
  },
  {
    key: 'SandboxX+UX120',
    title: 'Design Thinking',
    shortDescription: 'User research, prototyping and iteration.',
    verifiedPrice: '29.00',
    currency: 'USD',
    runs: [...archived('2T2025', '1T2026', '2T2026'), { term: CURRENT_TERM, when: 'current' }],
  },
  {
    key: 'SandboxX+SQL150',
    title: 'Databases and SQL',
    shortDescription: 'Relational modelling and querying with SQL.',
    verifiedPrice: '69.00',
    currency: 'USD',
    runs: [...archived('1T2025', '3T2025', '2T2026'), { term: CURRENT_TERM, when: 'current' }],
  },
  {
    key: 'SandboxX+FIN210',
    title: 'Personal Finance',
    shortDescription: 'Budgeting, saving and investing.',
    verifiedPrice: '45.00',
    currency: 'USD',
    runs: [...archived('1T2025'), { term: CURRENT_TERM, when: 'current' }],
  },
];

function runDates(
  spec: RunSpec,
): Pick<
  DemoCourseRun,
  'start' | 'end' | 'enrollmentStart' | 'enrollmentEnd' | 'availability' | 'isEnrollable'
> {
  if (spec.when === 'current') {
    return {
      start: daysFromToday(-30),
      end: daysFromToday(365 + 60),
      enrollmentStart: daysFromToday(-90),
      enrollmentEnd: daysFromToday(365),
      availability: 'Current',
      isEnrollable: true,
    };
  }
  if (spec.when === 'upcoming') {
    return {
      start: daysFromToday(60),
      end: daysFromToday(60 + 120),
      enrollmentStart: daysFromToday(-10),
      enrollmentEnd: daysFromToday(365),
      availability: 'Upcoming',
      isEnrollable: true,
    };
  }
  const month = TERM_START_MONTH[spec.term.slice(0, 2)] ?? 0;
  const start = Date.UTC(Number(spec.term.slice(2)), month, 1);
  return {
    start: iso(start),
    end: iso(Date.UTC(Number(spec.term.slice(2)), month + 3, 1)),
    enrollmentStart: iso(start - 60 * DAY_MS),
    enrollmentEnd: iso(start + 30 * DAY_MS),
    availability: 'Archived',
    isEnrollable: false,
  };
}

function buildCourse(spec: CourseSpec): DemoCourse {
  const runs = spec.runs.map((runSpec): DemoCourseRun => {
    const key = `course-v1:${spec.key}+${runSpec.term}`;
    const seat = (mode: string, price: string): DemoSeat => ({
      mode,
      price,
      currency: spec.currency,
      sku: seededSku(`seat:${key}:${mode}`),
      courseRunKey: key,
    });
    const seats = [seat('audit', '0.00'), seat('verified', spec.verifiedPrice)];
    if (runSpec.professional) seats.push(seat('professional', runSpec.professional));
    return {
      uuid: seededUuid(`run:${key}`),
      key,
      courseKey: spec.key,
      title: spec.title,
      ...runDates(runSpec),
      seats,
    };
  });
  return {
    uuid: seededUuid(`course:${spec.key}`),
    key: spec.key,
    title: spec.title,
    shortDescription: spec.shortDescription,
    runs,
  };
}

/** The catalog, ordered by course key (Discovery's order). */
export const DEMO_COURSES: readonly DemoCourse[] = COURSE_SPECS.map(buildCourse).sort((a, b) =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
);

export const DEMO_COURSE_RUNS: readonly DemoCourseRun[] = DEMO_COURSES.flatMap((c) => c.runs).sort(
  (a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
);

const RUNS_BY_KEY = new Map(DEMO_COURSE_RUNS.map((run) => [run.key, run]));
const SEATS_BY_SKU = new Map(
  DEMO_COURSE_RUNS.flatMap((run) => run.seats.map((seat) => [seat.sku, seat] as const)),
);
if (SEATS_BY_SKU.size !== DEMO_COURSE_RUNS.reduce((n, run) => n + run.seats.length, 0)) {
  throw new Error('Demo catalog SKUs collide; change a seed');
}

export function findCourseRun(courseRunKey: string): DemoCourseRun | undefined {
  return RUNS_BY_KEY.get(courseRunKey);
}

export function findSeat(courseRunKey: string, mode: string): DemoSeat | undefined {
  return RUNS_BY_KEY.get(courseRunKey)?.seats.find((seat) => seat.mode === mode);
}

export function findSeatBySku(sku: string): DemoSeat | undefined {
  return SEATS_BY_SKU.get(sku);
}

/** Like findSeat, for demo data and tests that know the seat exists. */
export function demoSeat(courseRunKey: string, mode: string): DemoSeat {
  const seat = findSeat(courseRunKey, mode);
  if (!seat) throw new Error(`No ${mode} seat in ${courseRunKey}`);
  return seat;
}

export function demoUser(username: string): DemoUser | undefined {
  return Object.values(DEMO_USERS).find((user) => user.username === username);
}

export { TODAY as DEMO_REFERENCE_MS, DAY_MS };
