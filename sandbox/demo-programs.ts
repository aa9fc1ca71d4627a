import { DEMO_COURSES, type DemoCourse } from './demo-catalog.js';
import { seededUuid } from './ids.js';

/** A program over demo courses; the same uuid on every start. */
export interface DemoProgram {
  uuid: string;
  title: string;
  subtitle: string;
  type: string;
  marketingSlug: string;
  courses: DemoCourse[];
}

const SPECS: readonly { title: string; subtitle: string; type: string; courses: string[] }[] = [
  {
    title: 'Data Science with Python',
    subtitle: 'From first program to machine learning.',
    type: 'MicroMasters',
    courses: ['SandboxX+PY101', 'SandboxX+DS201', 'SandboxX+ML301'],
  },
  {
    title: 'Full-Stack Web Developer',
    subtitle: 'Design, build and store: the whole web application.',
    type: 'Professional Certificate',
    courses: ['SandboxX+UX120', 'SandboxX+WEB110', 'SandboxX+SQL150'],
  },
  {
    title: 'Responsible AI',
    subtitle: 'Build learning systems, and ask what they should do.',
    type: 'XSeries',
    courses: ['SandboxX+ML301', 'SandboxX+ETH100'],
  },
  {
    title: 'Computer Science Essentials',
    subtitle: 'Algorithms, a language and a database.',
    type: 'XSeries',
    courses: ['SandboxX+CS50X', 'SandboxX+PY101', 'SandboxX+SQL150'],
  },
  {
    // Priced in two currencies, so its offer cannot be bought in one order.
    title: 'Money and the Law',
    subtitle: 'Personal finance and the European legal order.',
    type: 'Professional Certificate',
    courses: ['SandboxX+FIN210', 'SandboxX+EU200'],
  },
];

function course(key: string): DemoCourse {
  const found = DEMO_COURSES.find((candidate) => candidate.key === key);
  if (!found) throw new Error(`Demo program names unknown course ${key}`);
  return found;
}

/** The programs Discovery lists, in its order. */
export const DEMO_PROGRAMS: readonly DemoProgram[] = SPECS.map((spec) => ({
  uuid: seededUuid(`program:${spec.title}`),
  title: spec.title,
  subtitle: spec.subtitle,
  type: spec.type,
  marketingSlug: spec.title.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
  courses: spec.courses.map(course),
}));
