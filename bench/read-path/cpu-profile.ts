import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of V8's .cpuprofile format (what `node --cpu-prof` writes) this summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  label: string;
  ms: number;
  /** Share of the sampled time that was not idle. */
  share: number;
}

export interface ProfileSummary {
  file: string;
  busyMs: number;
  idleMs: number;
  byPlace: ProfileLine[];
  byFunction: ProfileLine[];
}

/** Summarises the newest profile in `dir`: self time per package/file and per function. */
export function summariseNewestProfile(dir: string, repoRoot: string, top: number): ProfileSummary {
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread; others (the
  // tracing loader's hook thread) would otherwise be picked when they exit last.
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile') && name.split('.')[4] === '0')
    .sort();
  const newest = files.at(-1);
  if (!newest) throw new Error(`No .cpuprofile in ${dir}`);
  const file = join(dir, newest);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;

  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let idleMs = 0;
  for (const node of profile.nodes) {
    const ms = selfMs.get(node.id) ?? 0;
    if (ms === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    const place = placeOf(url, functionName, repoRoot);
    byPlace.set(place, (byPlace.get(place) ?? 0) + ms);
    const fn = `${functionName || '(anonymous)'}  ${place}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
  }
  const busyMs = [...byPlace.values()].reduce((sum, ms) => sum + ms, 0);
  const ranked = (map: Map<string, number>): ProfileLine[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([label, ms]) => ({ label, ms, share: busyMs > 0 ? ms / busyMs : 0 }));
  return { file, busyMs, idleMs, byPlace: ranked(byPlace), byFunction: ranked(byFunction) };
}

/** A package name for dependencies, a repo-relative file for our code, or V8's own category. */
function placeOf(url: string, functionName: string, repoRoot: string): string {
  if (url === '') return functionName; // (garbage collector), (program), native code
  if (url.startsWith('node:')) return url;
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [scopeOrName, name] = path.slice(modules + '/node_modules/'.length).split('/');
    return scopeOrName?.startsWith('@') ? `${scopeOrName}/${name ?? ''}` : (scopeOrName ?? path);
  }
  return path.startsWith(repoRoot) ? path.slice(repoRoot.length + 1) : path;
}
