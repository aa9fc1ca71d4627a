/** The LMS Enrollment API's JSON, as far as the gateway reads it (docs/upstream-apis.md). */

export interface LmsCourseMode {
  slug: string;
  name: string;
  min_price: number;
  currency: string;
}

export interface LmsEnrollment {
  created: string;
  mode: string;
  is_active: boolean;
  user: string;
  course_details: {
    course_id: string;
    course_name?: string;
    enrollment_start?: string | null;
    enrollment_end?: string | null;
    course_start?: string | null;
    course_end?: string | null;
    invite_only?: boolean;
    course_modes?: LmsCourseMode[];
  };
}

/** A record of the staff list (`/api/enrollment/v1/enrollments/`): no course details. */
export interface LmsListedEnrollment {
  created: string;
  mode: string;
  is_active: boolean;
  user: string;
  course_id: string;
}

/** A page of DRF's cursor pagination: `next` and `previous` are whole URLs, or null. */
export interface LmsListPage<T> {
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface LmsEnrollmentRequest {
  user: string;
  mode: string;
  is_active: boolean;
  course_details: { course_id: string };
  enrollment_attributes?: { namespace: 'order'; name: 'order_number'; value: string }[];
}
