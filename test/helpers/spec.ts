/**
 * Validation of JSON-RPC results against the Ethereum execution-apis spec
 * (OpenRPC sources copied to test/spec/execution-apis).
 *
 *   assertMatchesSpec('eth_getBlockByNumber', block)                  // spec says
 *   assertMatchesSpec('eth_getBlockByNumber', block, { noExtraFields: true }) // + no undeclared fields
 *   validateSpecSchema('ReceiptInfo', receipt)                         // ajv errors or null
 *
 * The spec is loaded lazily, once per process (vitest forks: once per test file).
 * Every component schema `schemas/*.yaml#NAME` is registered in one Ajv instance
 * under its own `$id` (SCHEMA_BASE + NAME) and every `$ref: '#/components/schemas/NAME'`
 * is rewritten to that id. The spec only uses draft-07-compatible keywords
 * (type, properties, required, additionalProperties, patternProperties, pattern,
 * enum, const, minimum, maximum, items (single schema), oneOf, anyOf, allOf, not,
 * title, description; $ref siblings are only title/description annotations),
 * so the default (draft-07) Ajv class is used, with strict: false.
 */
import fs from 'node:fs';
import path from 'node:path';
import AjvImport, { type ErrorObject, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';

// ajv is CommonJS with `exports.default`; accept both interop shapes.
const Ajv = ((AjvImport as unknown as { default?: typeof AjvImport }).default ?? AjvImport) as typeof AjvImport;
type AjvInstance = InstanceType<typeof AjvImport>;

export type SpecError = ErrorObject;

export interface SpecCheckOptions {
  /**
   * Also reject object properties that the (validating branch of the) spec schema does
   * not declare. Only applies to objects whose schema lists `properties` /
   * `patternProperties` / `additionalProperties`; a property is "declared" if any
   * applicable schema node (all `allOf` parts, the `oneOf`/`anyOf` branches that
   * validate the value, `$ref` targets) lists it in `properties`, matches one of its
   * `patternProperties`, or allows it through a non-false `additionalProperties`.
   */
  noExtraFields?: boolean;
}

export interface SpecExample {
  method: string;
  /** example name from the spec */
  name: string;
  /** true if the example carries `result.value` */
  hasResult: boolean;
  result: unknown;
}

interface MethodDef {
  name: string;
  file: string;
  result?: { name?: string; schema?: unknown };
  examples?: Array<{ name?: string; result?: { name?: string; value?: unknown } }>;
  [k: string]: unknown;
}

type SchemaNode = Record<string, unknown>;
type Schema = SchemaNode | boolean;

const SCHEMA_BASE = 'https://execution-apis.spec.local/schemas/';
const METHOD_BASE = 'https://execution-apis.spec.local/methods/';
const LOCAL_REF_PREFIX = '#/components/schemas/';

interface SpecState {
  dir: string;
  ajv: AjvInstance;
  /** component name -> schema with rewritten refs (and $id) */
  components: Map<string, SchemaNode>;
  methods: Map<string, MethodDef>;
  /** method name -> rewritten result schema */
  resultSchemas: Map<string, Schema>;
  resultValidators: Map<string, ValidateFunction>;
  /** validators for sub-schema nodes used by the noExtraFields walk */
  nodeValidators: WeakMap<object, ValidateFunction>;
}

let state: SpecState | undefined;

function findSpecDir(): string {
  const candidates: string[] = [];
  if (process.env.EXECUTION_APIS_SPEC_DIR) candidates.push(process.env.EXECUTION_APIS_SPEC_DIR);
  if (typeof __dirname !== 'undefined') candidates.push(path.resolve(__dirname, '../spec/execution-apis'));
  let dir = process.cwd();
  for (;;) {
    candidates.push(path.join(dir, 'test/spec/execution-apis'));
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const c of candidates) {
    if (fs.existsSync(path.join(c, 'eth')) && fs.existsSync(path.join(c, 'schemas'))) return c;
  }
  throw new Error(`execution-apis spec not found (looked in: ${candidates.join(', ')})`);
}

function readYamlDir(dir: string): Array<{ file: string; doc: unknown }> {
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => ({ file: path.join(dir, f), doc: parseYaml(fs.readFileSync(path.join(dir, f), 'utf8')) }));
}

