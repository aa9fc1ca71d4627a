import { describe, expect, it } from 'vitest';
import { isAllowedOrigin } from '../../../server/origins.js';

describe('allowed origins', () => {
  const patterns = ['http://localhost:*', 'https://learning.example.org'];

  it.each(['http://localhost:3000', 'http://localhost', 'https://learning.example.org'])(
    'allows %s',
    (origin) => expect(isAllowedOrigin(origin, patterns)).toBe(true),
  );

  it.each([
    'https://localhost:3000',
    'http://localhost.evil.example:3000',
    'https://learning.example.org.evil.example',
    'https://evil.example',
    'null',
    'https://learning.example.org/path',
    'not a url',
  ])('refuses %s', (origin) => expect(isAllowedOrigin(origin, patterns)).toBe(false));
});
