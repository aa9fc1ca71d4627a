/**
 * Whether a browser origin may call the gateway (CORS) or open a WebSocket to it.
 * Patterns are exact origins, or origins whose port is `*` (http://localhost:*).
 */
export function isAllowedOrigin(origin: string, patterns: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (parsed.origin !== origin) return false;
  return patterns.some((pattern) => {
    if (pattern.endsWith(':*')) {
      const base = pattern.slice(0, -2);
      return `${parsed.protocol}//${parsed.hostname}` === base;
    }
    return pattern === origin;
  });
}
