import { UpstreamRejectedError } from './errors.js';

/** Renew this long before expiry (at most a tenth of the lifetime) so no request carries a token that dies in flight. */
const RENEW_MARGIN_SECONDS = 300;

/** An OAuth2 access token as an authorization server issues it. */
export interface IssuedToken {
  access_token: string;
  expires_in: number;
}

export interface ClientCredentialsOptions {
  /** Asks the authorization server for a new token (the client-credentials grant). */
  issue: () => Promise<IssuedToken>;
  /** The `Authorization` scheme the API wants the token under: `Bearer`, or the LMS's `JWT`. */
  scheme: string;
  /** Whether the API refused a token it no longer takes (expired, revoked): renew and retry once. */
  refusedToken: (error: UpstreamRejectedError) => boolean;
}

/** OAuth2 client-credentials tokens of one client, cached in memory and fetched single-flight. */
export class ClientCredentialsTokens {
  readonly #options: ClientCredentialsOptions;
  #token: { value: string; renewAt: number } | null = null;
  #pending: Promise<string> | null = null;

  constructor(options: ClientCredentialsOptions) {
    this.#options = options;
  }

  getToken(): Promise<string> {
    if (this.#token && Date.now() < this.#token.renewAt) return Promise.resolve(this.#token.value);
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  /** Runs `call` with the token's `Authorization` value, renewing it once if the API refuses it. */
  async authorized<T>(call: (authorization: string) => Promise<T>): Promise<T> {
    const { scheme, refusedToken } = this.#options;
    const token = await this.getToken();
    try {
      return await call(`${scheme} ${token}`);
    } catch (error) {
      if (!(error instanceof UpstreamRejectedError && error.statusCode === 401)) throw error;
      if (!refusedToken(error)) throw error;
      this.invalidate(token);
      return call(`${scheme} ${await this.getToken()}`);
    }
  }

  /** Forgets `token` if it is still the cached one, so a burst of 401s causes one renewal. */
  invalidate(token: string): void {
    if (this.#token?.value === token) this.#token = null;
  }

  async #fetch(): Promise<string> {
    const answer = await this.#options.issue();
    const lifetime = Math.max(answer.expires_in, 0);
    const margin = Math.min(RENEW_MARGIN_SECONDS, lifetime / 10);
    this.#token = { value: answer.access_token, renewAt: Date.now() + (lifetime - margin) * 1000 };
    return answer.access_token;
  }
}
