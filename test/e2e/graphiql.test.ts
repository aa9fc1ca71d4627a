import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser } from '../support/browser.js';
import type { OfflineBrowser } from '../support/browser.js';
import { startTestGateway } from '../support/gateway.js';
import type { TestGateway } from '../support/gateway.js';

const COURSE_CATALOG = `query CourseCatalog($first: Int!) {
  courses(first: $first) { edges { node { key title } } }
}`;

interface CatalogResult {
  data?: { courses: { edges: { node: { key: string; title: string } }[] } };
}

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway();
});

afterAll(async () => {
  await gateway?.close();
});

function getPage(accept: string): Promise<Response> {
  return fetch(`${gateway.url}/graphql`, { headers: { accept } });
}

describe('GraphiQL page over plain HTTP', () => {
  it('is served to browsers with a strict Content-Security-Policy', async () => {
    const response = await getPage('text/html,application/xhtml+xml,*/*;q=0.8');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(csp).toContain("connect-src 'self' ws: wss:");
    const html = await response.text();
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1|localhost)/);
    expect(html).not.toMatch(/<script(?![^>]*(\bsrc=|type="application\/json"))/);
  });

  it('references only its own assets, each served with its content type and a long cache', async () => {
    const html = await (await getPage('text/html')).text();
    const urls = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((match) => match[1] ?? '');
    const expectedType = (url: string): RegExp =>
      url.includes('.css') ? /^text\/css/ : /^(application|text)\/javascript/;

    expect(urls.length).toBeGreaterThanOrEqual(5);
    for (const url of urls) {
      expect(url).toMatch(/^\/graphiql\/assets\//);
      const response = await fetch(new URL(url, gateway.url));
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type'), url).toMatch(expectedType(url));
      expect(response.headers.get('cache-control'), url).toMatch(/max-age=31536000/);
      expect(response.headers.get('x-content-type-options'), url).toBe('nosniff');
      await response.arrayBuffer();
    }
  });

  it('leaves JSON clients to Apollo Server', async () => {
    for (const accept of ['application/json', '*/*']) {
      const response = await getPage(accept);
      expect(response.headers.get('content-type'), accept).not.toMatch(/^text\/html/);
      expect(await response.text(), accept).not.toContain('graphiql-settings');
    }
  });
});

describe('GraphiQL in a browser with no internet access', () => {
  let browser: OfflineBrowser;

  beforeAll(async () => {
    browser = await openBrowser();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('runs CourseCatalog with the run button and shows the courses', async () => {
    const expected = await firstCourseTitle();
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });

    await page.goto(`${gateway.url}/graphql`);
    await page.locator('.graphiql-execute-button').click();

    const result = page.locator('.result-window');
    await expect.poll(() => result.innerText(), { timeout: 15_000 }).toContain(expected);
    await expect.poll(() => result.innerText()).toContain('"edges"');

    // A developer pastes a token into the Headers tab: it is kept and sent with the next run.
    await page.locator('.graphiql-editor-tools button', { hasText: 'Headers' }).click();
    const headersEditor = page
      .locator('.graphiql-editor-tool .CodeMirror')
      .filter({ visible: true });
    await headersEditor.click();
    await page.keyboard.insertText('{"Authorization": "JWT not-a-real-token"}');
    const sent = page.waitForRequest((request) => request.method() === 'POST');
    await page.locator('.graphiql-execute-button').click();
    expect((await sent).headers()['authorization']).toBe('JWT not-a-real-token');
    // GraphiQL stores editor contents a moment after the last keystroke.
    const stored = () => page.evaluate(() => localStorage.getItem('graphiql:headers') ?? '');
    await expect.poll(stored).toContain('JWT not-a-real-token');

    expect(problems).toEqual([]);
    expect(browser.blockedRequests).toEqual([]);
  });
});

async function firstCourseTitle(): Promise<string> {
  const response = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: COURSE_CATALOG, variables: { first: 5 } }),
  });
  const body = (await response.json()) as CatalogResult;
  const title = body.data?.courses.edges[0]?.node.title;
  if (!title) throw new Error(`CourseCatalog returned no course: ${JSON.stringify(body)}`);
  return title;
}
