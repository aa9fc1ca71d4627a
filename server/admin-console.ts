import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { Router, type RequestHandler, type Response } from 'express';
import { credentialsFromHeaders, type Authenticator } from './auth.js';

export const ADMIN_CONSOLE_PATH = '/admin/queues';

const require = createRequire(import.meta.url);
const FONT_DIRECTORY = dirname(require.resolve('@fontsource/ubuntu/400.css'));
// bull-board's page asks Google for its font; the same font is served from the gateway instead.
const REMOTE_FONT = /<link[^>]+href="https:\/\/fonts\.googleapis\.com[^>]*>/g;
const LOCAL_FONT = ['300', '400', '500']
  .map((weight) => `<link href="fonts/${weight}.css" rel="stylesheet">`)
  .join('');
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * `/admin/queues`: bull-board's console of the order queue (failed jobs with their errors, retry,
 * remove), for staff only. Anyone else gets a bare 401 or 403. The console's API is driven by the
 * page with the edX session cookies, so a request that changes something and came with cookies
 * must come from the gateway's own pages (Origin or Sec-Fetch-Site), never from another site.
 */
export function createAdminConsole(deps: { queue: Queue; authenticate: Authenticator }): Router {
  const board = new ExpressAdapter();
  board.setBasePath(ADMIN_CONSOLE_PATH);
  createBullBoard({
    queues: [new BullMQAdapter(deps.queue, { allowRetries: true, description: 'Order jobs' })],
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'Order jobs' } },
  });

  const router = Router();
  router.use(staffOnly(deps.authenticate));
  router.use(sameOriginChanges);
  router.use('/fonts', express.static(FONT_DIRECTORY, { index: false, fallthrough: false }));
  router.use(servePageWithLocalFonts);
  router.use(board.getRouter() as RequestHandler);
  return router;
}

function staffOnly(authenticate: Authenticator): RequestHandler {
  return (req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    authenticate(credentialsFromHeaders(req.headers)).then((auth) => {
      if (auth.viewer === null) res.status(401).end();
      else if (!auth.viewer.isStaff) res.status(403).end();
      else next();
    }, next);
  };
}

const sameOriginChanges: RequestHandler = (req, res, next) => {
  // A token in the Authorization header is never sent by a browser on its own: no forgery there.
  if (SAFE_METHODS.has(req.method) || req.headers.authorization) return next();
  const site = req.header('sec-fetch-site');
  const origin = req.header('origin');
  const sameOrigin =
    site === 'same-origin' ||
    (site === undefined && origin !== undefined && hostOf(origin) === req.header('host'));
  if (sameOrigin) return next();
  res.status(403).end();
};

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

/** Rewrites bull-board's rendered page so that it loads nothing from outside the gateway. */
const servePageWithLocalFonts: RequestHandler = (_req, res, next) => {
  const render = res.render.bind(res) as (
    view: string,
    options: object | undefined,
    callback: (error: Error | null, html: string) => void,
  ) => void;
  (res as Response & { render: (view: string, options?: object) => void }).render = (
    view,
    options,
  ) =>
    render(view, options, (error, html) => {
      if (error) return next(error);
      res.type('html').send(html.replace(REMOTE_FONT, LOCAL_FONT));
    });
  next();
};