/** Deep-clone a schema, rewriting `#/components/schemas/X` refs to absolute ids. */
function rewriteRefs(node: unknown, known: Set<string>, where: string): unknown {
  if (Array.isArray(node)) return node.map((n, i) => rewriteRefs(n, known, `${where}/${i}`));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (k === '$ref' && typeof v === 'string') {
      if (!v.startsWith(LOCAL_REF_PREFIX)) throw new Error(`spec: unsupported $ref ${JSON.stringify(v)} at ${where}`);
      const name = v.slice(LOCAL_REF_PREFIX.length);
      if (!known.has(name)) throw new Error(`spec: $ref to unknown component ${JSON.stringify(name)} at ${where}`);
      out[k] = SCHEMA_BASE + name;
    } else {
      out[k] = rewriteRefs(v, known, `${where}/${k}`);
    }
  }
  return out;
}

function load(): SpecState {
  if (state) return state;
  const dir = findSpecDir();

  // 1. components
  const raw = new Map<string, { schema: unknown; file: string }>();
  for (const { file, doc } of readYamlDir(path.join(dir, 'schemas'))) {
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`spec: ${file} is not a map of schemas`);
    for (const [name, schema] of Object.entries(doc as Record<string, unknown>)) {
      const prev = raw.get(name);
      if (prev) throw new Error(`spec: component ${name} defined twice (${prev.file}, ${file})`);
      raw.set(name, { schema, file });
    }
  }
  const known = new Set(raw.keys());
  const ajv = new Ajv({ strict: false, allErrors: true });
  const components = new Map<string, SchemaNode>();
  for (const [name, { schema }] of raw) {
    const rewritten = rewriteRefs(schema, known, `#/components/schemas/${name}`) as SchemaNode;
    const withId = { $id: SCHEMA_BASE + name, ...rewritten };
    components.set(name, withId);
    ajv.addSchema(withId);
  }

  // 2. methods
  const methods = new Map<string, MethodDef>();
  const resultSchemas = new Map<string, Schema>();
  for (const { file, doc } of readYamlDir(path.join(dir, 'eth'))) {
    if (!Array.isArray(doc)) throw new Error(`spec: ${file} is not a list of methods`);
    for (const m of doc as MethodDef[]) {
      if (!m || typeof m.name !== 'string') throw new Error(`spec: method without name in ${file}`);
      if (methods.has(m.name)) throw new Error(`spec: method ${m.name} defined twice`);
      methods.set(m.name, { ...m, file });
      if (m.result && m.result.schema !== undefined) {
        resultSchemas.set(m.name, rewriteRefs(m.result.schema, known, `${m.name}.result.schema`) as Schema);
      }
    }
  }

  state = {
    dir,
    ajv,
    components,
    methods,
    resultSchemas,
    resultValidators: new Map(),
    nodeValidators: new WeakMap(),
  };
  return state;
}

// ---------------------------------------------------------------------------------
// public API

/** Names of all methods defined in the spec (eth/*.yaml), sorted. */
export function specMethods(): string[] {
  return [...load().methods.keys()].sort();
}

/** Names of all component schemas (schemas/*.yaml), sorted. */
export function specSchemaNames(): string[] {
  return [...load().components.keys()].sort();
}

/** Examples of a method (or of all methods) from the spec, with their result values. */
export function specExamples(method?: string): SpecExample[] {
  const s = load();
  const names = method === undefined ? [...s.methods.keys()] : [requireMethod(method).name];
  const out: SpecExample[] = [];
  for (const name of names) {
    const m = s.methods.get(name)!;
    for (const [i, ex] of (m.examples ?? []).entries()) {
      const hasResult = !!ex?.result && typeof ex.result === 'object' && 'value' in ex.result;
      out.push({ method: name, name: ex?.name ?? `example ${i}`, hasResult, result: hasResult ? ex.result!.value : undefined });
    }
  }
  return out;
}

/** The method's result schema as in the spec, with refs rewritten to absolute ids. */
export function specResultSchema(method: string): Schema {
  const s = load();
  requireMethod(method);
  const schema = s.resultSchemas.get(method);
  if (schema === undefined) throw new Error(`spec: method ${method} has no result.schema`);
  return schema;
}

