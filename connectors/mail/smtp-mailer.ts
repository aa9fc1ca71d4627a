import { createTransport } from 'nodemailer';

/** One mail to send. `messageId` makes a resent mail recognisable as the same one. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  messageId: string;
}

/** Sends mail (first implementation: SMTP through nodemailer). */
export interface Mailer {
  /** Resolves once the server took the mail; rejects with MailRefusedError or a transport error. */
  send(mail: OutgoingMail): Promise<void>;
}

/** The SMTP server answered with an error (4xx: try later; 5xx: it will not take it). */
export class MailRefusedError extends Error {
  override name = 'MailRefusedError';
  constructor(readonly responseCode: number) {
    super(`the SMTP server refused the mail (${responseCode})`);
  }
  get permanent(): boolean {
    return this.responseCode >= 500;
  }
}

/** A mailer over SMTP_URL (`smtp://` or `smtps://`, credentials in the URL). */
export function createSmtpMailer(settings: {
  url: string;
  from: string;
  timeoutMs: number;
}): Mailer {
  const transport = createTransport(settings.url, {
    connectionTimeout: settings.timeoutMs,
    greetingTimeout: settings.timeoutMs,
    socketTimeout: settings.timeoutMs,
  });
  return {
    async send(mail) {
      try {
        await transport.sendMail({ from: settings.from, ...mail });
      } catch (error) {
        const code = (error as { responseCode?: unknown }).responseCode;
        if (typeof code === 'number') throw new MailRefusedError(code);
        // Never the server's own words or address: only what kind of failure it was.
        const kind = (error as { code?: unknown }).code;
        const reason = typeof kind === 'string' ? kind : 'error';
        throw new Error(`the SMTP server could not be reached (${reason})`);
      }
    },
  };
}
