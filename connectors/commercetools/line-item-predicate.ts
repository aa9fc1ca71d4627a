import type { DiscountTarget } from '../discounts.js';

/**
 * Reads the line-item predicates of cart discount targets that the gateway can apply itself:
 * `1 = 1` (every line), `sku = "…"`, `sku in ("…", "…")`, and these joined with `or`. Anything
 * else is `unsupported`, which applies to no line: a discount is never granted on a guess.
 */
export function readLineItemTarget(predicate: string): DiscountTarget {
  const tokens = tokenize(predicate);
  if (!tokens) return unsupported(predicate);
  const skus = new Set<string>();
  let position = 0;
  const next = () => tokens[position++];
  for (;;) {
    const first = next();
    if (first === '1') {
      if (next() !== '=' || next() !== '1') return unsupported(predicate);
      return { kind: 'all-lines' };
    }
    if (first !== 'sku') return unsupported(predicate);
    const operator = next();
    if (operator === '=') {
      const value = next();
      if (!isString(value)) return unsupported(predicate);
      skus.add(value.text);
    } else if (operator === 'in') {
      if (next() !== '(') return unsupported(predicate);
      for (;;) {
        const value = next();
        if (!isString(value)) return unsupported(predicate);
        skus.add(value.text);
        const separator = next();
        if (separator === ')') break;
        if (separator !== ',') return unsupported(predicate);
      }
    } else {
      return unsupported(predicate);
    }
    const joiner = next();
    if (joiner === undefined) return { kind: 'skus', skus };
    if (joiner !== 'or') return unsupported(predicate);
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
