import type { DiscountTarget } from '../discounts.js';

/**
 * Reads the line-item predicates of cart discount targets that the gateway can apply itself:
 * `1 = 1` (every line), `sku = "…"`, `sku in ("…", "…")`, and these joined with `or`. Anything
 * else is `unsupported`, which applies to no line: a discount is never granted on a guess.
 */
export function readLineItemTarget(predicate: string): DiscountTarget {
  const tokens = tokenize(predicate);
  if (!tokens) return unsupported(predicate);
  const reader = { tokens, position: 0 };
  const skus = new Set<string>();
  let everyLine = false;
  for (;;) {
    const term = readTerm(reader);
    if (term === null) return unsupported(predicate);
    if (term === 'every-line') everyLine = true;
    else for (const sku of term) skus.add(sku);
    const joiner = reader.tokens[reader.position++];
    if (joiner === undefined) return everyLine ? { kind: 'all-lines' } : { kind: 'skus', skus };
    if (joiner !== 'or') return unsupported(predicate);
  }
}

/** One `1 = 1`, `sku = "…"` or `sku in (…)`: every line, the SKUs it names, or null. */
function readTerm(reader: { tokens: Token[]; position: number }): 'every-line' | string[] | null {
  const next = () => reader.tokens[reader.position++];
  const first = next();
  if (first === '1') return next() === '=' && next() === '1' ? 'every-line' : null;
  if (first !== 'sku') return null;
  const operator = next();
  if (operator === '=') {
    const value = next();
    return isString(value) ? [value.text] : null;
  }
  if (operator !== 'in' || next() !== '(') return null;
  const skus: string[] = [];
  for (;;) {
    const value = next();
    if (!isString(value)) return null;
    skus.push(value.text);
    const separator = next();
    if (separator === ')') return skus;
    if (separator !== ',') return null;
  }
}

/** True for the predicate commercetools writes for "every cart". */
export function isAlwaysTrue(predicate: string | undefined): boolean {
  return predicate === undefined || /^\s*(1\s*=\s*1|true)\s*$/.test(predicate);
}

type Token = string | { text: string };

function isString(token: Token | undefined): token is { text: string } {
  return typeof token === 'object';
}

function tokenize(input: string): Token[] | null {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input.charAt(i);
    if (/\s/.test(c)) {
      i += 1;
    } else if ('=(),'.includes(c)) {
      tokens.push(c);
      i += 1;
    } else if (c === '"') {
      let text = '';
      i += 1;
      while (i < input.length && input.charAt(i) !== '"') {
        if (input.charAt(i) === '\\') i += 1;
        text += input.charAt(i);
        i += 1;
      }
      if (i >= input.length) return null;
      tokens.push({ text });
      i += 1;
    } else {
      const word = /^[A-Za-z0-9_.]+/.exec(input.slice(i))?.[0];
      if (!word) return null;
      tokens.push(
        word.toLowerCase() === 'or' || word.toLowerCase() === 'in' ? word.toLowerCase() : word,
      );
      i += word.length;
    }
  }
  return tokens;
}

function unsupported(predicate: string): DiscountTarget {
  return { kind: 'unsupported', description: predicate.slice(0, 200) };
}
