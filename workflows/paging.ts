import type { z } from 'zod';
import { BadInputError } from './errors.js';

export const MAX_PAGE_SIZE = 100;

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface Connection<Node> {
  pageInfo: PageInfo;
  edges: { cursor: string; node: Node }[];
}

/** Rejects page sizes outside 1..MAX_PAGE_SIZE, so no caller can ask an upstream for everything. */
export function checkPageSize(first: number): void {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new BadInputError(`first must be between 1 and ${MAX_PAGE_SIZE}.`);
  }
}

/** One page of a list paged by offset (catalog, programs), with the list's total. */
export function offsetConnection<Node>(
  start: number,
  nodes: readonly Node[],
  totalCount: number,
): Connection<Node> & { totalCount: number } {
  const edges = nodes.map((node, index) => ({
    cursor: encodeCursor({ offset: start + index }),
    node,
  }));
  return {
    totalCount,
    pageInfo: {
      hasNextPage: start + edges.length < totalCount,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    edges,
  };
}

/** Cursors are opaque to clients: base64url of a small JSON position. */
export function encodeCursor(position: object): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

const MAX_CURSOR_LENGTH = 512;

/** Decodes a cursor this gateway issued; anything else is BAD_USER_INPUT, never a crash. */
export function decodeCursor<Position>(cursor: string, schema: z.ZodType<Position>): Position {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new BadInputError('after is not a valid cursor.');
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new BadInputError('after is not a valid cursor.');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new BadInputError('after is not a valid cursor.');
  return parsed.data;
}
