/**
 * Executes queries and mutations with graphql-jit once a document recurs, graphql-js until then.
 *
 * graphql-jit turns an operation into a JavaScript function made for it: no walk of the document,
 * argument lookup or completion dispatch per field at run time. On MyOrders that is a fifth of
 * the gateway's CPU per request (bench/README.md). Compiling costs far more than one execution, so
 * a document is compiled on its `compileAfterRuns`-th execution: front ends send the same few
 * documents over and over, and a client sending a new document each time is served by graphql-js
 * without making the gateway compile for it. Apollo's document cache hands every request of one
 * query the same DocumentNode, which keys the run counts here (a WeakMap: they go with the
 * document); at most MAX_COMPILED_OPERATIONS compiled functions are kept.
 *
 * Apollo Server 5 takes an executor only through its gateway interface: this object is such a
 * gateway, serving one fixed schema. Subscriptions do not pass through it (graphql-ws runs them).
 * Documents holding a string literal are never compiled: see holdsStringLiteral. Requests whose
 * fields Apollo traces (ftv1) always run in graphql-js.
 */
import type {
  GatewayExecutor,
  GatewayGraphQLRequestContext,
  GatewayInterface,
} from '@apollo/server-gateway-interface';
import { trace } from '@opentelemetry/api';
import {
  BREAK,
  execute,
  GraphQLError,
  visit,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';
import { endSpanAfter } from './spans.js';

export type CompileOutcome = 'compiled' | 'not_compilable' | 'string_literals';

export interface CompiledExecutionOptions {
  /** The execution of a document that compiles it; 0: never compile. */
  compileAfterRuns: number;
  /** Told of every compilation, for the metrics. */
  onCompile?: (outcome: CompileOutcome) => void;
  /**
   * Whether compiled runs get the span graphql-js's runs get from the GraphQL instrumentation:
   * when tracing is on and that instrumentation is not disabled.
   */
  traced: boolean;
  /** The compiled operations kept at most; MAX_COMPILED_OPERATIONS unless a test says. */
  maxCompiled?: number;
}

interface OperationRuns {
  runs: number;
  /** Never to be compiled: graphql-jit refused it, or it holds a string literal. */
  interpretedOnly?: true;
}

/**
 * The compiled operations kept at most, least recently used first out (an operation pushed out is
 * compiled again on its next run). Apollo's document cache bounds the documents by their size, not
 * what compiling them adds (8 KB for a one-field query, 15 KB for MyOrders, measured with
 * `--expose-gc`): without this a client sending thousands of distinct documents three times each
 * could make the gateway hold hundreds of megabytes of generated code. Front ends send a few dozen.
 */
export const MAX_COMPILED_OPERATIONS = 1000;

// graphql-js's execution is traced by @opentelemetry/instrumentation-graphql, which cannot see a
// compiled function: its span is made here, named and attributed as that instrumentation does.
const tracer = trace.getTracer('commerce-gateway/graphql');

/** Apollo Server's `gateway` option: the fixed schema, executed as described above. */
export function compiledExecutionGateway(
  schema: GraphQLSchema,
  options: CompiledExecutionOptions,
): GatewayInterface {
  const { compileAfterRuns, onCompile, traced } = options;
  const byDocument = new WeakMap<DocumentNode, Map<string, OperationRuns>>();
  const compiledQueries = new LRUCache<OperationRuns, CompiledQuery>({
    max: options.maxCompiled ?? MAX_COMPILED_OPERATIONS,
  });

  function runsOf(document: DocumentNode, operationName: string | null): OperationRuns {
    let operations = byDocument.get(document);
    if (!operations) {
      operations = new Map();
      byDocument.set(document, operations);
    }
    const key = operationName ?? '';
    let runs = operations.get(key);
    if (!runs) {
      runs = { runs: 0 };
      operations.set(key, runs);
    }
    return runs;
  }

  function compiledFor(document: DocumentNode, operationName: string | null): CompiledQuery | null {
    if (compileAfterRuns === 0) return null;
    const runs = runsOf(document, operationName);
    if (runs.interpretedOnly) return null;
    const kept = compiledQueries.get(runs);
    if (kept) return kept;
    runs.runs += 1;
    if (runs.runs < compileAfterRuns) return null;
    if (holdsStringLiteral(document)) {
      runs.interpretedOnly = true;
      onCompile?.('string_literals');
      return null;
    }
    const compiled = compileQuery(schema, document, operationName ?? undefined);
    if (!isCompiledQuery(compiled)) {
      runs.interpretedOnly = true;
      onCompile?.('not_compilable');
      return null;
    }
    compiledQueries.set(runs, compiled);
    onCompile?.('compiled');
    return compiled;
  }

  const interpret = (requestContext: GatewayGraphQLRequestContext) =>
    execute({
      schema,
      document: requestContext.document,
      contextValue: requestContext.context,
      variableValues: requestContext.request.variables,
      operationName: requestContext.operationName,
    });

  const executor: GatewayExecutor = async (requestContext) => {
    // A request Apollo traces field by field (a router asking for ftv1, usage reporting) times
    // each resolver through wrappers Apollo puts into the schema when the first such request
    // comes; a function compiled before then calls the resolvers it found, unwrapped, and the
    // trace would hold no field. Routers sample these requests: graphql-js runs them.
    if (requestContext.metrics.captureTraces) return interpret(requestContext);
    const compiled = compiledFor(requestContext.document, requestContext.operationName);
    if (!compiled) return interpret(requestContext);
    const run = () =>
      compiled.query(undefined, requestContext.context, requestContext.request.variables);
    const result = await (traced ? runTraced(requestContext.operation, run) : run());
    if (!result.errors) return result;
    // No data at all: the variables were refused before anything ran. graphql-js says so in the
    // words, and with the AST nodes, that Apollo answers as BAD_USER_INPUT with HTTP 400.
    if (result.data === undefined) return interpret(requestContext);
    return { ...result, errors: result.errors.map(asGraphQLJsError) };
  };

  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => {};
    },
    load: () => Promise.resolve({ schema, executor }),
    stop: () => Promise.resolve(),
  };
}

