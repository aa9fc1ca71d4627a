export interface Enrollment {
  username: string;
  courseRunKey: string;
  mode: string;
  isActive: boolean;
  createdAt: string;
}

/** Who holds access to which course run (first implementation: the Open edX LMS Enrollment API). */
export interface EnrollmentConnector {
  /** Every enrollment of the user, active or not. */
  listEnrollments(username: string): Promise<Enrollment[]>;
  /** The user's enrollment in one course run, or null when there is none. */
  getEnrollment(username: string, courseRunKey: string): Promise<Enrollment | null>;
  checkReachable(): Promise<void>;
}
