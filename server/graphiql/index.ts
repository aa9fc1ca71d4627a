import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Router } from 'express';
import type { Request } from 'express';
import { findProjectRoot } from '../project-root.js';
import { DEFAULT_QUERY, DEFAULT_VARIABLES } from './default-query.js';
import { GRAPHIQL_CSP, renderGraphiqlPage } from './page.js';

export interface GraphiqlOptions {
  /** Where the GraphQL endpoint lives, e.g. '/graphql'; the page is served on the same path. */
  endpointPath: string;
  defaultQuery?: string;
}

/** Where the page's static files are served; one path whatever the endpoint is called. */
export const GRAPHIQL_ASSETS_PATH = '/graphiql/assets';

interface Asset {
  file: string;
  /** A content hash: URLs carrying it are cached for good, since another version gets another URL. */
  version: string;
}

/**
 * Serves GraphiQL on `GET <endpointPath>` to browsers (Accept prefers text/html) and leaves every
 * other request to the next handler (Apollo Server). Everything the page needs is served from
 * node_modules and server/graphiql/assets, so it works with no internet access.
 */
export function createGraphiqlRouter(options: GraphiqlOptions): Router {
  const assets = resolveAssets();
  const assetUrl = (name: string): string => {
    const asset = assets.get(name);
    if (!asset) throw new Error(`GraphiQL asset ${name} is not registered`);
    return `${GRAPHIQL_ASSETS_PATH}/${name}?v=${asset.version}`;
  };
  const html = renderGraphiqlPage(
    {
      endpointPath: options.endpointPath,
      defaultQuery: options.defaultQuery ?? DEFAULT_QUERY,
      defaultVariables: DEFAULT_VARIABLES,
    },
    {
      styles: ['graphiql.min.css', 'page.css'].map(assetUrl),
      scripts: [
        'react.production.min.js',
        'react-dom.production.min.js',
        'graphiql.min.js',
        'bootstrap.js',
      ].map(assetUrl),
    },
  );

  const router = Router();

  router.get(options.endpointPath, (req, res, next) => {
    if (!prefersHtml(req)) {
      next();
      return;
    }
    res
      .set({
        'Content-Security-Policy': GRAPHIQL_CSP,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-cache',
        Vary: 'Accept',
      })
      .type('html')
      .send(html);
  });

  // A developer typing the bare address meets the explorer rather than a 404.
  router.get('/', (req, res, next) => {
    if (prefersHtml(req)) res.redirect(options.endpointPath);
    else next();
  });

  router.get(`${GRAPHIQL_ASSETS_PATH}/:name`, (req, res, next) => {
    const asset = assets.get(req.params.name);
    if (!asset) {
      next();
      return;
    }
    const pinned = req.query.v === asset.version;
    res.sendFile(
      asset.file,
      {
        maxAge: pinned ? '365d' : 0,
        immutable: pinned,
        headers: {
          'X-Content-Type-Options': 'nosniff',
          'Cross-Origin-Resource-Policy': 'same-origin',
        },
      },
      (error) => {
        // A client that went away mid-file has already had its headers; nothing left to tell it.
        if (error && !res.headersSent) next(error);
      },
    );
  });

  return router;
}

// The media types Apollo Server answers with, in its order: a client that accepts any of them as
// much as HTML (curl's */*, fetch's default) gets GraphQL, as Apollo's own landing page decides.
const GRAPHQL_MEDIA_TYPES = [
  'application/json',
  'application/graphql-response+json',
  'multipart/mixed',
  'text/html',
];

function prefersHtml(req: Request): boolean {
  return req.get('accept') !== undefined && req.accepts(GRAPHQL_MEDIA_TYPES) === 'text/html';
}

function resolveAssets(): Map<string, Asset> {
  const root = findProjectRoot();
  const require = createRequire(path.join(root, 'package.json'));
  const packageDir = (name: string): string =>
    path.dirname(require.resolve(`${name}/package.json`));
  const react = packageDir('react');
  const reactDom = packageDir('react-dom');
  const graphiql = packageDir('graphiql');
  const own = path.join(root, 'server', 'graphiql', 'assets');

  // React 18 is the last React with UMD builds; graphiql's UMD bundles graphql and the graphql-ws
  // client itself and only expects the React and ReactDOM globals.
  const files: Record<string, string> = {
    'react.production.min.js': path.join(react, 'umd', 'react.production.min.js'),
    'react-dom.production.min.js': path.join(reactDom, 'umd', 'react-dom.production.min.js'),
    'graphiql.min.js': path.join(graphiql, 'graphiql.min.js'),
    // graphiql.min.js names its source map after the file it was copied from.
    'index.umd.js.map': path.join(graphiql, 'graphiql.min.js.map'),
    'graphiql.min.css': path.join(graphiql, 'graphiql.min.css'),
    'bootstrap.js': path.join(own, 'bootstrap.js'),
    'page.css': path.join(own, 'page.css'),
  };
  return new Map(
    Object.entries(files).map(([name, file]) => [name, { file, version: hashFile(file) }]),
  );
}

function hashFile(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);
}
