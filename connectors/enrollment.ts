export interface Enrollment {
  username: string;
  courseRunKey: string;
  mode: string;
  isActive: boolean;
  createdAt: string;
}

/** Who holds access to which course run (first implementation: the Open edX LMS Enrollment API). */
export interface EnrollmentConnector {
  /** Every enrollment of each user, active or not, oldest first; [] for a user with none. */
  listEnrollments(usernames: readonly string[]): Promise<Map<string, Enrollment[]>>;
  /** The user's enrollment in one course run, or null when there is none. */
  getEnrollment(username: string, courseRunKey: string): Promise<Enrollment | null>;
  /** Creates or reactivates the enrollment (idempotent), recording the order that paid for it. */
  enroll(args: {
    username: string;
    courseRunKey: string;
    mode: string;
    orderNumber: string;
  }): Promise<Enrollment>;
  /** Deactivates the enrollment; the LMS wants its current mode repeated. */
  unenroll(args: { username: string; courseRunKey: string; mode: string }): Promise<Enrollment>;
  checkReachable(): Promise<void>;
}
