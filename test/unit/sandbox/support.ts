import { startSandbox } from '../../../sandbox/index.js';
import type { Sandbox, SandboxOptions, SandboxServer } from '../../../sandbox/index.js';

export interface JsonAnswer<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** A request whose answer is parsed as JSON (or left as text when it is not JSON). */
export async function call<T = unknown>(
  url: string,
  init: RequestInit = {},
): Promise<JsonAnswer<T>> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? '' : (JSON.parse(text) as unknown);
  } catch {
    // Not JSON: the test sees the text.
  }
  return { status: response.status, headers: response.headers, body: body as T };
}

export function form(fields: Record<string, string>): URLSearchParams {
  return new URLSearchParams(fields);
}

export async function sandboxFor(options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox(options);
}

/** The server, which the test started, so it exists. */
export function started<T extends SandboxServer>(server: T | undefined): T {
  if (!server) throw new Error('the sandbox did not start this upstream');
  return server;
}

export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
