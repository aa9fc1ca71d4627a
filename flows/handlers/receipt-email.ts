import type { Money } from '../../connectors/money.js';
import type { Order } from '../../connectors/orders.js';
import { MailRefusedError } from '../../connectors/mail/smtp-mailer.js';
import { readOrder } from '../../workflows/order-updates.js';
import type { FlowEventType } from '../events.js';
import { defineHandler, PermanentHandlerError } from '../plugin-api.js';

const SUBJECTS: Partial<Record<FlowEventType, string>> = {
  OrderPaid: 'Payment received',
  OrderFulfilled: 'Your receipt',
  OrderRefunded: 'Your refund',
};

/**
 * Mails the learner a receipt naming the order number, its lines and total: one mail per order
 * and event (the job's id sees to that; the Message-ID derives from the event, so a mail resent
 * after a crash is recognisably the same). An SMTP server that refuses for now (4xx) or cannot
 * be reached is retried; one that refuses for good (5xx) fails the handler.
 */
export const receiptEmailHandler = defineHandler({
  name: 'receipt-email',
  create: (_settings, deps) => async (run) => {
    const mailer = deps.connectors.mail;
    if (!mailer) throw new PermanentHandlerError('no SMTP server is configured (SMTP_URL)');
    const order = run.snapshot ?? (await readOrder(run.services, run.event.orderId));
    if (!order.ownerEmail) return 'no email address for the learner: nothing sent';
    try {
      await mailer.send({
        to: order.ownerEmail,
        subject: `${SUBJECTS[run.event.type] ?? run.event.type}: order ${order.number}`,
        text: receiptText(order, run.event.type),
        messageId: `<${run.event.id}@commerce-gateway>`,
      });
    } catch (error) {
      if (error instanceof MailRefusedError && error.permanent) {
        throw new PermanentHandlerError(error.message);
      }
      throw error;
    }
    return `sent to the learner (${order.lines.length} line(s), ${formatMoney(order.total)})`;
  },
});

function receiptText(order: Order, event: FlowEventType): string {
  const lines = order.lines.map(
    (line) => `  ${line.courseRunKey} (${line.mode})  ${formatMoney(line.price)}`,
  );
  return [
    `Order ${order.number}`,
    event === 'OrderRefunded' ? 'Refunded in full.' : `Status: ${order.status}`,
    '',
    ...lines,
    '',
    `Total: ${formatMoney(order.total)}`,
    '',
  ].join('\n');
}

function formatMoney(money: Money): string {
  return `${money.amount} ${money.currencyCode}`;
}
