import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import {
  FILTER_POINTS,
  FLOW_EVENTS,
  isFlowEventType,
  type FilterPoint,
  type FlowEventType,
} from './events.js';
import {
  builtInFlows,
  catalogOf,
  emptyFilters,
  emptyHandlers,
  type FlowCatalog,
  type FlowsPlan,
  type HandlerStep,
} from './flows-plan.js';
import type { FlowDefinition, SecretLookup } from './plugin-api.js';

/** The flows cannot be used; `problems` has one line each, naming the file and the place. */
export class FlowsFileError extends Error {
  override name = 'FlowsFileError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** The handlers every flow has: the order's state machine needs them where they are. */
const REQUIRED: Readonly<Record<string, FlowEventType>> = {
  fulfillment: 'OrderPaid',
  revocation: 'RefundRequested',
};
const TOP_LEVEL = ['filters', 'handlers', 'fulfillment', 'plugins'];

type Path = readonly (string | number)[];

/**
 * Reads and validates a flows file (YAML; JSON is YAML too), loading its plugins. Every problem
 * found is reported, each on its own line as `file:line place: what is wrong`.
 */
export async function readFlowsFile(
  file: string,
  defaults: { fulfillment: Readonly<Record<string, string>>; env: SecretLookup },
): Promise<FlowsPlan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new FlowsFileError([`${file}: cannot be read (${code})`]);
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const problems: string[] = [];
  const at = (path: Path, what: string) => {
    const offset = offsetOf(document, path);
    const line = offset === undefined ? '' : `:${lineCounter.linePos(offset).line}`;
    problems.push(`${file}${line} ${placeOf(path)}: ${what}`);
  };
  for (const error of document.errors) {
    problems.push(
      `${file}:${lineCounter.linePos(error.pos[0]).line} ${error.message.split('\n')[0]}`,
    );
  }
  if (problems.length > 0) throw new FlowsFileError(problems);
  const root = document.toJS() as unknown;
  if (!isRecord(root))
    throw new FlowsFileError([`${file}: must be a mapping of ${TOP_LEVEL.join(', ')}`]);
  for (const key of Object.keys(root)) {
    if (!TOP_LEVEL.includes(key))
      at([key], `unknown section; the sections are ${TOP_LEVEL.join(', ')}`);
  }

  const plugins = stringList(root['plugins'], ['plugins'], at);
  const definitions = await loadPlugins(file, plugins, at);
  const { catalog, duplicates } = catalogOf(definitions);
  for (const duplicate of duplicates) at(['plugins'], `${duplicate} is defined twice`);

  const plan: FlowsPlan = {
    source: file,
    handlers: readHandlers(root['handlers'], catalog, defaults.env, at),
    filters: readFilters(root['filters'], catalog, at),
    fulfillment: readFulfillment(root['fulfillment'], defaults.fulfillment, catalog, at),
    plugins,
    definitions: catalog,
  };
  if (problems.length > 0) throw new FlowsFileError(problems);
  return plan;
}

/** The built-in flows, their modules checked: FULFILLMENT_MODULES may name only modules there are. */
export function checkedBuiltInFlows(fulfillment: Readonly<Record<string, string>>): FlowsPlan {
  const plan = builtInFlows(fulfillment);
  const unknown = Object.entries(fulfillment).filter(
    ([, name]) => !plan.definitions.modules.has(name),
  );
  if (unknown.length > 0) {
    throw new FlowsFileError(
      unknown.map(
        ([mode, name]) =>
          `FULFILLMENT_MODULES: mode ${mode} names module ${name}, which does not exist (there are: ${[...plan.definitions.modules.keys()].join(', ')})`,
      ),
    );
  }
  return plan;
}

type Report = (path: Path, what: string) => void;

