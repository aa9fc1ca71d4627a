import { fileURLToPath } from 'node:url';
import { contractOperationIn, readContract } from '../contract/operations.js';

/** The contract's commerce operations (discount codes, programs, refunds of lines). */
const contract = readContract(
  fileURLToPath(new URL('../contract/commerce.graphql', import.meta.url)),
);

/** One operation of commerce.graphql, exactly as the front ends send it. */
export function commerceOperation(name: string): string {
  return contractOperationIn(contract, name);
}
