import { createHash, randomBytes, randomUUID } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function toBase62(bytes: Uint8Array, length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += BASE62[(bytes[i % bytes.length] ?? 0) % 62];
  return out;
}

function digest(seed: string): Buffer {
  return createHash('sha256').update(seed).digest();
}

/** A UUID (version 4 layout) derived from a seed, so demo data is the same on every start. */
export function seededUuid(seed: string): string {
  const bytes = digest(seed);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A Stripe-style id (`pi_…`, `re_…`) derived from a seed. */
export function seededStripeId(prefix: string, seed: string, length = 24): string {
  return `${prefix}_${toBase62(digest(seed), length)}`;
}

/** A fresh Stripe-style id for objects created at run time. */
export function randomStripeId(prefix: string, length = 24): string {
  return `${prefix}_${toBase62(randomBytes(length), length)}`;
}

export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

export { randomUUID };

/** A 7-character uppercase hex SKU derived from a seed. */
export function seededSku(seed: string): string {
  return digest(seed).toString('hex').slice(0, 7).toUpperCase();
}
