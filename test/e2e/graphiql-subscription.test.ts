import { randomUUID } from 'node:crypto';
import type { Locator, Page, WebSocket } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSeat } from '../../sandbox/demo-data.js';
import { openBrowser } from '../support/browser.js';
import type { OfflineBrowser } from '../support/browser.js';
import { contractOperation, signToken } from '../support/client.js';
import { payWithSandboxCard, purchase } from '../support/commerce.js';
import { startTestGateway } from '../support/gateway.js';
import type { TestGateway } from '../support/gateway.js';

const ORDER_STATUS = contractOperation('OrderStatus');
const COURSE_RUN = 'course-v1:SandboxX+FIN210+3T2026';

let gateway: TestGateway;
let browser: OfflineBrowser;

beforeAll(async () => {
  gateway = await startTestGateway({ JOB_BACKOFF_MS: '50' });
  browser = await openBrowser();
});

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
});

describe('GraphiQL subscriptions in a browser with no internet access', () => {
  it('watches an order with OrderStatus from PENDING_PAYMENT to FULFILLED as it is paid', async () => {
    const token = await signToken({
      user_id: 9201,
      preferred_username: 'graphiql-watcher',
      email: 'graphiql-watcher@example.com',
    });
    const placed = await purchase(
      gateway.url,
      token,
      [demoSeat(COURSE_RUN, 'verified').sku],
      randomUUID(),
    );
    expect(placed.userErrors).toEqual([]);
    const orderId = placed.order!.id;
    const paymentId = placed.payment!.id;

    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    const sockets: WebSocket[] = [];
    page.on('websocket', (socket) => sockets.push(socket));

    await page.goto(`${gateway.url}/graphql`);
    const queryEditor = page.locator('.graphiql-query-editor .CodeMirror');
    await queryEditor.waitFor({ timeout: 15_000 });

    // A developer pastes the contract's subscription over the default query...
    await replaceEditorText(page, queryEditor, ORDER_STATUS);
    // ...its variables into the Variables tab...
    await page.locator('.graphiql-editor-tools button', { hasText: 'Variables' }).click();
    await replaceEditorText(page, visibleToolEditor(page), JSON.stringify({ orderId }));
    // ...and a token into the Headers tab, which GraphiQL sends as the connection params.
    await page.locator('.graphiql-editor-tools button', { hasText: 'Headers' }).click();
    await replaceEditorText(
      page,
      visibleToolEditor(page),
      JSON.stringify({ Authorization: `JWT ${token}` }),
    );
    await expect.poll(() => editorValue(queryEditor)).toContain('orderStatusChanged');

    await page.locator('.graphiql-execute-button').click();

    // The order's current state comes first.
    const result = page.locator('.result-window');
    const shownStatus = async () => /"status": "([A-Z_]+)"/.exec(await result.innerText())?.[1];
    await expect.poll(shownStatus, { timeout: 15_000 }).toBe('PENDING_PAYMENT');
    expect(await result.innerText()).toContain(orderId);

    // Paid in the sandbox, the order is fulfilled and GraphiQL shows the latest result.
    expect(await payWithSandboxCard(gateway.sandbox, paymentId)).toBe(200);
    await expect.poll(shownStatus, { timeout: 20_000 }).toBe('FULFILLED');
    const shown = await result.innerText();
    expect(shown).toContain(orderId);
    expect(shown).not.toContain('"errors"');
    expect(shown).not.toContain('PENDING_PAYMENT');

    if (process.env['GRAPHIQL_SCREENSHOT']) {
      await page.screenshot({ path: process.env['GRAPHIQL_SCREENSHOT'] });
    }

    // The subscription went over graphql-ws to the gateway's own /graphql, nowhere else...
    expect(sockets.map((socket) => socket.url())).toEqual([
      `${gateway.url.replace(/^http/, 'ws')}/graphql`,
    ]);
    // ...and the stop button ends it: with nothing left to watch the client closes the socket.
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(() => sockets[0]!.isClosed(), { timeout: 10_000 }).toBe(true);
    expect(await shownStatus()).toBe('FULFILLED');

    expect(problems).toEqual([]);
    expect(browser.blockedRequests).toEqual([]);
    await page.close();
  });
});

/** The CodeMirror of the Variables or Headers tab that is showing. */
function visibleToolEditor(page: Page): Locator {
  return page.locator('.graphiql-editor-tool .CodeMirror').filter({ visible: true });
}

/** Replaces a CodeMirror editor's text as a paste would (no auto-closed brackets), and checks it. */
async function replaceEditorText(page: Page, editor: Locator, text: string): Promise<void> {
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
  await expect.poll(() => editorValue(editor)).toBe(text);
}

/** The whole text of a CodeMirror 5 editor (innerText would give only its rendered lines). */
function editorValue(editor: Locator): Promise<string> {
  return editor.evaluate((element) =>
    (element as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue(),
  );
}
