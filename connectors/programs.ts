import type { CatalogCourse } from './catalog.js';
import type { UpstreamError } from './errors.js';

/** A program: several courses sold and taken together. */
export interface CatalogProgram {
  uuid: string;
  title: string;
  /** In the program's order, with the runs the catalog listed with them. */
  courses: CatalogCourse[];
}

export interface ProgramPage {
  totalCount: number;
  programs: CatalogProgram[];
}

/** The catalog's programs (first implementation: Open edX Course Discovery). */
export interface ProgramConnector {
  /** Active programs, in the catalog's order. */
  listPrograms(args: { offset: number; limit: number }): Promise<ProgramPage>;
  /**
   * Programs by uuid, from the cache or one upstream request; unknown or malformed uuids are
   * absent. When the upstream fails, the uuids it was asked for map to the error.
   */
  getPrograms(uuids: readonly string[]): Promise<Map<string, CatalogProgram | UpstreamError>>;
  /** Resolves when the programs endpoint answers, throws an UpstreamError otherwise. */
  checkReachable(): Promise<void>;
}