/** The compiled run inside an active span, so upstream calls made by resolvers nest in it. */
function runTraced(
  operation: OperationDefinitionNode,
  run: () => Promise<ExecutionResult> | ExecutionResult,
): Promise<ExecutionResult> {
  const type = operation.operation;
  const name = operation.name?.value;
  return tracer.startActiveSpan(
    name ? `${type} ${name}` : type,
    {
      attributes: {
        'graphql.operation.type': type,
        ...(name ? { 'graphql.operation.name': name } : {}),
      },
    },
    // Errors in the result leave the status alone, as the instrumentation leaves it.
    (span) => endSpanAfter(span, run),
  );
}

/**
 * graphql-jit's errors are not quite graphql-js 16's: one without extensions has `extensions`
 * undefined, where Apollo Server (and graphql-js) count on an object. Such an error is made again
 * as graphql-js makes it, the resolver's error kept as `originalError` for the error formatter.
 */
export function asGraphQLJsError(error: GraphQLError): GraphQLError {
  if ((error.extensions as GraphQLError['extensions'] | undefined) !== undefined) return error;
  const remade = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError,
  });
  // graphql-js computes locations from the AST nodes, which graphql-jit does not keep.
  (remade as { locations: GraphQLError['locations'] }).locations = error.locations;
  return remade;
}

/**
 * Whether the document holds a string literal anywhere (an argument, a variable's default, inside
 * a list or an input object). Such a document is never compiled: graphql-jit 0.8 writes literal
 * arguments into the code it generates with JSON.stringify and then turns any string starting
 * with its (public) date marker back into `new Date(…)` code, so a string literal can carry code
 * of the client's choosing into the compiled function (test/e2e/compiled-execution.test.ts has
 * such a document). Values in variables never reach the generated code, and front ends send
 * their values as variables, so their documents still compile.
 */
export function holdsStringLiteral(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    StringValue() {
      found = true;
      return BREAK;
    },
  });
  return found;
}
