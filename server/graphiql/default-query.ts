/** The token hint shown on the page and at the top of the default query. */
export const TOKEN_HINT =
  'Get a token: npm run token -- alice (or staff) and put it in the Headers tab as {"Authorization": "JWT <token>"}';

/** The first tab on a fresh browser: the micro-frontends' CourseCatalog operation, unchanged. */
export const DEFAULT_QUERY = `# commerce-gateway GraphiQL
# Catalog queries need no credentials. For the others
# (me, checkoutPreview, purchase, order, subscriptions):
#   Get a token: npm run token -- alice (or staff)
#   and put it in the Headers tab as
#   {"Authorization": "JWT <token>"}

query CourseCatalog($first: Int!, $after: String, $search: String) {
  courses(first: $first, after: $after, search: $search) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        key
        title
        runs {
          key
          title
          start
          end
          isEnrollable
          products { sku mode price { amount currencyCode } }
        }
      }
    }
  }
}
`;

export const DEFAULT_VARIABLES = '{\n  "first": 5\n}';
