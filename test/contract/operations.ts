import { readFileSync } from 'node:fs';
import { Kind, parse, print, visit, type DefinitionNode, type DocumentNode } from 'graphql';

/** Reads the contract's operations file (a copy of shared/contract/operations.graphql). */
export function readContract(path: string): DocumentNode {
  return parse(readFileSync(path, 'utf8'));
}

/**
 * One contract operation with the fragments it spreads, exactly as the front ends send it. Only
 * that: the whole file may name operations a given test does not exercise.
 */
export function contractOperationIn(contract: DocumentNode, name: string): string {
  const operation = contract.definitions.find(
    (definition) =>
      definition.kind === Kind.OPERATION_DEFINITION && definition.name?.value === name,
  );
  if (!operation) throw new Error(`No operation ${name} in the contract`);
  const needed = new Set<string>();
  const collect = (node: DefinitionNode) =>
    visit(node, {
      FragmentSpread(spread) {
        if (needed.has(spread.name.value)) return;
        needed.add(spread.name.value);
        const fragment = contract.definitions.find(
          (d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === spread.name.value,
        );
        if (fragment) collect(fragment);
      },
    });
  collect(operation);
  const fragments = contract.definitions.filter(
    (d) => d.kind === Kind.FRAGMENT_DEFINITION && needed.has(d.name.value),
  );
  return [operation, ...fragments].map((definition) => print(definition)).join('\n');
}
