import { UpstreamRejectedError } from '../errors.js';
import { chunk, type HttpClient } from '../http-client.js';
import type { Order, OrderConnector, OrderPage, OrderPosition } from '../orders.js';
import { toOrder } from './mapping.js';
import type { CommercetoolsTokenProvider } from './token-provider.js';
import type { CtOrder, CtPagedQuery } from './wire-types.js';

/** commercetools' largest page is 500; one more than the page size is fetched to see if more follow. */
const MAX_PAGE_SIZE = 499;
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
    const first = Math.min(Math.max(Math.trunc(args.first), 0), MAX_PAGE_SIZE);
    let where = `custom(fields(lmsUserId = ${literal(args.ownerId)}))`;
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

  /** Proves both the credentials and the API answer, without creating a token per check. */
  async checkReachable(): Promise<void> {
    await this.#query(new URLSearchParams({ limit: '1', withTotal: 'false' }));
  }

  #query(query: URLSearchParams): Promise<CtPagedQuery<CtOrder>> {
    return this.#authorized((authorization) =>
      this.#api.get<CtPagedQuery<CtOrder>>(this.#ordersPath, { query, headers: { authorization } }),
    );
  }

  /** Runs `call` with a bearer token, renewing it once if commercetools says it is no longer valid. */
  async #authorized<T>(call: (authorization: string) => Promise<T>): Promise<T> {
    const token = await this.#tokens.getToken();
    try {
      return await call(`Bearer ${token}`);
    } catch (error) {
      if (!(error instanceof UpstreamRejectedError && error.statusCode === 401)) throw error;
      if (error.detail !== 'invalid_token') throw error;
      this.#tokens.invalidate(token);
      return call(`Bearer ${await this.#tokens.getToken()}`);
    }
  }
}

/** A where-predicate string literal: backslashes and double quotes escaped. */
function literal(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
