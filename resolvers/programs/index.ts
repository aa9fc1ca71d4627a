import type { Resolvers } from '../../schema/__generated__/resolvers-types.js';
import { listPrograms, offerProgram } from '../../workflows/programs.js';

export const programsResolvers: Resolvers = {
  Query: {
    programs: (_parent, args, ctx) => listPrograms(ctx, args),
    program: (_parent, { uuid }, ctx) => ctx.loaders.program.load(uuid),
  },
  Program: {
    __resolveReference: (reference, ctx) => ctx.loaders.program.load(reference.uuid),
    courses: (program) => program.courses,
    offer: (program, { mode }, ctx) => offerProgram(ctx, program, mode),
  },
};
