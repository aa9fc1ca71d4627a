import { TOKEN_HINT } from './default-query.js';

/**
 * No inline script at all: the bootstrap is a static file and its settings travel in a JSON data
 * block, which browsers never execute. Styles need 'unsafe-inline': GraphiQL's Radix UI dialogs
 * inject a <style> element whose text varies (the scroll-bar gap), so no hash can cover it. Fonts and icons are data: URIs inside
 * graphiql.min.css. ws:/wss: is for subscriptions over graphql-ws on the same path.
 */
export const GRAPHIQL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface PageSettings {
  endpointPath: string;
  defaultQuery: string;
  defaultVariables: string;
}

/** The stylesheets and scripts the page loads, in order, as URLs the router serves. */
export interface PageAssets {
  styles: string[];
  scripts: string[];
}

export function renderGraphiqlPage(settings: PageSettings, assets: PageAssets): string {
  const styles = assets.styles.map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`);
  // defer keeps document order, so React and ReactDOM are globals before graphiql and bootstrap run.
  const scripts = assets.scripts.map((src) => `<script defer src="${escapeHtml(src)}"></script>`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>commerce-gateway · GraphiQL</title>
${styles.join('\n')}
<script type="application/json" id="graphiql-settings">${jsonForScriptBlock(settings)}</script>
${scripts.join('\n')}
</head>
<body>
<header class="gateway-hint">${escapeHtml(TOKEN_HINT)}</header>
<main id="graphiql"><p class="gateway-loading">Loading GraphiQL…</p></main>
<noscript>GraphiQL needs JavaScript.</noscript>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

// "<" would let the query text close the data block ("</script>") or open a comment.
function jsonForScriptBlock(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
