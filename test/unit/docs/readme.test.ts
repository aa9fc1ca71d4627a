import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEMO_COURSES } from '../../../sandbox/demo-catalog.js';
import { CONFIG_VARIABLES } from '../../../server/config.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const sandboxMain = readFileSync(new URL('../../../sandbox/main.ts', import.meta.url), 'utf8');

/** The variables named in the first column of the README's tables. */
const documented = new Set(
  readme
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)])
    .map((match) => match[1]),
);

describe('the README', () => {
  it('has a configuration row for every variable the gateway reads', () => {
    expect(CONFIG_VARIABLES.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('has a row for every variable npm run sandbox reads', () => {
    const read = [...sandboxMain.matchAll(/(?:process\.env\.|FromEnv\(')([A-Z][A-Z0-9_]+)/g)].map(
      (match) => match[1],
    );
    expect(read).toEqual(expect.arrayContaining(['SANDBOX_PORT', 'SANDBOX_WEBHOOK_URL']));
    expect(read.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('names every seat mode the demo catalog sells', () => {
    const modes = new Set(
      DEMO_COURSES.flatMap((course) =>
        course.runs.flatMap((run) => run.seats.map((seat) => seat.mode)),
      ),
    );
    const demoData = readme.slice(readme.indexOf('Demo data:'), readme.indexOf('### Buying'));
    for (const mode of modes) expect(demoData).toContain(`\`${mode}\``);
  });
});
