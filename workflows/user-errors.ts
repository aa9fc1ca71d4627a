import type { UserErrorCode } from '../schema/__generated__/resolvers-types.js';

/** An expected business outcome, reported in a payload's userErrors rather than thrown. */
export interface UserError {
  code: UserErrorCode;
  message: string;
  /** The path of the input field it is about, e.g. ['skus', '1']. */
  field: string[] | null;
}
