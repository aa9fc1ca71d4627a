import type { ClientCredentialsTokens } from '../client-credentials.js';
import type { Enrollment, EnrollmentConnector } from '../enrollment.js';
import { UpstreamUnavailableError } from '../errors.js';
import { chunk, mapConcurrent, type HttpClient } from '../http-client.js';
import type {
  LmsEnrollment,
  LmsEnrollmentRequest,
  LmsListedEnrollment,
  LmsListPage,
} from './wire-types.js';

/** Where enrollments are created, changed and read one at a time (POST and GET). */
export const ENROLLMENTS = '/api/enrollment/v1/enrollment';
/** The staff list: lean records (no course details), several users per request, paged. */
const STAFF_LIST = '/api/enrollment/v1/enrollments/';
/** The staff list takes at most this many usernames per request. */
const MAX_USERNAMES_PER_LIST = 100;
/** Pages of 100: far more than any learner holds; a longer chain is the LMS misbehaving. */
const MAX_LIST_PAGES = 100;
/** Without a service client: at most this many per-user lists in flight at once. */
const PER_USER_CONCURRENCY = 8;

export interface EnrollArgs {
  username: string;
  courseRunKey: string;
  mode: string;
  orderNumber: string;
}

/** The body that creates or reactivates an enrollment and records the order that paid for it. */
export function toEnrollRequest(args: EnrollArgs): LmsEnrollmentRequest {
  return {
    user: args.username,
    mode: args.mode,
    is_active: true,
    course_details: { course_id: args.courseRunKey },
    enrollment_attributes: [{ namespace: 'order', name: 'order_number', value: args.orderNumber }],
  };
}

/**
 * Enrollments over the Open edX LMS Enrollment API. Changes and single lookups go server to
 * server with `X-Edx-Api-Key`. Lists take the staff list with a JWT of the gateway's staff
 * service user when it has one (LMS_OAUTH_CLIENT_ID): a fifth of the bytes and one request for
 * many users; otherwise one request per user, each with every course's details.
 */
export class LmsEnrollmentConnector implements EnrollmentConnector {
  readonly #http: HttpClient;
  readonly #serviceTokens: ClientCredentialsTokens | null;

  /** `http` must already send the `X-Edx-Api-Key` header. */
  constructor(http: HttpClient, serviceTokens: ClientCredentialsTokens | null = null) {
    this.#http = http;
    this.#serviceTokens = serviceTokens;
  }

  async listEnrollments(usernames: readonly string[]): Promise<Map<string, Enrollment[]>> {
    const wanted = [...new Set(usernames)];
    const byUser = new Map<string, Enrollment[]>(wanted.map((username) => [username, []]));
    if (wanted.length === 0) return byUser;
    const tokens = this.#serviceTokens;
    if (!tokens) {
      await mapConcurrent(wanted, PER_USER_CONCURRENCY, async (username) => {
        const list = await this.#http.get<LmsEnrollment[]>(ENROLLMENTS, {
          query: { user: username },
        });
        byUser.set(username, list.map(toEnrollment));
      });
      return byUser;
    }
    const listed = await Promise.all(
      chunk(wanted, MAX_USERNAMES_PER_LIST).map((group) => this.#staffList(tokens, group)),
    );
    for (const enrollment of listed.flat()) byUser.get(enrollment.username)?.push(enrollment);
    // The staff list is newest first; the per-user list (and the contract) oldest first.
    for (const list of byUser.values()) list.reverse();
    return byUser;
  }

  /** Every page of the staff list for these users, newest first. */
  async #staffList(tokens: ClientCredentialsTokens, usernames: string[]): Promise<Enrollment[]> {
    const enrollments: Enrollment[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < MAX_LIST_PAGES; page += 1) {
      const query: Record<string, string> = { username: usernames.join(',') };
      if (cursor !== null) query['cursor'] = cursor;
      const answer = await tokens.authorized((authorization) =>
        this.#http.get<LmsListPage<LmsListedEnrollment>>(STAFF_LIST, {
          query,
          headers: { authorization },
        }),
      );
      for (const listed of answer.results) enrollments.push(fromListed(listed));
      // Only the cursor is taken from `next`: the token goes to the configured LMS alone,
      // whatever host the answer names.
      cursor = answer.next === null ? null : cursorOf(answer.next);
      if (cursor === null) return enrollments;
    }
    throw new UpstreamUnavailableError(
      'enrollment',
      `enrollment answered more than ${MAX_LIST_PAGES} pages of one list`,
    );
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
  async enroll(args: EnrollArgs): Promise<Enrollment> {
    return this.#post(toEnrollRequest(args));
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

  /** The LMS answers, and takes the service client's credentials where there is one. */
  async checkReachable(): Promise<void> {
    await Promise.all([this.#http.get<unknown>('/heartbeat'), this.#serviceTokens?.getToken()]);
  }

  async #post(body: LmsEnrollmentRequest): Promise<Enrollment> {
    return toEnrollment(await this.#http.post<LmsEnrollment>(ENROLLMENTS, { json: body }));
  }
}

function cursorOf(next: string): string {
  let cursor: string | null = null;
  try {
    cursor = new URL(next).searchParams.get('cursor');
  } catch {
    // Not a URL: said below.
  }
  if (!cursor) {
    throw new UpstreamUnavailableError(
      'enrollment',
      'enrollment answered a next page without a cursor',
    );
  }
  return cursor;
}

function fromListed(listed: LmsListedEnrollment): Enrollment {
  return {
    username: listed.user,
    courseRunKey: listed.course_id,
    mode: listed.mode,
    isActive: listed.is_active,
    createdAt: listed.created,
  };
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
