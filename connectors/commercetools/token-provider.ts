import { ClientCredentialsTokens } from '../client-credentials.js';
import type { HttpClient } from '../http-client.js';
import type { CtTokenResponse } from './wire-types.js';

export interface TokenProviderOptions {
  projectKey: string;
  clientId: string;
  clientSecret: string;
}

/** commercetools OAuth2 client-credentials tokens, cached in memory and fetched single-flight. */
export class CommercetoolsTokenProvider extends ClientCredentialsTokens {
  /** `auth` is a client for the auth URL, not the API URL. */
  constructor(auth: HttpClient, options: TokenProviderOptions) {
    const { projectKey, clientId, clientSecret } = options;
    const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
    super({
      issue: () =>
        auth.post<CtTokenResponse>('/oauth/token', {
          form: { grant_type: 'client_credentials', scope: `manage_project:${projectKey}` },
          headers: { authorization: `Basic ${basic}` },
        }),
      scheme: 'Bearer',
      // commercetools names a token it no longer takes; any other 401 is not the token's age.
      refusedToken: (error) => error.detail === 'invalid_token',
    });
  }
}
