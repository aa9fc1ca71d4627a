import { UpstreamRejectedError } from '../errors.js';
import type { HttpClient } from '../http-client.js';
import type { CtTokenResponse } from './wire-types.js';

/** Renew this long before expiry (at most a tenth of the lifetime) so no request carries a token that dies in flight. */
const RENEW_MARGIN_SECONDS = 300;

export interface TokenProviderOptions {
  projectKey: string;
  clientId: string;
  clientSecret: string;
}

/** commercetools OAuth2 client-credentials tokens, cached in memory and fetched single-flight. */
export class CommercetoolsTokenProvider {
  readonly #auth: HttpClient;
  readonly #options: TokenProviderOptions;
  #token: { value: string; renewAt: number } | null = null;
  #pending: Promise<string> | null = null;

  /** `auth` is a client for the auth URL, not the API URL. */
  constructor(auth: HttpClient, options: TokenProviderOptions) {
    this.#auth = auth;
    this.#options = options;
  }

  getToken(): Promise<string> {
    if (this.#token && Date.now() < this.#token.renewAt) return Promise.resolve(this.#token.value);
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  /** Runs `call` with a bearer token, renewing it once if commercetools says it is no longer valid. */
  async authorized<T>(call: (authorization: string) => Promise<T>): Promise<T> {
    const token = await this.getToken();
    try {
      return await call(`Bearer ${token}`);
    } catch (error) {
      if (!(error instanceof UpstreamRejectedError && error.statusCode === 401)) throw error;
      if (error.detail !== 'invalid_token') throw error;
      this.invalidate(token);
      return call(`Bearer ${await this.getToken()}`);
    }
  }

  /** Forgets `token` if it is still the cached one, so a burst of 401s causes one renewal. */
  invalidate(token: string): void {
    if (this.#token?.value === token) this.#token = null;
  }

  async #fetch(): Promise<string> {
    const { projectKey, clientId, clientSecret } = this.#options;
    const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
    const answer = await this.#auth.post<CtTokenResponse>('/oauth/token', {
      form: { grant_type: 'client_credentials', scope: `manage_project:${projectKey}` },
      headers: { authorization: `Basic ${basic}` },
    });
    const lifetime = Math.max(answer.expires_in, 0);
    const margin = Math.min(RENEW_MARGIN_SECONDS, lifetime / 10);
    this.#token = { value: answer.access_token, renewAt: Date.now() + (lifetime - margin) * 1000 };
    return answer.access_token;
  }
}
