import { DateTimeResolver } from 'graphql-scalars';
import { describe, expect, it } from 'vitest';

import { DateTimeScalar } from '../../../resolvers/date-time.js';

/** What clients got before: graphql-scalars' Date, as JSON.stringify writes it. */
const textBefore = (value: unknown): unknown =>
  (JSON.parse(JSON.stringify({ at: DateTimeResolver.serialize(value) })) as { at: unknown }).at;

describe('DateTime scalar', () => {
  it('answers the same text clients got from graphql-scalars, first time and remembered', () => {
    const values = [
      '2026-09-01T00:00:00Z',
      '2026-09-01T00:00:00.000Z',
      '2026-11-23T09:09:00.123456Z',
      '2024-02-29T23:59:59+02:00',
      '2026-03-01T12:00:00-05:30',
      new Date('2026-01-02T03:04:05.006Z'),
      1_795_707_305_794,
    ];
    for (const value of values) {
      expect(DateTimeScalar.serialize(value)).toBe(textBefore(value));
      expect(DateTimeScalar.serialize(value)).toBe(textBefore(value));
    }
  });

  it('refuses an invalid text every time: a failure is never remembered', () => {
    for (const invalid of ['2025-02-29T00:00:00Z', '2026-13-01T00:00:00Z', 'yesterday', '']) {
      expect(() => DateTimeScalar.serialize(invalid)).toThrow(/DateTime cannot represent/);
      expect(() => DateTimeScalar.serialize(invalid)).toThrow(/DateTime cannot represent/);
    }
    expect(() => DateTimeScalar.serialize(new Date(Number.NaN))).toThrow(/invalid Date/);
    expect(() => DateTimeScalar.serialize({})).toThrow(/DateTime cannot be serialized/);
  });

  it('reads variables and literals as graphql-scalars does', () => {
    const text = '2026-09-01T00:00:00Z';
    expect(DateTimeScalar.parseValue(text)).toEqual(DateTimeResolver.parseValue(text));
    expect(() => DateTimeScalar.parseValue('nope')).toThrow(/DateTime cannot represent/);
  });
});
