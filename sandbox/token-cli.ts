import { SANDBOX_CREDENTIALS } from './credentials.js';

/**
 * `npm run token -- alice`: asks the sandbox LMS for a demo user's JWT, as a front end's login
 * would, and prints it ready for GraphiQL's Headers tab.
 */
async function main(): Promise<void> {
  const username = process.argv[2] ?? 'alice';
  const gatewayPort = Number(process.env['PORT'] ?? 4000);
  const lmsUrl = process.env['LMS_URL'] ?? `http://127.0.0.1:${gatewayPort + 102}`;
  let response: Response;
  try {
    response = await fetch(`${lmsUrl}/oauth2/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        username,
        password: process.env['SANDBOX_PASSWORD'] ?? SANDBOX_CREDENTIALS.demoPassword,
        token_type: 'jwt',
      }),
    });
  } catch {
    fail(`No sandbox LMS answers at ${lmsUrl}: start the gateway with npm start first.`);
  }
  if (!response.ok) fail(`The LMS refused the login of ${username} (${response.status}).`);
  const { access_token: token } = (await response.json()) as { access_token: string };
  process.stdout.write(
    `Token for ${username} (valid for one hour). In GraphiQL's Headers tab:\n\n` +
      `{"Authorization": "JWT ${token}"}\n`,
  );
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

await main();
