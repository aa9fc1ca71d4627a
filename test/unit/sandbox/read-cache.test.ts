import { describe, expect, it } from 'vitest';
import { ReadCache } from '../../../sandbox/read-cache.js';

describe('sandbox read cache', () => {
  it('builds an answer once per key until the data changes', () => {
    const cache = new ReadCache();
    let data = { version: 1 };
    let builds = 0;
    const read = () =>
      cache.json('/orders?where=x', () => {
        builds += 1;
        return data;
      });
    expect(read()).toBe('{"version":1}');
    expect(read()).toBe('{"version":1}');
    expect(builds).toBe(1);
    data = { version: 2 };
    cache.changed();
    expect(read()).toBe('{"version":2}');
    expect(builds).toBe(2);
  });

  it('keeps nothing for a build that throws', () => {
    const cache = new ReadCache();
    let fail = true;
    const read = () =>
      cache.json('k', () => {
        if (fail) throw new Error('malformed query');
        return [1];
      });
    expect(read).toThrow('malformed query');
    fail = false;
    expect(read()).toBe('[1]');
  });

  // Reads a, b, c (a goes), then c and b again from the cache, then a, which is built again.
  const evictsTheOldest = (cache: ReadCache, answer: (key: string) => string) => {
    let builds = 0;
    const read = (key: string) =>
      cache.json(key, () => {
        builds += 1;
        return answer(key);
      });
    for (const key of ['a', 'b', 'c']) read(key);
    expect(builds).toBe(3);
    for (const key of ['c', 'b']) read(key);
    expect(builds).toBe(3);
    read('a');
    expect(builds).toBe(4);
  };

  it('drops the oldest answers beyond its bound', () => {
    evictsTheOldest(new ReadCache({ maxEntries: 2 }), (key) => key);
  });

  it('drops the oldest answers beyond its size in characters, however few', () => {
    // 12 characters of JSON each: the third takes the total to 36, over 25.
    evictsTheOldest(new ReadCache({ maxChars: 25 }), (key) => key.repeat(10));
  });
});
