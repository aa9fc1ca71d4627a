import { DEMO_USERS } from '../../sandbox/demo-data.js';
import type { UpstreamUrls } from './children.js';
import { contractOperation } from './contract.js';
import {
  courseCatalogCriticalPath,
  myOrdersCriticalPath,
  type CriticalPath,
} from './critical-path.js';

/** One contract operation under test, with what a correct answer looks like. */
export interface BenchOperation {
  name: string;
  /** The POST body, exactly as a front end sends it. */
  body: string;
  /** Whether the request needs alice's token. */
  signedIn: boolean;
  /** Checked on one answer before measuring: the run must measure real, complete answers. */
  checkShape(data: unknown): string | null;
  criticalPath: CriticalPath;
}

const CATALOG_PAGE = 10;
const ORDERS_PAGE = 20;

/** MyOrders {first: 20} as alice (28 orders) and CourseCatalog {first: 10}, as the contract has them. */
export async function benchOperations(
  repoRoot: string,
  upstreams: UpstreamUrls,
): Promise<BenchOperation[]> {
  const alice = DEMO_USERS.alice;
  const body = (name: string, variables: Record<string, unknown>) =>
    JSON.stringify({ operationName: name, query: contractOperation(repoRoot, name), variables });
  return [
    {
      name: 'MyOrders',
      body: body('MyOrders', { first: ORDERS_PAGE }),
      signedIn: true,
      checkShape: (data) =>
        edgeCount(data, ['me', 'orders']) === ORDERS_PAGE ? null : `expected ${ORDERS_PAGE} orders`,
      criticalPath: await myOrdersCriticalPath(upstreams, {
        userId: String(alice.userId),
        username: alice.username,
      }),
    },
    {
      name: 'CourseCatalog',
      body: body('CourseCatalog', { first: CATALOG_PAGE }),
      signedIn: false,
      checkShape: (data) =>
        edgeCount(data, ['courses']) === CATALOG_PAGE ? null : `expected ${CATALOG_PAGE} courses`,
      criticalPath: courseCatalogCriticalPath(),
    },
  ];
}

/** A cheap check for every answer under load: data and no errors (GraphQL errors come as 200). */
export function looksSuccessful(body: string): boolean {
  return body.startsWith('{"data":') && !body.includes('"errors":');
}

function edgeCount(data: unknown, path: string[]): number | null {
  let node: unknown = data;
  for (const key of path) {
    node =
      typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : null;
  }
  const edges =
    typeof node === 'object' && node !== null ? (node as { edges?: unknown }).edges : null;
  return Array.isArray(edges) ? edges.length : null;
}
