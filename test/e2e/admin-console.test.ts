import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSeat } from '../../sandbox/demo-data.js';
import { openBrowser, type OfflineBrowser } from '../support/browser.js';
import { signToken, tokenFor } from '../support/client.js';
import {
  newLearner,
  payWithSandboxCard,
  purchase,
  waitForOrderStatus,
} from '../support/commerce.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const ENROLL = { method: 'POST', path: '/api/enrollment/v1/enrollment' };
const SEAT = demoSeat('course-v1:SandboxX+DS201+3T2026', 'verified');

/** The edX session cookies for a token, as the LMS sets them. */
function sessionCookies(token: string): string {
  const [header, payload, signature] = token.split('.');
  return `edx-jwt-cookie-header-payload=${header}.${payload}; edx-jwt-cookie-signature=${signature}`;
}

describe('the staff console at /admin/queues', () => {
  let gw: TestGateway;
  let staff: string;
  let learner: string;
  beforeAll(async () => {
    gw = await startTestGateway({ JOB_BACKOFF_MS: '50' });
    staff = await tokenFor('staff');
    learner = await tokenFor('alice');
  });
  afterAll(() => gw.close());

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}${path}`, { headers });

  it('answers anyone but staff with a bare 401 or 403', async () => {
    const forged = await signToken(
      { user_id: 9, preferred_username: 'mallory', administrator: true },
      'another-secret-of-32-characters!!',
    );
    const cases: [Record<string, string>, number][] = [
      [{}, 401],
      [{ authorization: `JWT ${forged}` }, 401],
      [{ authorization: 'Basic YWRtaW46YWRtaW4=' }, 401],
      [{ cookie: 'edx-jwt-cookie-header-payload=a.b' }, 401],
      [{ authorization: `JWT ${learner}` }, 403],
      [{ cookie: sessionCookies(learner) }, 403],
    ];
    for (const path of [
      '/admin/queues',
      '/admin/queues/api/queues',
      '/admin/queues/fonts/400.css',
    ]) {
      for (const [headers, status] of cases) {
        const response = await get(path, headers);
        expect(response.status, `${path} ${JSON.stringify(headers)}`).toBe(status);
        expect(await response.text()).toBe('');
      }
    }
  });

  it('serves staff a page that loads nothing from elsewhere, fonts included', async () => {
    const response = await get('/admin/queues', { authorization: `JWT ${staff}` });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('href="fonts/400.css"');
    const css = await get('/admin/queues/fonts/400.css', { cookie: sessionCookies(staff) });
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await css.text()).toMatch(/font-family: 'Ubuntu'/);
  });

  it('refuses a change sent with cookies from another site', async () => {
    const retry = `${gw.url}/admin/queues/api/queues/orders/no-such-job/retry`;
    const cookie = sessionCookies(staff);
    const refused: Record<string, string>[] = [
      { cookie },
      { cookie, origin: 'https://evil.example' },
      { cookie, origin: 'null' },
      { cookie, 'sec-fetch-site': 'cross-site', origin: gw.url },
      { cookie, 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of refused) {
      const response = await fetch(retry, { method: 'PUT', headers });
      expect(response.status, JSON.stringify(headers)).toBe(403);
    }
    // From the console's own page, or with a token no browser sends by itself, it goes through
    // (to bull-board, which knows no such job).
    const allowed: Record<string, string>[] = [
      { cookie, origin: gw.url },
      { cookie, 'sec-fetch-site': 'same-origin' },
      { authorization: `JWT ${staff}` },
    ];
    for (const headers of allowed) {
      const response = await fetch(retry, { method: 'PUT', headers });
      expect(response.status, JSON.stringify(headers)).toBe(404);
    }
  });

  describe('in a browser with no internet access', () => {
    let browser: OfflineBrowser;
    beforeAll(async () => {
      browser = await openBrowser();
    });
    afterAll(() => browser?.close());

    async function signIn(token: string | null) {
      await browser.context.clearCookies();
      if (!token) return;
      const [header, payload, signature] = token.split('.');
      const host = new URL(gw.url).hostname;
      await browser.context.addCookies([
        {
          name: 'edx-jwt-cookie-header-payload',
          value: `${header}.${payload}`,
          domain: host,
          path: '/',
        },
        { name: 'edx-jwt-cookie-signature', value: signature!, domain: host, path: '/' },
      ]);
    }

    it('lets staff see a failed job with its error, retry it, and the order is FULFILLED', async () => {
      const buyer = await newLearner('console');
      const placed = await purchase(gw.url, buyer.token, [SEAT.sku], randomUUID());
      const orderId = placed.order!.id;
      gw.sandbox.lms!.injectFault({ status: 400, count: 1, ...ENROLL });
      await payWithSandboxCard(gw.sandbox, placed.payment!.id);
      await waitForOrderStatus(gw.url, buyer.token, orderId, 'FULFILLMENT_ERROR');
      // The one refusal injected is spent: the LMS accepts again.

      await signIn(staff);
      const page = await browser.context.newPage();
      await page.goto(`${gw.url}/admin/queues/queue/orders?status=failed`);
      const card = page
        .getByText(`OrderPaid-fulfillment-${orderId}`, { exact: true })
        .locator('xpath=ancestor::div[.//button][1]/..');
      await card.getByRole('button', { name: 'Error', exact: true }).click();
      await expect
        .poll(() => card.innerText(), { timeout: 15_000 })
        .toContain(`order ${orderId} ended FULFILLMENT_ERROR`);

      await card.locator('span[data-title="Retry"] button').click();
      const dialog = page.getByRole('alertdialog');
      await dialog.getByRole('button', { name: /confirm|retry|yes/i }).click();
      await waitForOrderStatus(gw.url, buyer.token, orderId, 'FULFILLED');
      await page.close();
      expect(browser.blockedRequests).toEqual([]);
    });

    it('shows a learner and an anonymous browser nothing', async () => {
      for (const [token, status] of [
        [learner, 403],
        [null, 401],
      ] as const) {
        await signIn(token);
        const page = await browser.context.newPage();
        const url = `${gw.url}/admin/queues`;
        const answered = page.waitForResponse(url);
        // Chromium reports an error status with an empty body as a failed navigation.
        await page.goto(url).catch(() => undefined);
        const response = await answered;
        expect(response.status()).toBe(status);
        // What the server sent, with the same cookie jar (Chromium shows its own error page).
        const direct = await browser.context.request.get(url);
        expect(direct.status()).toBe(status);
        expect((await direct.body()).length).toBe(0);
        await page.close();
      }
      expect(browser.blockedRequests).toEqual([]);
    });
  });
});
