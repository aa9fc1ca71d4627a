/**
 * The floor under the read path's figures: a Node HTTP server that, for each POST, reads the
 * body, sends the operation's critical path (the upstream requests the gateway must wait for,
 * exactly as the bench sends them straight to the sandbox) and answers the gateway's own answer,
 * kept as text. No GraphQL, no authentication, no parsing of upstream answers. What it adds over
 * the critical path, at the gateway's rate on the same cores, is what this machine and harness
 * charge any server; the rest of the gateway's added latency is the gateway's own.
 *
 * Started by `graph-latency.js --floor` with FLOOR_PORT, FLOOR_OPERATION, FLOOR_ANSWER and
 * FLOOR_UPSTREAMS (JSON, the sandbox's URLs); a GET answers at once, to say it is up.
 */
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { UpstreamUrls } from './children.js';
import { benchOperations } from './operations.js';

function setting(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');
const upstreams = JSON.parse(setting('FLOOR_UPSTREAMS')) as UpstreamUrls;
const answer = setting('FLOOR_ANSWER');
const operationName = setting('FLOOR_OPERATION');
const operation = (await benchOperations(repoRoot, upstreams)).find(
  (op) => op.name === operationName,
);
if (!operation) throw new Error(`No bench operation named ${operationName}`);
const waitForUpstreams = operation.criticalPath.send ?? (() => Promise.resolve());

const server = createServer((req, res) => {
  // A GET is the bench asking whether it is up.
  if (req.method !== 'POST') {
    res.end('ok');
    return;
  }
  req.resume();
  req.once('end', () => {
    waitForUpstreams().then(
      () => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(answer);
      },
      (error: unknown) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(String(error));
      },
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(setting('FLOOR_PORT')), '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