function readHandlers(
  raw: unknown,
  catalog: FlowCatalog,
  env: SecretLookup,
  at: Report,
): FlowsPlan['handlers'] {
  const handlers = emptyHandlers();
  if (raw !== undefined && !isRecord(raw)) at(['handlers'], 'must map events to lists of handlers');
  const given = isRecord(raw) ? raw : {};
  for (const [event, list] of Object.entries(given)) {
    if (!isFlowEventType(event)) {
      at(['handlers', event], `unknown event; the events are ${FLOW_EVENTS.join(', ')}`);
      continue;
    }
    if (!Array.isArray(list)) {
      at(['handlers', event], 'must be a list of handlers');
      continue;
    }
    const seen = new Map<string, number>();
    list.forEach((item: unknown, index) => {
      const path = ['handlers', event, index];
      const entry = handlerEntry(item);
      if (!entry) {
        at(path, 'must be a handler name, or { name: { settings } }');
        return;
      }
      const definition = catalog.handlers.get(entry.name);
      if (!definition) {
        at(
          path,
          `unknown handler ${entry.name}; there are ${[...catalog.handlers.keys()].join(', ')}`,
        );
        return;
      }
      const { optional, ...settings } = entry.settings;
      if (optional !== undefined && typeof optional !== 'boolean') {
        at(path, `${entry.name}: optional must be true or false`);
      }
      const required = REQUIRED[entry.name];
      if (required && (required !== event || optional === true)) {
        at(path, `${entry.name} belongs on ${required} only, and is never optional`);
      }
      try {
        definition.checkSettings(settings, env);
      } catch (error) {
        at(path, `${entry.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
      const count = (seen.get(entry.name) ?? 0) + 1;
      seen.set(entry.name, count);
      const step: HandlerStep = {
        id: count === 1 ? entry.name : `${entry.name}#${count}`,
        name: entry.name,
        optional: optional === true,
        settings,
      };
      handlers[event].push(step);
    });
  }
  // Every flow fulfills paid orders and revokes refunded ones, said in the file or not.
  for (const [name, event] of Object.entries(REQUIRED)) {
    if (!handlers[event].some((step) => step.name === name)) {
      handlers[event].unshift({ id: name, name, optional: false, settings: {} });
    }
  }
  return handlers;
}

function readFilters(raw: unknown, catalog: FlowCatalog, at: Report): FlowsPlan['filters'] {
  const filters = emptyFilters();
  if (raw !== undefined && !isRecord(raw)) at(['filters'], 'must map points to lists of filters');
  for (const [point, list] of Object.entries(isRecord(raw) ? raw : {})) {
    if (!(FILTER_POINTS as readonly string[]).includes(point)) {
      at(['filters', point], `unknown filter point; the points are ${FILTER_POINTS.join(', ')}`);
      continue;
    }
    stringList(list, ['filters', point], at).forEach((name, index) => {
      if (catalog.filters.has(name)) filters[point as FilterPoint].push(name);
      else {
        const known = [...catalog.filters.keys()].join(', ') || 'none';
        at(['filters', point, index], `unknown filter ${name}; there are: ${known}`);
      }
    });
  }
  return filters;
}

function readFulfillment(
  raw: unknown,
  defaults: Readonly<Record<string, string>>,
  catalog: FlowCatalog,
  at: Report,
): Record<string, string> {
  if (raw === undefined) return { ...defaults };
  if (!isRecord(raw)) {
    at(['fulfillment'], 'must map product modes to fulfillment modules');
    return {};
  }
  const map: Record<string, string> = {};
  for (const [mode, name] of Object.entries(raw)) {
    if (typeof name !== 'string' || !catalog.modules.has(name)) {
      at(
        ['fulfillment', mode],
        `unknown fulfillment module ${String(name)}; there are ${[...catalog.modules.keys()].join(', ')}`,
      );
    } else map[mode] = name;
  }
  return map;
}

async function loadPlugins(file: string, plugins: readonly string[], at: Report) {
  const definitions: FlowDefinition[] = [];
  for (const [index, plugin] of plugins.entries()) {
    const path = resolve(dirname(file), plugin);
    let exported: Record<string, unknown>;
    try {
      exported = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      at(['plugins', index], `plugin ${plugin} cannot be loaded: ${reason}`);
      continue;
    }
    const found = Object.values(exported).flatMap((value) =>
      Array.isArray(value) ? value.filter(isDefinition) : isDefinition(value) ? [value] : [],
    );
    if (found.length === 0) {
      at(
        ['plugins', index],
        `plugin ${plugin} exports no handler, filter or fulfillment module (made with defineHandler, defineFilter or defineFulfillmentModule)`,
      );
    }
    definitions.push(...found);
  }
  return definitions;
}

function isDefinition(value: unknown): value is FlowDefinition {
  return (
    isRecord(value) &&
    typeof value['name'] === 'string' &&
    typeof value['create'] === 'function' &&
    (value['kind'] === 'filter' ||
      value['kind'] === 'fulfillment-module' ||
      (value['kind'] === 'handler' && typeof value['checkSettings'] === 'function'))
  );
}

function handlerEntry(item: unknown): { name: string; settings: Record<string, unknown> } | null {
  if (typeof item === 'string') return { name: item, settings: {} };
  if (!isRecord(item)) return null;
  const keys = Object.keys(item);
  const name = keys[0];
  if (keys.length !== 1 || name === undefined) return null;
  const settings = item[name] ?? {};
  return isRecord(settings) ? { name, settings } : null;
}

function stringList(raw: unknown, path: Path, at: Report): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || !raw.every((item) => typeof item === 'string')) {
    at(path, 'must be a list of names');
    return [];
  }
  return raw;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Where a path starts in the file: a map entry's key, a list item itself. */
function offsetOf(document: Document, path: Path): number | undefined {
  const last = path[path.length - 1];
  const parent = path.length > 1 ? document.getIn(path.slice(0, -1), true) : document.contents;
  if (typeof last === 'string' && isMap(parent)) {
    const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === last);
    if (pair && isScalar(pair.key)) return pair.key.range?.[0];
  }
  const node = document.getIn(path, true) as { range?: [number] } | undefined;
  return node?.range?.[0];
}

function placeOf(path: Path): string {
  return (
    path.reduce<string>(
      (place, part) =>
        typeof part === 'number' ? `${place}[${part}]` : place ? `${place}.${part}` : part,
      '',
    ) || '(top)'
  );
}
