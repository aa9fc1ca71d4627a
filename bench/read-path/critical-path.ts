import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.js';
import type { UpstreamUrls } from './children.js';
import { keepAliveAgent, requestOk } from './http.js';

/**
 * The upstream requests an operation must wait for, sent as it sends them (one after another,
 * or side by side), straight to the sandbox. Its latency is what the operation would take with a
 * gateway that cost nothing.
 */
export interface CriticalPath {
  /** Human-readable, one line per sequential stage. */
  stages: string[];
  /** Null when the operation waits on no upstream: nothing to send, 0 ms by definition. */
  send: (() => Promise<void>) | null;
}

const CT = SANDBOX_CREDENTIALS.commercetools;

/**
 * MyOrders with warm caches (the steady state): the catalog runs and the terminal payment
 * intents come from Redis, and the owner's enrollments are asked of the LMS while commercetools
 * answers the order page (workflows/orders.ts), so the chain is the slower of the two. Cold, a
 * second stage would wait for Discovery course_runs and up to 8-wide waves of Stripe payment
 * intents, in parallel.
 */
export async function myOrdersCriticalPath(
  upstreams: UpstreamUrls,
  user: { userId: string; username: string },
): Promise<CriticalPath> {
  const ctAgent = keepAliveAgent();
  const lmsAgent = keepAliveAgent();
  const token = await commercetoolsToken(upstreams.commercetools);
  // The same query the order connector sends for a first page of 20 (one extra to see hasNextPage).
  const query = new URLSearchParams([
    ['where', `custom(fields(lmsUserId = "${user.userId}"))`],
    ['sort', 'createdAt desc'],
    ['sort', 'id desc'],
    ['limit', '21'],
    ['withTotal', 'false'],
  ]);
  const ordersUrl = `${upstreams.commercetools}/${CT.projectKey}/orders?${query.toString()}`;
  // The staff list, as the gateway asks it with its service client (LMS_OAUTH_CLIENT_ID).
  const enrollmentsUrl = `${upstreams.lms}/api/enrollment/v1/enrollments/?username=${encodeURIComponent(user.username)}`;
  const ctHeaders = { accept: 'application/json', authorization: `Bearer ${token}` };
  const lmsHeaders = {
    accept: 'application/json',
    authorization: `JWT ${await lmsServiceToken(upstreams.lms)}`,
  };
  return {
    stages: [
      'commercetools GET /{project}/orders (page of 21) alongside LMS GET /api/enrollment/v1/enrollments/?username=…',
    ],
    send: async () => {
      await Promise.all([
        requestOk({ method: 'GET', url: ordersUrl, headers: ctHeaders }, ctAgent),
        requestOk({ method: 'GET', url: enrollmentsUrl, headers: lmsHeaders }, lmsAgent),
      ]);
    },
  };
}

/**
 * CourseCatalog with warm caches (the steady state): the gateway keeps each Discovery listing
 * page for up to 15 s (connectors/discovery/discovery-catalog.ts), so a page asked for again
 * waits on no upstream and the whole of its latency is the gateway's. Cold, or for a page or
 * search not asked for in those seconds, the chain is one Discovery page of courses, which
 * embeds the runs and seats.
 */
export function courseCatalogCriticalPath(): CriticalPath {
  return {
    stages: ['none (Discovery listing pages are kept in the gateway for up to 15 s)'],
    send: null,
  };
}

/** A client-credentials token, fetched once: the gateway caches its token for hours too. */
async function lmsServiceToken(lmsUrl: string): Promise<string> {
  const { clientId, clientSecret } = SANDBOX_CREDENTIALS.lmsServiceClient;
  return tokenFrom(
    await requestOk({
      method: 'POST',
      url: `${lmsUrl}/oauth2/access_token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
        token_type: 'jwt',
      }).toString(),
    }),
    'the LMS',
  );
}

function tokenFrom(answer: { body: string }, issuer: string): string {
  const parsed = JSON.parse(answer.body) as { access_token?: unknown };
  if (typeof parsed.access_token !== 'string') throw new Error(`${issuer} gave no token`);
  return parsed.access_token;
}

/** A token with the scope the gateway asks for (manage_project), fetched once. */
export async function commercetoolsToken(authUrl: string): Promise<string> {
  const basic = Buffer.from(`${CT.clientId}:${CT.clientSecret}`).toString('base64');
  const answer = await requestOk({
    method: 'POST',
    url: `${authUrl}/oauth/token`,
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope: `manage_project:${CT.projectKey}`,
    }).toString(),
  });
  return tokenFrom(answer, 'commercetools');
}
