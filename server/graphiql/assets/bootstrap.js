// Starts GraphiQL on the gateway's page. A static file rather than an inline script so that the
// page's Content-Security-Policy can say script-src 'self' and nothing more. Its settings come
// from the page's JSON data block; React, ReactDOM and GraphiQL are the UMD globals loaded before.
/* global React, ReactDOM, GraphiQL */
(() => {
  'use strict';

  const settings = JSON.parse(document.getElementById('graphiql-settings').textContent);
  const url = new URL(settings.endpointPath, window.location.href);
  // Subscriptions: graphql-ws (subprotocol graphql-transport-ws) on the same path. The headers
  // editor's contents become the connection params, so a pasted Authorization header works there too.
  const subscriptionUrl = new URL(url);
  subscriptionUrl.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';

  // Queries and mutations are POSTed as application/json, which is not a "simple" content type,
  // so Apollo Server's CSRF prevention lets them through without an apollo-require-preflight header.
  const fetcher = GraphiQL.createFetcher({ url: url.href, subscriptionUrl: subscriptionUrl.href });

  // GraphiQL 4 fills the variables editor from the `variables` prop or local storage only, never
  // from defaultTabs, so a browser with no saved tabs gets the defaults as (uncontrolled) props.
  const firstVisit = readStorage('graphiql:tabState') === null;
  const defaults = firstVisit
    ? { query: settings.defaultQuery, variables: settings.defaultVariables }
    : {};

  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher,
      ...defaults,
      defaultQuery: settings.defaultQuery,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      // Keeps a pasted {"Authorization": "JWT <token>"} across reloads (local storage).
      shouldPersistHeaders: true,
    }),
  );

  function readStorage(key) {
    try {
      return window.localStorage.getItem(key);
    } catch {
      return null; // storage disabled: GraphiQL then keeps nothing either
    }
  }
})();
