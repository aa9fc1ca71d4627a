/**
 * The subset of commercetools' query predicate language the gateway uses (see
 * docs/upstream-apis.md): a tokenizer and a recursive-descent parser producing a tree that is
 * evaluated against stored orders, plus the `sort` expressions.
 *
 *   predicate  := disjunction
 *   disjunction:= conjunction ("or" conjunction)*
 *   conjunction:= unary ("and" unary)*
 *   unary      := "not" "(" predicate ")" | "(" predicate ")" | condition
 *   condition  := FIELD "(" predicate ")"                       nested object or array (any element)
 *               | FIELD op literal | FIELD ["not"] "in" "(" literal ("," literal)* ")"
 *               | FIELD "is" ["not"] "defined"
 */

export class PredicateError extends Error {}

type Literal = string | number | boolean;
type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type Predicate =
  | { kind: 'and' | 'or'; left: Predicate; right: Predicate }
  | { kind: 'not'; inner: Predicate }
  | { kind: 'nested'; field: string; inner: Predicate }
  | { kind: 'compare'; field: string; type: FieldType; op: Operator; value: Literal }
  | { kind: 'in'; field: string; type: FieldType; values: Literal[]; negated: boolean }
  | { kind: 'defined'; field: string; negated: boolean };

/** `any` is for custom fields, whose names and types the order's custom type decides. */
type FieldType = 'string' | 'number' | 'datetime' | 'any';
/** `any-fields`: an object whose fields are all `any` (custom fields). */
export type Scope = Schema | 'any-fields';
export interface Schema {
  readonly [field: string]: FieldType | Scope;
}
const ANY_FIELDS = 'any-fields';

export const ORDER_SCHEMA: Schema = {
  id: 'string',
  version: 'number',
  orderNumber: 'string',
  customerEmail: 'string',
  createdAt: 'datetime',
  lastModifiedAt: 'datetime',
  orderState: 'string',
  paymentState: 'string',
  totalPrice: { centAmount: 'number', currencyCode: 'string' },
  custom: { fields: ANY_FIELDS },
  lineItems: {
    id: 'string',
    productId: 'string',
    variant: { sku: 'string' },
    custom: { fields: ANY_FIELDS },
  },
};

/** The fields of a discount code a `where` may name. */
export const DISCOUNT_CODE_SCHEMA: Schema = {
  id: 'string',
  key: 'string',
  code: 'string',
  createdAt: 'datetime',
  lastModifiedAt: 'datetime',
};

/** The fields of a cart discount a `where` may name. */
export const CART_DISCOUNT_SCHEMA: Schema = {
  id: 'string',
  key: 'string',
  sortOrder: 'string',
  createdAt: 'datetime',
  lastModifiedAt: 'datetime',
};

/** The line-item fields a cart discount's target predicate may name. */
export const LINE_ITEM_TARGET_SCHEMA: Schema = {
  sku: 'string',
  productId: 'string',
  quantity: 'number',
};

type Token =
  | { type: 'ident'; text: string; at: number }
  | { type: 'string'; value: string; at: number }
  | { type: 'number'; value: number; at: number }
  | { type: 'op'; text: Operator; at: number }
  | { type: '(' | ')' | ',' | 'end'; at: number };

function describe(token: Token): string {
  switch (token.type) {
    case 'ident':
    case 'op':
      return `'${token.text}'`;
    case 'string':
      return `"${token.value}"`;
    case 'number':
      return String(token.value);
    case 'end':
      return 'end of input';
    default:
      return `'${token.type}'`;
  }
}

function fail(message: string, at: number): never {
  throw new PredicateError(`${message} (line 1, column ${at + 1})`);
}

export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input.charAt(i);
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: c, at: i });
      i += 1;
    } else if (c === '"') {
      const start = i;
      let value = '';
      i += 1;
      while (i < input.length && input.charAt(i) !== '"') {
        if (input.charAt(i) === '\\') i += 1;
        if (i >= input.length) break;
        value += input.charAt(i);
        i += 1;
      }
      if (i >= input.length) fail('Unterminated string literal', start);
      i += 1;
      tokens.push({ type: 'string', value, at: start });
    } else if (/[-\d]/.test(c)) {
      const match = /^-?\d+(\.\d+)?/.exec(input.slice(i));
      if (!match) fail(`Invalid input '${c}'`, i);
      tokens.push({ type: 'number', value: Number(match[0]), at: i });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const text = /^[A-Za-z_][A-Za-z0-9_]*/.exec(input.slice(i))?.[0] ?? c;
      tokens.push({ type: 'ident', text, at: i });
      i += text.length;
    } else {
      const op = /^(<=|>=|!=|<>|=|<|>)/.exec(input.slice(i))?.[0];
      if (!op) fail(`Invalid input '${c}'`, i);
      tokens.push({ type: 'op', text: op === '<>' ? '!=' : (op as Operator), at: i });
      i += op.length;
    }
  }
  tokens.push({ type: 'end', at: input.length });
  return tokens;
}

