import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';

/**
 * Query limits, enforced before anything executes, so one request cannot make the gateway (or
 * the upstreams behind it) do unbounded work. Sized for the contract's operations with room to spare.
 */
export const QUERY_LIMITS = {
  maxDepth: 12,
  maxAliases: 15,
  maxDirectives: 20,
  maxTokens: 2000,
  maxCost: 5000,
} as const;

/** Apollo Server options (plugins, validation rules, parser options) that enforce QUERY_LIMITS. */
export function queryLimitProtection() {
  const armor = new ApolloArmor({
    maxDepth: { n: QUERY_LIMITS.maxDepth, exposeLimits: true, flattenFragments: true },
    maxAliases: { n: QUERY_LIMITS.maxAliases, exposeLimits: true },
    maxDirectives: { n: QUERY_LIMITS.maxDirectives, exposeLimits: true },
    // graphql-armor counts tokens by parsing again in a hook Apollo does not guard, so a syntax
    // error there became a 500; Apollo's own parser enforces the cap instead (parseOptions).
    maxTokens: { enabled: false },
    costLimit: { maxCost: QUERY_LIMITS.maxCost, exposeLimits: true },
    // Suggestions help developers; production hides them (ApolloServerPluginDisableSuggestions).
    blockFieldSuggestion: { enabled: false },
  });
  const { plugins, validationRules } = armor.protect();
  // graphql-armor's declarations resolve Apollo's CommonJS typings; the objects are the same.
  return {
    plugins: plugins as unknown as ApolloServerPlugin<BaseContext>[],
    validationRules,
    parseOptions: { maxTokens: QUERY_LIMITS.maxTokens },
  };
}
