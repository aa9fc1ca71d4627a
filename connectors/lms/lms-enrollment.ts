import type { Enrollment, EnrollmentConnector } from '../enrollment.js';
import type { HttpClient } from '../http-client.js';
import type { LmsEnrollment, LmsEnrollmentRequest } from './wire-types.js';

const ENROLLMENTS = '/api/enrollment/v1/enrollment';

/** Enrollments over the Open edX LMS Enrollment API (server-to-server, `X-Edx-Api-Key`). */
export class LmsEnrollmentConnector implements EnrollmentConnector {
  readonly #http: HttpClient;

  /** `http` must already send the `X-Edx-Api-Key` header. */
  constructor(http: HttpClient) {
    this.#http = http;
  }

  async listEnrollments(username: string): Promise<Enrollment[]> {
    const enrollments = await this.#http.get<LmsEnrollment[]>(ENROLLMENTS, {
      query: { user: username },
    });
    return enrollments.map(toEnrollment);
  }

  async getEnrollment(username: string, courseRunKey: string): Promise<Enrollment | null> {
    // The LMS answers an empty 200 (not a 404) when the user has no enrollment in the course.
    const enrollment = await this.#http.get<LmsEnrollment | undefined>(
      `${ENROLLMENTS}/{username},{courseRunKey}`,
      { params: { username, courseRunKey }, allowEmptyBody: true },
    );
    return enrollment ? toEnrollment(enrollment) : null;
  }

  /** Creates or reactivates the enrollment, recording the order that paid for it. */
  async enroll(args: {
    username: string;
    courseRunKey: string;
    mode: string;
    orderNumber: string;
  }): Promise<Enrollment> {
    return this.#post({
      user: args.username,
      mode: args.mode,
      is_active: true,
      course_details: { course_id: args.courseRunKey },
      enrollment_attributes: [
        { namespace: 'order', name: 'order_number', value: args.orderNumber },
      ],
    });
  }

  /** Deactivates the enrollment; the LMS wants the current mode repeated. */
  async unenroll(args: {
    username: string;
    courseRunKey: string;
    mode: string;
  }): Promise<Enrollment> {
    return this.#post({
      user: args.username,
      mode: args.mode,
      is_active: false,
      course_details: { course_id: args.courseRunKey },
    });
  }

  async checkReachable(): Promise<void> {
    await this.#http.get<unknown>('/heartbeat');
  }

  async #post(body: LmsEnrollmentRequest): Promise<Enrollment> {
    return toEnrollment(await this.#http.post<LmsEnrollment>(ENROLLMENTS, { json: body }));
  }
}

function toEnrollment(enrollment: LmsEnrollment): Enrollment {
  return {
    username: enrollment.user,
    courseRunKey: enrollment.course_details.course_id,
    mode: enrollment.mode,
    isActive: enrollment.is_active,
    createdAt: enrollment.created,
  };
}
