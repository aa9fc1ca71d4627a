import type { Resolvers } from '../../schema/__generated__/resolvers-types.js';

export const enrollmentsResolvers: Resolvers = {
  User: {
    enrollments: (user, _args, ctx) => ctx.loaders.enrollmentsByUsername.load(user.username),
  },
  Enrollment: {
    courseRun: (enrollment, _args, ctx) => ctx.loaders.courseRun.load(enrollment.courseRunKey),
  },
};
