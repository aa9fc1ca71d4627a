/**
 * The V8 flags the gateway runs with: `npm start` passes them (package.json), and the benches
 * start their gateways with them, so they measure what `npm start` runs.
 *
 * A young generation of 32 MiB semi-spaces instead of V8's 16: a GraphQL request leaves
 * hundreds of short-lived objects (upstream bodies, resolver results, the answer), and with
 * twice the room most die before a scavenge has to copy them. Measured on the read path with
 * `node dist/bench/graph-compare.js --baseline . --candidate . --candidate-node-flags=…`:
 * 0.86 (MyOrders) and 0.88 (CourseCatalog) of the CPU per request, for at most 48 MiB more
 * memory per process (three semi-spaces' worth). bench/README.md has the figures.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
