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

export interface LmsEnrollmentRequest {
  user: string;
  mode: string;
  is_active: boolean;
  course_details: { course_id: string };
  enrollment_attributes?: { namespace: 'order'; name: 'order_number'; value: string }[];
}
