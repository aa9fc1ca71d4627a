/**
 * Replies and client errors that mean "Redis cannot serve this now" (down, failing over, a
 * demoted master, a cluster without its slots) as opposed to a bug in a command. ioredis gives
 * most of them no class of their own, so they are told apart by name and message.
 */
const OUTAGE_REPLIES =
  /^(READONLY|LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOREPLICAS|MOVED|ASK|BUSY)\b/;
const OUTAGE_MESSAGES =
  /Command timed out|Connection is closed|enableOfflineQueue options is false|max retries per request|Too many Cluster redirections|Failed to refresh slots cache|sentinels are unreachable|None of the sentinels|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE/;
const OUTAGE_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);

/** True when the error says Redis is unavailable or cannot take writes right now. */
export function isRedisOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    OUTAGE_NAMES.has(error.name) ||
    OUTAGE_REPLIES.test(error.message) ||
    OUTAGE_MESSAGES.test(error.message)
  );
}