class Parser {
  private position = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(schema: Scope): Predicate {
    const predicate = this.disjunction(schema);
    const next = this.peek();
    if (next.type !== 'end')
      fail(`Unexpected ${describe(next)}, expected 'and', 'or' or end of input`, next.at);
    return predicate;
  }

  private peek(): Token {
    return this.tokens[this.position] ?? { type: 'end', at: 0 };
  }

  private next(): Token {
    const token = this.peek();
    if (token.type !== 'end') this.position += 1;
    return token;
  }

  private isKeyword(word: string, offset = 0): boolean {
    const token = this.tokens[this.position + offset];
    return token?.type === 'ident' && token.text.toLowerCase() === word;
  }

  private expect(type: '(' | ')', context: string): void {
    const token = this.next();
    if (token.type !== type)
      fail(`Unexpected ${describe(token)}, expected '${type}' ${context}`, token.at);
  }

  private disjunction(schema: Scope): Predicate {
    let left = this.conjunction(schema);
    while (this.isKeyword('or')) {
      this.next();
      left = { kind: 'or', left, right: this.conjunction(schema) };
    }
    return left;
  }

  private conjunction(schema: Scope): Predicate {
    let left = this.unary(schema);
    while (this.isKeyword('and')) {
      this.next();
      left = { kind: 'and', left, right: this.unary(schema) };
    }
    return left;
  }

  private unary(schema: Scope): Predicate {
    const token = this.peek();
    if (this.isKeyword('not') && this.tokens[this.position + 1]?.type === '(') {
      this.next();
      this.next();
      const inner = this.disjunction(schema);
      this.expect(')', "to close 'not('");
      return { kind: 'not', inner };
    }
    if (token.type === '(') {
      this.next();
      const inner = this.disjunction(schema);
      this.expect(')', 'to close the group');
      return inner;
    }
    return this.condition(schema);
  }

  private condition(schema: Scope): Predicate {
    const token = this.next();
    if (token.type !== 'ident')
      fail(`Unexpected ${describe(token)}, expected a field name`, token.at);
    const field = token.text;
    const fieldSchema =
      schema === ANY_FIELDS ? 'any' : Object.hasOwn(schema, field) ? schema[field] : undefined;
    if (fieldSchema === undefined) fail(`Unknown field '${field}'`, token.at);
    const isObject = typeof fieldSchema === 'object' || fieldSchema === ANY_FIELDS;
    if (this.peek().type === '(') {
      if (!isObject) fail(`Field '${field}' is not an object`, token.at);
      this.next();
      const inner = this.disjunction(fieldSchema);
      this.expect(')', `to close '${field}('`);
      return { kind: 'nested', field, inner };
    }
    if (isObject) fail(`Field '${field}' is an object; use ${field}(…)`, token.at);
    return this.comparison(field, fieldSchema);
  }

  private comparison(field: string, type: FieldType): Predicate {
    const token = this.next();
    if (token.type === 'op')
      return { kind: 'compare', field, type, op: token.text, value: this.literal(type) };
    if (token.type === 'ident') {
      const word = token.text.toLowerCase();
      if (word === 'is') {
        const negated = this.isKeyword('not');
        if (negated) this.next();
        const defined = this.next();
        if (defined.type !== 'ident' || defined.text.toLowerCase() !== 'defined') {
          fail(`Unexpected ${describe(defined)}, expected 'defined'`, defined.at);
        }
        return { kind: 'defined', field, negated };
      }
      const negated = word === 'not';
      if (negated && !this.isKeyword('in'))
        fail(`Unexpected ${describe(this.peek())}, expected 'in'`, this.peek().at);
      if (negated) this.next();
      if (word === 'in' || negated) {
        this.expect('(', `after 'in'`);
        const values = [this.literal(type)];
        while (this.peek().type === ',') {
          this.next();
          values.push(this.literal(type));
        }
        this.expect(')', "to close the 'in' list");
        return { kind: 'in', field, type, values, negated };
      }
    }
    return fail(
      `Unexpected ${describe(token)}, expected an operator (=, !=, <, <=, >, >=, in, is defined) after '${field}'`,
      token.at,
    );
  }