/**
 * Validate one component schema (e.g. 'Block', 'ReceiptInfo', 'uint').
 * Returns the ajv errors (plus `noExtraFields` errors if requested) or null if valid.
 */
export function validateSpecSchema(schemaName: string, value: unknown, opts: SpecCheckOptions = {}): SpecError[] | null {
  const s = load();
  const schema = s.components.get(schemaName);
  if (!schema) {
    throw new Error(`spec: unknown component schema ${JSON.stringify(schemaName)}${suggest(schemaName, [...s.components.keys()])}`);
  }
  const validate = s.ajv.getSchema(SCHEMA_BASE + schemaName)!;
  return runChecks(s, validate, schema, value, opts);
}

/** Validate a method result; returns the errors or null if valid (non-throwing form of assertMatchesSpec). */
export function validateSpecResult(method: string, result: unknown, opts: SpecCheckOptions = {}): SpecError[] | null {
  const s = load();
  const schema = specResultSchema(method);
  let validate = s.resultValidators.get(method);
  if (!validate) {
    validate = s.ajv.compile(typeof schema === 'boolean' ? schema : { $id: METHOD_BASE + method + '/result', ...schema });
    s.resultValidators.set(method, validate);
  }
  return runChecks(s, validate, schema, result, opts);
}

/**
 * Throw a readable Error if `result` does not match `method`'s `result.schema` in the spec
 * (or the method is unknown). With `{ noExtraFields: true }` also rejects object properties the
 * spec does not declare.
 */
export function assertMatchesSpec(method: string, result: unknown, opts: SpecCheckOptions = {}): void {
  const errors = validateSpecResult(method, result, opts);
  if (!errors) return;
  // For schema failures, narrow oneOf/anyOf noise down to the closest branch; the raw ajv
  // error count is reported too. noExtraFields errors are already precise.
  const s = load();
  const isExtra = errors.every((e) => e.keyword === 'noExtraFields');
  const shown = isExtra ? errors : explain(s, specResultSchema(method), result, `${method}.result#`);
  const note = !isExtra && shown.length !== errors.length ? ` (closest-branch view of ${errors.length} raw ajv errors)` : '';
  throw new Error(formatSpecErrors(`${method} result`, shown.length ? shown : errors, result) + note);
}

/** Like validateSpecSchema but throws a readable Error. */
export function assertMatchesSpecSchema(schemaName: string, value: unknown, opts: SpecCheckOptions = {}): void {
  const errors = validateSpecSchema(schemaName, value, opts);
  if (!errors) return;
  const s = load();
  const isExtra = errors.every((e) => e.keyword === 'noExtraFields');
  const shown = isExtra ? errors : explain(s, s.components.get(schemaName)!, value, `${schemaName}#`);
  throw new Error(formatSpecErrors(`${schemaName}`, shown.length ? shown : errors, value));
}

