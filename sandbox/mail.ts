import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A mail the sandbox SMTP server took. */
export interface SandboxMail {
  from: string | null;
  to: string[];
  subject: string | null;
  /** The whole message as sent (headers and body). */
  raw: string;
  receivedAt: string;
}

export interface SandboxMailServer {
  /** `smtp://127.0.0.1:<port>`: what SMTP_URL would be. */
  smtpUrl: string;
  /** The mailbox: `GET <url>/mails` lists every mail taken, oldest first. */
  url: string;
  mails(): readonly SandboxMail[];
  /** Answers the next `count` messages with 451 (try again later), as a busy server would. */
  refuseNext(count: number): void;
  close(): Promise<void>;
}

const MAX_MAILS = 1000;

/**
 * A real SMTP server on loopback (no TLS, no auth: it accepts mail from this machine only) that
 * keeps what it receives, and a small HTTP server that lists it, so `npm start` shows receipts
 * with nothing configured.
 */
export async function startMailSandbox(options: {
  host: string;
  smtpPort: number;
  httpPort: number;
}): Promise<SandboxMailServer> {
  const mails: SandboxMail[] = [];
  let refusals = 0;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (raw += chunk));
      stream.on('end', () => {
        if (refusals > 0) {
          refusals -= 1;
          callback(
            Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 }),
          );
          return;
        }
        const from = session.envelope.mailFrom;
        mails.push({
          from: from ? from.address : null,
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
          subject: /^Subject: (.*)$/im.exec(raw)?.[1]?.trim() ?? null,
          raw,
          receivedAt: new Date().toISOString(),
        });
        if (mails.length > MAX_MAILS) mails.shift();
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(options.smtpPort, options.host, () => resolve());
  });
  const http = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/mails') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(mails));
    } else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.httpPort, options.host, () => resolve());
  });
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  const httpPort = (http.address() as AddressInfo).port;
  return {
    smtpUrl: `smtp://${options.host}:${smtpPort}`,
    url: `http://${options.host}:${httpPort}`,
    mails: () => mails.map((mail) => ({ ...mail })),
    refuseNext: (count) => {
      refusals = count;
    },
    close: async () => {
      http.closeAllConnections();
      await Promise.all([
        new Promise<void>((resolve) => smtp.close(() => resolve())),
        new Promise<void>((resolve) => http.close(() => resolve())),
      ]);
    },
  };
}
