import type { Resolvers } from '../../schema/__generated__/resolvers-types.js';
import { listCourses } from '../../workflows/catalog.js';

export const catalogResolvers: Resolvers = {
  Query: {
    courses: (_parent, args, ctx) => listCourses(ctx, args),
    course: (_parent, { key }, ctx) => ctx.loaders.course.load(key),
    courseRun: (_parent, { key }, ctx) => ctx.loaders.courseRun.load(key),
    product: (_parent, { sku }, ctx) => ctx.loaders.seatBySku.load(sku),
  },
  Course: {
    __resolveReference: (reference, ctx) => ctx.loaders.course.load(reference.key),
    runs: (course) => course.runs,
  },
  CourseRun: {
    __resolveReference: (reference, ctx) => ctx.loaders.courseRun.load(reference.key),
    products: (run) => run.seats,
    course: async (run, _args, ctx) => {
      const course = await ctx.loaders.course.load(run.courseKey);
      if (!course) throw new Error(`Course run ${run.key} names unknown course ${run.courseKey}`);
      return course;
    },
  },
  Product: {
    __resolveReference: (reference, ctx) => ctx.loaders.seatBySku.load(reference.sku),
    courseRun: (seat, _args, ctx) =>
      ctx.loaders.courseRun.loadThen(seat.courseRunKey, (run) => {
        if (!run) throw new Error(`Seat ${seat.sku} names unknown course run ${seat.courseRunKey}`);
        return run;
      }),
  },
};
