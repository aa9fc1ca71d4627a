import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface OfflineBrowser {
  browser: Browser;
  /** Every request (WebSockets too) to a host other than loopback is refused and recorded. */
  context: BrowserContext;
  blockedRequests: string[];
  close(): Promise<void>;
}

/**
 * Launches Debian's Chromium headless with a context that can reach loopback only, as a developer's
 * browser with no internet access would, and records what it was refused.
 */
export async function openBrowser(): Promise<OfflineBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the browser tests need Debian's Chromium (apt-get install chromium)`,
    );
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const blockedRequests: string[] = [];
  try {
    const context = await browser.newContext();
    await context.route('**/*', async (route) => {
      const url = route.request().url();
      if (isLoopback(url)) {
        await route.continue();
      } else {
        blockedRequests.push(url);
        await route.abort('internetdisconnected');
      }
    });
    // Page routes do not see WebSockets; GraphiQL's subscriptions go over one.
    await context.routeWebSocket(
      (url) => !isLoopback(url.href),
      async (ws) => {
        blockedRequests.push(ws.url());
        await ws.close();
      },
    );
    return { browser, context, blockedRequests, close: () => browser.close() };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

// data: and blob: URLs never leave the page, so they are not network requests to block.
function isLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:') return true;
  return LOOPBACK_HOSTS.has(hostname);
}
