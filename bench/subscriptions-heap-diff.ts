/**
 * `node dist/bench/subscriptions-heap-diff.js BEFORE.heapsnapshot IDLE.heapsnapshot N`: where the
 * gateway's heap per connection goes, from the two snapshots `bench:subscriptions --heap-snapshots`
 * writes. Prints, per constructor (V8's node name: the class for objects, "(closure)" names the
 * function), how many more objects and bytes (self size) the idle heap holds, divided by N.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: (string[] | string)[] } };
  nodes: number[];
  strings: string[];
}

interface Tally {
  count: number;
  bytes: number;
}

/** Objects and bytes by "type:name", skipping V8's synthetic and hidden nodes. */
function tally(path: string): Map<string, Tally> {
  const data = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = data.snapshot.meta.node_fields;
  const types = data.snapshot.meta.node_types[0] as string[];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const result = new Map<string, Tally>();
  for (let i = 0; i < data.nodes.length; i += width) {
    const type = types[data.nodes[i + typeAt]!]!;
    if (type === 'synthetic') continue;
    let name =
      type === 'object' || type === 'closure' ? data.strings[data.nodes[i + nameAt]!]! : '';
    // Strings and numbers are named by their value: group them by type alone.
    if (type === 'closure') name = `${name}()`;
    const key = `${type}:${name.slice(0, 60)}`;
    const entry = result.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += data.nodes[i + sizeAt]!;
    result.set(key, entry);
  }
  return result;
}

const [beforePath, idlePath, perArg = '1', topArg = '45'] = process.argv.slice(2);
if (!beforePath || !idlePath) {
  process.stderr.write('usage: subscriptions-heap-diff BEFORE IDLE [N] [top]\n');
  process.exit(2);
}
const per = Number(perArg);
const before = tally(beforePath);
const idle = tally(idlePath);
const rows: { key: string; count: number; bytes: number }[] = [];
let total = 0;
for (const [key, now] of idle) {
  const was = before.get(key) ?? { count: 0, bytes: 0 };
  const bytes = now.bytes - was.bytes;
  total += bytes;
  rows.push({ key, count: now.count - was.count, bytes });
}
for (const [key, was] of before) {
  if (!idle.has(key)) {
    total -= was.bytes;
    rows.push({ key, count: -was.count, bytes: -was.bytes });
  }
}
rows.sort((a, b) => b.bytes - a.bytes);
console.log(`heap growth per connection: ${(total / per).toFixed(0)} bytes (self sizes, N=${per})`);
console.log('bytes/conn  objects/conn  type:constructor');
for (const row of rows.slice(0, Number(topArg))) {
  console.log(
    `${(row.bytes / per).toFixed(0).padStart(10)}  ${(row.count / per).toFixed(2).padStart(12)}  ${row.key}`,
  );
}