  private literal(type: FieldType): Literal {
    const token = this.next();
    if (token.type === 'ident' && (token.text === 'true' || token.text === 'false')) {
      if (type !== 'any')
        fail(`Unexpected ${describe(token)}, expected a ${type} literal`, token.at);
      return token.text === 'true';
    }
    if (token.type === 'string') {
      if (type === 'number') fail(`Unexpected ${describe(token)}, expected a number`, token.at);
      if (type === 'datetime' && Number.isNaN(Date.parse(token.value))) {
        fail(`Malformed date-time literal ${describe(token)}`, token.at);
      }
      return token.value;
    }
    if (token.type === 'number') {
      if (type === 'string' || type === 'datetime')
        fail(`Unexpected ${describe(token)}, expected a string literal`, token.at);
      return token.value;
    }
    return fail(`Unexpected ${describe(token)}, expected a literal`, token.at);
  }
}

export function parsePredicate(input: string, schema: Scope = ORDER_SCHEMA): Predicate {
  return new Parser(tokenize(input)).parse(schema);
}

/** Orders values of one field; datetimes by instant, so `…:00Z` equals `…:00.000Z`. */
function compareValues(actual: unknown, expected: Literal, type: FieldType): number | undefined {
  if (type === 'datetime') {
    const a = typeof actual === 'string' ? Date.parse(actual) : Number.NaN;
    const b = typeof expected === 'string' ? Date.parse(expected) : Number.NaN;
    return Number.isNaN(a) || Number.isNaN(b) ? undefined : a - b;
  }
  if (typeof actual !== typeof expected) return undefined;
  if (typeof actual === 'string' && typeof expected === 'string')
    return actual < expected ? -1 : actual > expected ? 1 : 0;
  if (typeof actual === 'number' && typeof expected === 'number') return actual - expected;
  if (typeof actual === 'boolean') return actual === expected ? 0 : undefined;
  return undefined;
}

function holds(op: Operator, order: number): boolean {
  switch (op) {
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
}

/** Whether the object satisfies the predicate; a missing field satisfies no comparison. */
export function matches(predicate: Predicate, object: unknown): boolean {
  const record =
    typeof object === 'object' && object !== null ? (object as Record<string, unknown>) : {};
  switch (predicate.kind) {
    case 'and':
      return matches(predicate.left, object) && matches(predicate.right, object);
    case 'or':
      return matches(predicate.left, object) || matches(predicate.right, object);
    case 'not':
      return !matches(predicate.inner, object);
    case 'nested': {
      const value = record[predicate.field];
      if (Array.isArray(value)) return value.some((item) => matches(predicate.inner, item));
      return typeof value === 'object' && value !== null && matches(predicate.inner, value);
    }
    case 'defined': {
      const defined = record[predicate.field] !== undefined && record[predicate.field] !== null;
      return defined !== predicate.negated;
    }
    case 'compare': {
      const order = compareValues(record[predicate.field], predicate.value, predicate.type);
      return order !== undefined && holds(predicate.op, order);
    }
    case 'in': {
      const value = record[predicate.field];
      if (value === undefined || value === null) return false;
      const found = predicate.values.some((v) => compareValues(value, v, predicate.type) === 0);
      return found !== predicate.negated;
    }
  }
}

export interface SortKey {
  field: 'createdAt' | 'lastModifiedAt' | 'id' | 'orderNumber' | 'version';
  descending: boolean;
}

const SORT_FIELDS: readonly SortKey['field'][] = [
  'createdAt',
  'lastModifiedAt',
  'id',
  'orderNumber',
  'version',
];

export function parseSort(input: string): SortKey {
  const match = /^\s*([A-Za-z]+)\s+(asc|desc)\s*$/i.exec(input);
  const field = SORT_FIELDS.find((f) => f === match?.[1]);
  if (!match || !field) {
    throw new PredicateError(
      `Invalid sort expression '${input}': expected FIELD asc|desc with FIELD one of ${SORT_FIELDS.join(', ')}`,
    );
  }
  return { field, descending: match[2]?.toLowerCase() === 'desc' };
}

/** A comparator over several sort keys, with `id` as the final tie-breaker for stable pages. */
export function orderComparator<T extends object>(
  keys: readonly SortKey[],
): (a: T, b: T) => number {
  const all = keys.some((k) => k.field === 'id')
    ? keys
    : [...keys, { field: 'id' as const, descending: false }];
  return (a, b) => {
    for (const key of all) {
      const type =
        key.field === 'createdAt' || key.field === 'lastModifiedAt'
          ? 'datetime'
          : key.field === 'version'
            ? 'number'
            : 'string';
      const left: unknown = (a as Record<string, unknown>)[key.field];
      const right: unknown = (b as Record<string, unknown>)[key.field];
      // A missing value (an order without orderNumber) sorts first, as an empty string would.
      const order =
        compareValues(
          left ?? '',
          typeof right === 'number' || typeof right === 'string' ? right : '',
          type,
        ) ?? 0;
      if (order !== 0) return key.descending ? -order : order;
    }
    return 0;
  };
}
