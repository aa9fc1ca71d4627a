import { ClientCredentialsTokens, type IssuedToken } from '../client-credentials.js';
import type { HttpClient } from '../http-client.js';

/**
 * JWTs of the gateway's staff service user, from the LMS's OAuth2 provider (django-oauth-toolkit)
 * by the client-credentials grant, sent as `Authorization: JWT …` (the LMS's JwtAuthentication).
 * `auth` is a client for the LMS that sends no API key.
 */
export function lmsServiceTokensFor(
  auth: HttpClient,
  client: { clientId: string; clientSecret: string },
): ClientCredentialsTokens {
  return new ClientCredentialsTokens({
    issue: () =>
      auth.post<IssuedToken>('/oauth2/access_token', {
        form: {
          grant_type: 'client_credentials',
          client_id: client.clientId,
          client_secret: client.clientSecret,
          token_type: 'jwt',
        },
      }),
    scheme: 'JWT',
    // The LMS answers 401 to an expired or unreadable JWT and 403 to a user who is not staff:
    // only the first is cured by a new token.
    refusedToken: () => true,
  });
}