/** Human-readable rendering of spec validation errors (duplicates removed, first `max` shown). */
export function formatSpecErrors(what: string, errors: SpecError[], value: unknown, max = 8): string {
  const seen = new Set<string>();
  const unique = errors.filter((e) => {
    const k = `${e.instancePath}\u0000${e.keyword}\u0000${e.message}\u0000${JSON.stringify(e.params)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const lines = unique.slice(0, max).map((e) => {
    const at = e.instancePath === '' ? '(root)' : e.instancePath;
    const params = e.params && Object.keys(e.params).length ? ` ${excerpt(e.params, 120)}` : '';
    const got = pointerGet(value, e.instancePath);
    const gotStr = got.found ? excerpt(got.value, 160) : '(missing)';
    return `  - at ${at}: ${e.message ?? e.keyword}${params} [${e.keyword} @ ${shortSchemaPath(e.schemaPath)}]\n      value: ${gotStr}`;
  });
  if (unique.length > max) lines.push(`  ... and ${unique.length - max} more error(s)`);
  return `${what} does not match the execution-apis spec:\n${lines.join('\n')}\n  full value: ${excerpt(value, 400)}`;
}

// ---------------------------------------------------------------------------------
// internals

function requireMethod(method: string): MethodDef {
  const s = load();
  const m = s.methods.get(method);
  if (!m) {
    throw new Error(
      `spec: method ${JSON.stringify(method)} is not in the execution-apis spec (${s.dir})${suggest(method, [...s.methods.keys()])}`,
    );
  }
  return m;
}

function suggest(name: string, all: string[]): string {
  const lower = name.toLowerCase();
  const close = all.filter((n) => n.toLowerCase() === lower || n.toLowerCase().includes(lower) || lower.includes(n.toLowerCase()));
  return close.length ? `; did you mean ${close.slice(0, 5).join(', ')}?` : '';
}

function runChecks(s: SpecState, validate: ValidateFunction, schema: Schema, value: unknown, opts: SpecCheckOptions): SpecError[] | null {
  if (!validate(value)) return [...(validate.errors ?? [])];
  if (opts.noExtraFields) {
    const extra: SpecError[] = [];
    checkExtraFields(s, expand(s, schema, value), value, '', extra);
    if (extra.length) return extra;
  }
  return null;
}

function shortSchemaPath(p: string): string {
  return p.startsWith(SCHEMA_BASE) ? p.slice(SCHEMA_BASE.length) : p.startsWith(METHOD_BASE) ? p.slice(METHOD_BASE.length) : p;
}

function excerpt(v: unknown, max: number): string {
  let str: string;
  try {
    str = JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x)) ?? String(v);
  } catch {
    str = String(v);
  }
  return str.length > max ? `${str.slice(0, max)}…(${str.length} chars)` : str;
}

function pointerGet(root: unknown, pointer: string): { found: boolean; value?: unknown } {
  if (pointer === '') return { found: true, value: root };
  let cur: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, key)) return { found: false };
    cur = (cur as Record<string, unknown>)[key];
  }
  return { found: true, value: cur };
}

function escapePointer(k: string): string {
  return k.replace(/~/g, '~0').replace(/\//g, '~1');
}

function resolveRef(s: SpecState, ref: string): SchemaNode {
  if (!ref.startsWith(SCHEMA_BASE)) throw new Error(`spec: cannot resolve $ref ${ref}`);
  const c = s.components.get(ref.slice(SCHEMA_BASE.length));
  if (!c) throw new Error(`spec: cannot resolve $ref ${ref}`);
  return c;
}

function validatorFor(s: SpecState, node: SchemaNode): ValidateFunction {
  let v = s.nodeValidators.get(node);
  if (!v) {
    v = typeof node.$id === 'string' ? s.ajv.getSchema(node.$id)! : s.ajv.compile(node);
    s.nodeValidators.set(node, v);
  }
  return v;
}

function nodeValid(s: SpecState, node: Schema, value: unknown): boolean {
  if (typeof node === 'boolean') return node;
  return validatorFor(s, node)(value) as boolean;
}

const COMBINATORS = new Set(['$ref', 'allOf', 'oneOf', 'anyOf']);
const CHILD_KEYWORDS = new Set(['properties', 'patternProperties', 'additionalProperties', 'items']);
const ANNOTATIONS = new Set(['$id', 'title', 'description', '$comment', 'examples', 'default']);
const ownValidators = new WeakMap<object, ValidateFunction | null>();

/**
 * Validator for a node's own value-level keywords (type, required, pattern, enum, ...):
 * combinators, $ref and child keywords stripped; null if nothing is left.
 */
function ownValidatorFor(s: SpecState, node: SchemaNode): ValidateFunction | null {
  if (ownValidators.has(node)) return ownValidators.get(node)!;
  const own: SchemaNode = {};
  for (const [k, v] of Object.entries(node)) {
    if (!ANNOTATIONS.has(k) && !COMBINATORS.has(k) && !CHILD_KEYWORDS.has(k)) own[k] = v;
  }
  const v = Object.keys(own).length ? s.ajv.compile(own) : null;
  ownValidators.set(node, v);
  return v;
}

function relocate(e: SpecError, where: string, at: string): SpecError {
  return {
    ...e,
    instancePath: at + e.instancePath,
    // own validators are compiled standalone: make schemaPath say where the keyword lives
    schemaPath: e.schemaPath.startsWith('#') ? where + e.schemaPath.slice(1) : shortSchemaPath(e.schemaPath),
  };
}

/**
 * Errors for `value` (at instance path `at`) against `node` (at schema location `where`),
 * walking properties/items/$ref/allOf and narrowing each failing `oneOf`/`anyOf` to its
 * closest branch (fewest errors; a branch rejecting the value's type or its `type` field
 * counts as far). Only used to render failures readably; pass/fail comes from ajv.
 */
function explain(s: SpecState, node: Schema, value: unknown, where: string, at = '', depth = 0): SpecError[] {
  if (typeof node === 'boolean') {
    return node ? [] : [{ instancePath: at, schemaPath: where, keyword: 'false schema', params: {}, message: 'boolean schema is false' }];
  }
  const whole = validatorFor(s, node);
  if (whole(value)) return [];
  const raw = (whole.errors ?? []).map((e) => relocate(e, where, at));
  if (depth > 64) return raw;
  const out: SpecError[] = [];

  const own = ownValidatorFor(s, node);
  if (own && !own(value)) {
    out.push(...(own.errors ?? []).map((e) => relocate(e, where, at)));
    // a type mismatch makes everything else irrelevant
    if (out.some((e) => e.keyword === 'type' && e.instancePath === at)) return out;
  }

  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const props = (node.properties ?? {}) as Record<string, Schema>;
    const pats = (node.patternProperties ?? {}) as Record<string, Schema>;
    const addl = node.additionalProperties as Schema | undefined;
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const childAt = `${at}/${escapePointer(key)}`;
      let matched = false;
      if (Object.prototype.hasOwnProperty.call(props, key)) {
        matched = true;
        out.push(...explain(s, props[key], child, `${where}/properties/${escapePointer(key)}`, childAt, depth + 1));
      }
      for (const [re, ps] of Object.entries(pats)) {
        if (new RegExp(re, 'u').test(key)) {
          matched = true;
          out.push(...explain(s, ps, child, `${where}/patternProperties/${escapePointer(re)}`, childAt, depth + 1));
        }
      }
      if (!matched && addl === false) {
        out.push({
          instancePath: at,
          schemaPath: `${where}/additionalProperties`,
          keyword: 'additionalProperties',
          params: { additionalProperty: key },
          message: `must NOT have additional property "${key}"`,
        });
      } else if (!matched && addl !== undefined) {
        out.push(...explain(s, addl, child, `${where}/additionalProperties`, childAt, depth + 1));
      }
    }
  }
  if (Array.isArray(value) && isSchema(node.items)) {
    const items = node.items;
    (value as unknown[]).forEach((item: unknown, i: number) => out.push(...explain(s, items, item, `${where}/items`, `${at}/${i}`, depth + 1)));
  }

  if (typeof node.$ref === 'string') {
    out.push(...explain(s, resolveRef(s, node.$ref), value, `${shortSchemaPath(node.$ref)}#`, at, depth + 1));
  }
  if (Array.isArray(node.allOf)) {
    (node.allOf as Schema[]).forEach((part, i) => out.push(...explain(s, part, value, `${where}/allOf/${i}`, at, depth + 1)));
  }
  for (const kw of ['oneOf', 'anyOf'] as const) {
    const branches = node[kw];
    if (!Array.isArray(branches)) continue;
    const results = (branches as Schema[]).map((b, i) => ({ i, b, errors: explain(s, b, value, `${where}/${kw}/${i}`, at, depth + 1) }));
    const passing = results.filter((r) => r.errors.length === 0);
    if (passing.length === 1 || (kw === 'anyOf' && passing.length > 0)) continue;
    if (passing.length > 1) {
      out.push({
        instancePath: at,
        schemaPath: `${where}/${kw}`,
        keyword: kw,
        params: { passingSchemas: passing.map((r) => r.i) },
        message: `matches ${passing.length} oneOf branches (${passing.map((r) => branchTitle(s, r.b, r.i)).join(', ')}); must match exactly one`,
      });
      continue;
    }
    // a type mismatch of the value itself (or of an array element) or a mismatching `type`
    // field marks a branch as far off; otherwise fewer errors = closer
    const elem = new RegExp(`^${at.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/\\d+)?$`);
    const score = (errs: SpecError[]) =>
      errs.length +
      1000 * errs.filter((e) => e.keyword === 'type' && elem.test(e.instancePath)).length +
      10 * errs.filter((e) => e.instancePath === `${at}/type`).length;
    const best = results.reduce((a, b) => (score(b.errors) < score(a.errors) ? b : a));
    out.push({
      instancePath: at,
      schemaPath: `${where}/${kw}`,
      keyword: kw,
      params: { closestBranch: best.i },
      message: `matches none of the ${branches.length} ${kw} branches; closest is ${branchTitle(s, best.b, best.i)}, errors shown for it`,
    });
    out.push(...best.errors);
  }
  return out.length ? out : raw;
}

function branchTitle(s: SpecState, b: Schema, i: number): string {
  if (typeof b === 'boolean') return `#${i}`;
  const name = typeof b.$ref === 'string' ? b.$ref.slice(SCHEMA_BASE.length) : undefined;
  const title = typeof b.title === 'string' ? b.title : name ? (s.components.get(name)?.title as string | undefined) : undefined;
  return `#${i} ${name ?? ''}${title ? ` "${title}"` : ''}`.replace(/\s+/g, ' ').trim();
}

/**
 * Flatten the schema nodes that apply to `value`: the node itself, `$ref` targets, every
 * `allOf` part and the `oneOf`/`anyOf` branches that validate `value`.
 */
function expand(s: SpecState, node: Schema, value: unknown, out: SchemaNode[] = [], seen = new Set<object>()): SchemaNode[] {
  if (typeof node === 'boolean' || seen.has(node)) return out;
  seen.add(node);
  out.push(node);
  if (typeof node.$ref === 'string') expand(s, resolveRef(s, node.$ref), value, out, seen);
  if (Array.isArray(node.allOf)) for (const b of node.allOf as Schema[]) expand(s, b, value, out, seen);
  for (const kw of ['oneOf', 'anyOf'] as const) {
    if (Array.isArray(node[kw])) {
      for (const b of node[kw] as Schema[]) if (nodeValid(s, b, value)) expand(s, b, value, out, seen);
    }
  }
  return out;
}

function isSchema(x: unknown): x is Schema {
  return typeof x === 'boolean' || (x !== null && typeof x === 'object' && !Array.isArray(x));
}

function checkExtraFields(s: SpecState, nodes: SchemaNode[], value: unknown, at: string, errors: SpecError[]): void {
  if (Array.isArray(value)) {
    const itemSchemas = nodes.map((n) => n.items).filter((x): x is Schema => isSchema(x));
    if (!itemSchemas.length) return;
    value.forEach((item, i) => {
      const childNodes: SchemaNode[] = [];
      for (const is of itemSchemas) expand(s, is, item, childNodes);
      checkExtraFields(s, childNodes, item, `${at}/${i}`, errors);
    });
    return;
  }
  if (value === null || typeof value !== 'object') return;

  const describesFields = nodes.some(
    (n) => isSchema(n.properties) || isSchema(n.patternProperties) || (n.additionalProperties !== undefined && n.additionalProperties !== false),
  );
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const childSchemas: Schema[] = [];
    let declared = false;
    for (const n of nodes) {
      const props = n.properties as Record<string, Schema> | undefined;
      let matched = false;
      if (props && Object.prototype.hasOwnProperty.call(props, key)) {
        childSchemas.push(props[key]);
        matched = true;
      }
      const pats = n.patternProperties as Record<string, Schema> | undefined;
      if (pats) {
        for (const [re, ps] of Object.entries(pats)) {
          if (new RegExp(re, 'u').test(key)) {
            childSchemas.push(ps);
            matched = true;
          }
        }
      }
      if (!matched && n.additionalProperties !== undefined && n.additionalProperties !== false) {
        if (isSchema(n.additionalProperties)) childSchemas.push(n.additionalProperties);
        matched = true;
      }
      declared ||= matched;
    }
    const childAt = `${at}/${escapePointer(key)}`;
    if (describesFields && !declared) {
      errors.push({
        instancePath: childAt,
        schemaPath: '#/properties',
        keyword: 'noExtraFields',
        params: { additionalProperty: key },
        message: `must NOT have property "${key}": not declared by the spec schema`,
      });
      continue;
    }
    const childNodes: SchemaNode[] = [];
    for (const cs of childSchemas) expand(s, cs, child, childNodes);
    checkExtraFields(s, childNodes, child, childAt, errors);
  }
}
