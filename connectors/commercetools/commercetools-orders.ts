import { chunk, type HttpClient } from '../http-client.js';
import type {
  NewOrder,
  Order,
  OrderChange,
  OrderConnector,
  OrderPage,
  OrderPosition,
  OrderStatus,
} from '../orders.js';
import { toImportDraft, toOrder, toUpdateActions } from './mapping.js';
import type { CommercetoolsTokenProvider } from './token-provider.js';
import type { CtOrder, CtOrderImportDraft, CtOrderUpdate, CtPagedQuery } from './wire-types.js';

/** commercetools' largest page is 500; one more than the page size is fetched to see if more follow. */
const MAX_LIMIT = 500;
const MAX_PAGE_SIZE = MAX_LIMIT - 1;
const IDS_PER_QUERY = 100;

/** Orders over the commercetools HTTP API. */
export class CommercetoolsOrderConnector implements OrderConnector {
  readonly #api: HttpClient;
  readonly #tokens: CommercetoolsTokenProvider;
  readonly #ordersPath: string;

  constructor(api: HttpClient, tokens: CommercetoolsTokenProvider, projectKey: string) {
    this.#api = api;
    this.#tokens = tokens;
    // The project key is configuration, not a per-request value, so the route label stays small.
    this.#ordersPath = `/${encodeURIComponent(projectKey)}/orders`;
  }

  async listCustomerOrders(args: {
    ownerId: string;
    first: number;
    after?: OrderPosition;
  }): Promise<OrderPage> {
    return this.#newestFirst(`custom(fields(lmsUserId = ${literal(args.ownerId)}))`, args);
  }

  async listOrdersNeedingAttention(args: {
    failed: readonly OrderStatus[];
    stuck: readonly OrderStatus[];
    stuckSince: string;
    first: number;
    after?: OrderPosition;
  }): Promise<OrderPage> {
    const inStatus = (statuses: readonly OrderStatus[]) =>
      `custom(fields(status in (${statuses.map(literal).join(', ')})))`;
    const stuck = `(${inStatus(args.stuck)} and lastModifiedAt < ${literal(dateTime(args.stuckSince))})`;
    return this.#newestFirst(`(${inStatus(args.failed)} or ${stuck})`, args);
  }

  /** One page of the orders matching `where`, newest first, after the position given. */
  async #newestFirst(
    condition: string,
    args: { first: number; after?: OrderPosition | undefined },
  ): Promise<OrderPage> {
    const first = Math.min(Math.max(Math.trunc(args.first), 0), MAX_PAGE_SIZE);
    let where = condition;
    if (args.after) {
      const at = literal(args.after.placedAt);
      where += ` and (createdAt < ${at} or (createdAt = ${at} and id < ${literal(args.after.id)}))`;
    }
    const query = new URLSearchParams([
      ['where', where],
      ['sort', 'createdAt desc'],
      ['sort', 'id desc'],
      ['limit', String(first + 1)],
      ['withTotal', 'false'],
    ]);
    const page = await this.#query(query);
    return {
      orders: page.results.slice(0, first).map(toOrder),
      hasNextPage: page.results.length > first,
    };
  }

  async getOrders(ids: readonly string[]): Promise<Map<string, Order>> {
    const wanted = [...new Set(ids)].filter((id) => id.length > 0);
    const pages = await Promise.all(
      chunk(wanted, IDS_PER_QUERY).map((batch) =>
        this.#query(
          new URLSearchParams({
            where: `id in (${batch.map(literal).join(', ')})`,
            limit: String(batch.length),
            withTotal: 'false',
          }),
        ),
      ),
    );
    const orders = new Map<string, Order>();
    for (const order of pages.flatMap((page) => page.results)) orders.set(order.id, toOrder(order));
    return orders;
  }

  /** Not retried (a POST never is): the caller finds a created order by its idempotency key. */
  async createOrder(order: NewOrder): Promise<Order> {
    const draft: CtOrderImportDraft = toImportDraft(order);
    const created = await this.#authorized((authorization) =>
      this.#api.post<CtOrder>(`${this.#ordersPath}/import`, {
        json: draft,
        headers: { authorization },
      }),
    );
    return toOrder(created);
  }

  /**
   * One request, all actions or none; a stale version is an UpstreamConflictError (409). Given the
   * order as read (with its status), only the commercetools states that change are sent.
   */
  async updateOrder(
    order: Pick<Order, 'id' | 'version'> & { status?: OrderStatus },
    change: OrderChange,
  ): Promise<Order> {
    const update: CtOrderUpdate = {
      version: order.version,
      actions: toUpdateActions(change, order.status),
    };
    const updated = await this.#authorized((authorization) =>
      this.#api.post<CtOrder>(`${this.#ordersPath}/{id}`, {
        params: { id: order.id },
        json: update,
        headers: { authorization },
      }),
    );
    return toOrder(updated);
  }

  async findOrderByIdempotencyKey(ownerId: string, idempotencyKey: string): Promise<Order | null> {
    // Oldest first: should a race ever have stored two, every caller settles on the same one.
    const page = await this.#query(
      new URLSearchParams([
        [
          'where',
          `custom(fields(lmsUserId = ${literal(ownerId)})) and ` +
            `custom(fields(idempotencyKey = ${literal(idempotencyKey)}))`,
        ],
        ['sort', 'createdAt asc'],
        ['sort', 'id asc'],
        ['limit', '1'],
        ['withTotal', 'false'],
      ]),
    );
    const [found] = page.results;
    return found ? toOrder(found) : null;
  }

  async listOrdersInStatus(
    statuses: readonly OrderStatus[],
    args: { modifiedBefore: string; modifiedAfter?: string; limit: number; offset?: number },
  ): Promise<Order[]> {
    const limit = Number.isFinite(args.limit)
      ? Math.min(Math.max(Math.trunc(args.limit), 0), MAX_LIMIT)
      : 0;
    const offset = Math.min(Math.max(Math.trunc(args.offset ?? 0), 0), MAX_OFFSET);
    const wanted = [...new Set(statuses)];
    if (wanted.length === 0 || limit === 0) return [];
    const conditions = [
      `custom(fields(status in (${wanted.map(literal).join(', ')})))`,
      `lastModifiedAt < ${literal(dateTime(args.modifiedBefore))}`,
      ...(args.modifiedAfter ? [`lastModifiedAt > ${literal(dateTime(args.modifiedAfter))}`] : []),
    ];
    const query = new URLSearchParams([
      ['where', conditions.join(' and ')],
      ['sort', 'lastModifiedAt asc'],
      ['sort', 'id asc'],
      ['limit', String(limit)],
      ['offset', String(offset)],
      ['withTotal', 'false'],
    ]);
    const page = await this.#query(query);
    return page.results.map(toOrder);
  }

  /** Proves both the credentials and the API answer, without creating a token per check. */
  async checkReachable(): Promise<void> {
    await this.#query(new URLSearchParams({ limit: '1', withTotal: 'false' }));
  }

  #query(query: URLSearchParams): Promise<CtPagedQuery<CtOrder>> {
    return this.#authorized((authorization) =>
      this.#api.get<CtPagedQuery<CtOrder>>(this.#ordersPath, { query, headers: { authorization } }),
    );
  }

  #authorized<T>(call: (authorization: string) => Promise<T>): Promise<T> {
    return this.#tokens.authorized(call);
  }
}

/** A where-predicate string literal: backslashes and double quotes escaped. */
export function literal(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** commercetools refuses offsets beyond 10,000. */
const MAX_OFFSET = 10_000;

function dateTime(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new RangeError(`Not a date-time: ${value}`);
  return date.toISOString();
}
