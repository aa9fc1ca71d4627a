import { UpstreamRejectedError } from '../../connectors/errors.js';
import type { EnrollmentConnector } from '../../connectors/enrollment.js';
import type { FulfillmentModule, FulfillmentResult } from '../../workflows/fulfillment.js';

/**
 * Fulfills a seat by enrolling the learner in the LMS in the seat's mode, and revokes it by
 * deactivating the enrollment in its current mode. The LMS refusing (4xx) is permanent; anything
 * else (timeouts, 5xx, 429) is transient and retried by the job.
 */
export function createEnrollmentModule(lms: EnrollmentConnector): FulfillmentModule {
  return {
    async fulfill(order, line) {
      return outcome(() =>
        lms.enroll({
          username: order.ownerUsername,
          courseRunKey: line.courseRunKey,
          mode: line.mode,
          orderNumber: order.number,
        }),
      );
    },
    async revoke(order, line) {
      return outcome(async () => {
        const current = await lms.getEnrollment(order.ownerUsername, line.courseRunKey);
        // Already unenrolled (by support, or an earlier attempt) is what revoking wants.
        if (!current?.isActive) return;
        await lms.unenroll({
          username: order.ownerUsername,
          courseRunKey: line.courseRunKey,
          mode: current.mode,
        });
      });
    },
  };
}

async function outcome(call: () => Promise<unknown>): Promise<FulfillmentResult> {
  try {
    await call();
    return { status: 'success' };
  } catch (error) {
    const permanent = error instanceof UpstreamRejectedError;
    return {
      status: 'failure',
      errorType: permanent ? 'permanent' : 'transient',
      message: permanent ? `${error.message}: ${error.detail}` : String(error),
    };
  }
}
