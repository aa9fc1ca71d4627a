import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * Another machine on the network, as far as a server in this process can tell: a network
 * namespace of its own, joined to this one by a veth pair on a private /30.
 */
export interface TestHost {
  /** This side's end of the pair: a server listening here is reachable from the test host. */
  readonly listenAddress: string;
  /** A GET sent from inside the namespace. */
  get(url: string, headers?: Record<string, string>): Promise<HttpAnswer>;
  /** Deletes the namespace, and with it both ends of the veth pair. */
  remove(): Promise<void>;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

// Runs under `ip netns exec` with the same Node as the tests, so a test host needs nothing more.
const GET_SCRIPT = `
const [url, headers] = process.argv.slice(1);
const response = await fetch(url, { headers: JSON.parse(headers), redirect: 'manual' });
process.stdout.write(JSON.stringify({ status: response.status, body: await response.text() }));
`;

const REQUIREMENT =
  'this test creates a test host in a network namespace: it needs iproute2 ' +
  '(Debian: apt-get install iproute2) and root, or CAP_NET_ADMIN and CAP_SYS_ADMIN';

/**
 * Creates a test host on a /30 of 10.0.0.0/8 that no route here covers, chosen at random so
 * that runs in parallel do not meet. Call remove() in afterAll; the test hosts of a test process
 * killed before it could are removed by the next createTestHost.
 */
export async function createTestHost(): Promise<TestHost> {
  const id = randomBytes(4).toString('hex');
  const namespace = `cgw-test-${process.pid}-${id}`;
  // Interface names are limited to 15 characters.
  const outer = `cgw${id}h`;
  const inner = `cgw${id}n`;
  try {
    await execFileAsync('ip', ['netns', 'add', namespace]);
  } catch (error) {
    throw new Error(`${REQUIREMENT} (ip netns add: ${failureText(error)})`);
  }
  const remove = () => ip('netns', 'delete', namespace);
  try {
    await removeOrphans();
    const subnet = await unusedSubnet();
    const listenAddress = dotted(subnet + 1);
    const callerAddress = dotted(subnet + 2);
    await ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner, 'netns', namespace);
    await ip('address', 'add', `${listenAddress}/30`, 'dev', outer);
    await ip('link', 'set', outer, 'up');
    await ip('-n', namespace, 'address', 'add', `${callerAddress}/30`, 'dev', inner);
    await ip('-n', namespace, 'link', 'set', inner, 'up');
    return {
      listenAddress,
      // Asynchronous on purpose: the server under test usually runs in this very process.
      async get(url, headers = {}) {
        const { stdout } = await execFileAsync(
          'ip',
          [
            'netns',
            'exec',
            namespace,
            process.execPath,
            '--input-type=module',
            '-e',
            GET_SCRIPT,
            url,
            JSON.stringify(headers),
          ],
          { timeout: 15_000 },
        );
        return JSON.parse(stdout) as HttpAnswer;
      },
      remove,
    };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** Deletes the test hosts whose test process is gone: killed, it could not run its afterAll. */
async function removeOrphans(): Promise<void> {
  const { stdout } = await execFileAsync('ip', ['-json', 'netns', 'list']);
  // Called once this process's own namespace exists, so the list is never empty.
  for (const { name } of JSON.parse(stdout) as { name: string }[]) {
    const owner = /^cgw-test-(\d+)-[0-9a-f]+$/.exec(name)?.[1];
    if (owner === undefined || isRunning(Number(owner))) continue;
    // Another test process may be deleting the same one at this moment: either way it is gone.
    await execFileAsync('ip', ['netns', 'delete', name]).catch(() => undefined);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function ip(...args: string[]): Promise<void> {
  try {
    await execFileAsync('ip', args, { timeout: 10_000 });
  } catch (error) {
    throw new Error(`ip ${args.join(' ')}: ${failureText(error)}`);
  }
}

function failureText(error: unknown): string {
  if (error instanceof Error && 'stderr' in error && typeof error.stderr === 'string') {
    const stderr = error.stderr.trim();
    if (stderr !== '') return stderr;
  }
  return error instanceof Error ? error.message : String(error);
}

interface Route {
  dst: string;
}

/** The first address of a /30 in 10.0.0.0/8 that overlaps no route in any table here. */
async function unusedSubnet(): Promise<number> {
  const { stdout } = await execFileAsync('ip', ['-json', '-4', 'route', 'show', 'table', 'all']);
  const taken = (JSON.parse(stdout) as Route[])
    .filter((route) => route.dst !== 'default')
    .map((route) => parseCidr(route.dst));
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const candidate = (0x0a000000 | (randomInt(0, 1 << 22) << 2)) >>> 0;
    if (!taken.some((range) => overlaps(range, { first: candidate, bits: 30 }))) return candidate;
  }
  throw new Error('found no /30 in 10.0.0.0/8 that no route here covers, for a test host');
}

interface Range {
  first: number;
  bits: number;
}

function parseCidr(text: string): Range {
  const [address = '', bits = '32'] = text.split('/');
  const octets = address.split('.').map(Number);
  const first = octets.reduce((value, octet) => value * 256 + octet, 0);
  return { first, bits: Number(bits) };
}

function overlaps(a: Range, b: Range): boolean {
  const bits = Math.min(a.bits, b.bits);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (a.first & mask) >>> 0 === (b.first & mask) >>> 0;
}

function dotted(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');
}
