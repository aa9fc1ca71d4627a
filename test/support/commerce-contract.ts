import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { contractOperationIn, readContract } from '../contract/operations.js';

/**
 * The contract's commerce operations (discount codes, programs), read where the contract lives,
 * beside the repository: test/contract/ gets its copy together with the refunds of lines.
 */
const path = fileURLToPath(new URL('../../../shared/contract/commerce.graphql', import.meta.url));
if (!existsSync(path)) {
  throw new Error(`${path} is missing: check out the shared contract beside this repository`);
}
const contract = readContract(path);

/** One operation of commerce.graphql, exactly as the front ends send it. */
export function commerceOperation(name: string): string {
  return contractOperationIn(contract, name);
}
