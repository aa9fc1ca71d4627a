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

  it('drops the oldest answers beyond its bound', () => {
    const cache = new ReadCache({ maxEntries: 2 });
    let builds = 0;
    const read = (key: string) =>
      cache.json(key, () => {
        builds += 1;
        return key;
      });
    read('a');
    read('b');
    read('c');
    expect(builds).toBe(3);
    read('c');
    read('b');
    expect(builds).toBe(3);
    read('a');
    expect(builds).toBe(4);
  });

  it('drops the oldest answers beyond its size in characters, however few', () => {
    const cache = new ReadCache({ maxChars: 25 });
    let builds = 0;
    const read = (key: string) =>
      cache.json(key, () => {
        builds += 1;
        return key.repeat(10);
      });
    read('a'); // 12 characters of JSON
    read('b'); // 24 in all
    read('c'); // 36: 'a' goes
    expect(builds).toBe(3);
    read('c');
    read('b');
    expect(builds).toBe(3);
    read('a');
    expect(builds).toBe(4);
  });
});
