import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { UpstreamUnavailableError } from '../../../connectors/errors.js';
import { DEMO_PROGRAMS } from '../../../sandbox/demo-data.js';
import { keysUnder, requestsTo, startWorld, type ConnectorWorld } from './support.js';

const PROGRAMS = 'GET /api/v1/programs/';

let world: ConnectorWorld;
let prefixCount = 0;

/** Connectors with a prefix of their own, so each test starts with a cold cache. */
function coldPrograms() {
  prefixCount += 1;
  return world.connect({ keyPrefix: `${world.keyPrefix}${prefixCount}:` }).programs;
}
const programRequests = () => requestsTo(world.sandbox.discovery.stats(), PROGRAMS);

beforeAll(async () => {
  world = await startWorld();
});
afterAll(() => world.close());
beforeEach(() => {
  world.sandbox.discovery.resetStats();
  world.sandbox.discovery.clearFaults();
});

describe('Course Discovery programs', () => {
  it('lists programs with their courses and runs, paged by offset', async () => {
    const programs = coldPrograms();
    const page = await programs.listPrograms({ offset: 1, limit: 2 });
    expect(page.totalCount).toBe(DEMO_PROGRAMS.length);
    expect(page.programs.map((program) => program.uuid)).toEqual(
      DEMO_PROGRAMS.slice(1, 3).map((program) => program.uuid),
    );
    const [first] = page.programs;
    expect(first?.courses.map((course) => course.key)).toEqual(
      DEMO_PROGRAMS[1]!.courses.map((course) => course.key),
    );
    expect(first?.courses[0]?.runs.some((run) => run.isEnrollable)).toBe(true);
  });

  it('gets many programs in one uuids= request, then from the cache', async () => {
    const programs = coldPrograms();
    const wanted = DEMO_PROGRAMS.map((program) => program.uuid);
    const unknown = randomUUID();
    const found = await programs.getPrograms([...wanted, unknown, 'not-a-uuid', 'a,b']);
    expect([...found.keys()]).toEqual(wanted);
    expect(programRequests()).toBe(1);
    const again = await programs.getPrograms([wanted[2]!.toUpperCase()]);
    expect(again.get(wanted[2]!.toUpperCase())).toMatchObject({ uuid: wanted[2] });
    expect(programRequests()).toBe(1);
    // Unknown and malformed uuids are never cached as anything, nor asked for when malformed.
    await programs.getPrograms(['not-a-uuid']);
    expect(programRequests()).toBe(1);
    const keys = await keysUnder(world.redis, `${world.keyPrefix}${prefixCount}:catalog:program:`);
    expect(keys).toHaveLength(wanted.length);
  });

  it('maps only the uncached uuids to the error during an outage', async () => {
    const programs = coldPrograms();
    const [cached, uncached] = DEMO_PROGRAMS.map((program) => program.uuid);
    await programs.getPrograms([cached!]);
    world.sandbox.discovery.injectFault({ status: 503, count: 10 });
    const found = await programs.getPrograms([cached!, uncached!]);
    expect(found.get(cached!)).toMatchObject({ uuid: cached });
    expect(found.get(uncached!)).toBeInstanceOf(UpstreamUnavailableError);
  });

  it('checks that the programs endpoint answers', async () => {
    const programs = coldPrograms();
    await expect(programs.checkReachable()).resolves.toBeUndefined();
    world.sandbox.discovery.injectFault({ status: 503, count: 10 });
    await expect(programs.checkReachable()).rejects.toBeInstanceOf(UpstreamUnavailableError);
  });

  it('treats a corrupt cache entry as a miss', async () => {
    const programs = coldPrograms();
    const uuid = DEMO_PROGRAMS[0]!.uuid;
    await world.redis.set(`${world.keyPrefix}${prefixCount}:catalog:program:${uuid}`, '{nope');
    const found = await programs.getPrograms([uuid]);
    expect(found.get(uuid)).toMatchObject({ title: DEMO_PROGRAMS[0]!.title });
    expect(programRequests()).toBe(1);
  });
});
