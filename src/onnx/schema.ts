/**
 * ONNX operator schemas (default domain), as ONNX's checker uses them: for the opset a model
 * imports, which version of an operator applies, how many inputs and outputs it takes, which
 * inputs may be omitted, and its attributes' names and types. The table is generated from
 * onnx's own documentation (`src/onnx/onnx_schemas.ts`, by `test/fixtures/make_onnx_schemas.py`).
 *
 * @module
 */

import { ModelFormatError } from '../graph/errors.ts';
import { ONNX_SCHEMAS } from './onnx_schemas.ts';

/** One version of an operator's schema. */
export interface OpSchema {
  /** Operator type. */
  op: string;
  /** The opset that introduced this version. */
  since: number;
  /** Formal inputs: `r` required, `o` optional, `v` variadic (the last one). */
  inputs: string[];
  /** Fewest and most inputs (`Infinity` for variadic). */
  minInputs: number;
  /** Most inputs. */
  maxInputs: number;
  /** Formal outputs, as `inputs`. */
  outputs: string[];
  /** Fewest outputs. */
  minOutputs: number;
  /** Most outputs. */
  maxOutputs: number;
  /** Attributes by name: type code (see {@linkcode attributeTypeName}) and whether required. */
  attributes: ReadonlyMap<string, { type: string; required: boolean }>;
}

const decoded = new Map<string, OpSchema[]>();

/** Fewest and most values of a formal parameter list (ONNX's `OpSchema::Finalize`). */
function arity(params: string): { formals: string[]; min: number; max: number } {
  const formals = params.match(/r|o|v\d+/g) ?? [];
  let min = 0;
  let max = 0;
  for (const f of formals) {
    if (f === 'r') min = ++max;
    else if (f === 'o') max++;
    else {
      min = max + Number(f.slice(1));
      max = Infinity;
    }
  }
  return { formals: formals.map((f) => f[0]), min, max };
}

function decode(op: string): OpSchema[] {
  let versions = decoded.get(op);
  if (versions) return versions;
  versions = [];
  const attributes = new Map<string, { type: string; required: boolean }>();
  for (const version of (ONNX_SCHEMAS[op] ?? '').split(';').filter((v) => v)) {
    if (!version.includes('|')) {
      // A version that changed only types: the one before, under its own number.
      versions.push({ ...versions[versions.length - 1], since: Number(version) });
      continue;
    }
    const [since, ins, outs, changes] = version.split('|');
    for (const change of changes.split(' ').filter((c) => c)) {
      if (change.startsWith('-')) {
        attributes.delete(change.slice(1));
        continue;
      }
      const [name, code] = change.split(':');
      attributes.set(name, { type: code[0], required: code.endsWith('!') });
    }
    const i = arity(ins);
    const o = arity(outs);
    versions.push({
      op,
      since: Number(since),
      inputs: i.formals,
      minInputs: i.min,
      maxInputs: i.max,
      outputs: o.formals,
      minOutputs: o.min,
      maxOutputs: o.max,
      attributes: new Map(attributes),
    });
  }
  decoded.set(op, versions);
  return versions;
}

/**
 * The schema of `op` (default domain) that applies under `opset`: its newest version not newer
 * than the opset. `undefined` when ONNX has no such operator (or glassbox keeps no schema for
 * it); `null` when the operator exists but only in later opsets.
 */
export function onnxSchema(op: string, opset: number): OpSchema | null | undefined {
  const versions = decode(op);
  if (versions.length === 0) return undefined;
  let found: OpSchema | null = null;
  for (const v of versions) if (v.since <= opset) found = v;
  return found;
}

/** The first opset that has `op`, or undefined for an operator with no schema. */
export function introducedIn(op: string): number | undefined {
  return decode(op)[0]?.since;
}

/** Operators with a schema. */
export function schemaOperators(): string[] {
  return Object.keys(ONNX_SCHEMAS);
}

const TYPE_NAMES: Record<string, string> = {
  i: 'int',
  f: 'float',
  s: 'string',
  t: 'tensor',
  g: 'graph',
  p: 'sparse tensor',
  y: 'type proto',
};

/** A schema's attribute type code in words (`I` → `list of ints`). */
export function attributeTypeName(code: string): string {
  const single = TYPE_NAMES[code.toLowerCase()] ?? `type '${code}'`;
  return code === code.toUpperCase() ? `list of ${single}s` : single;
}

/** A node as the schema check sees it (before its attributes are decoded). */
export interface NodeToCheck {
  /** Node name. */
  name: string;
  /** Operator type (default domain). */
  op: string;
  /** Input names, `''` for an omitted one. */
  inputs: readonly string[];
  /** Output names, `''` for an omitted one. */
  outputs: readonly string[];
  /** Attribute names with their type codes as the file gives them. */
  attributes: readonly (readonly [name: string, type: string])[];
}

function article(what: string): string {
  return `${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what}`;
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

function range(min: number, max: number, what: string): string {
  if (max === Infinity) return `at least ${count(min, what)}`;
  return min === max ? count(min, what) : `${min} to ${count(max, what)}`;
}

/**
 * Checks a node of the default domain against the schema of its operator for `opset`, as
 * ONNX's checker does: the operator exists in that opset, the numbers of inputs and outputs
 * fit, no required input is omitted (given as `''`), every attribute is one the operator
 * defines, with its type, and every required attribute is there. Operators without a schema
 * are left to the operator registry (unsupported operators are reported together).
 *
 * @throws {ModelFormatError} naming the node, the operator version and the problem.
 */
export function checkNode(node: NodeToCheck, opset: number): void {
  const schema = onnxSchema(node.op, opset);
  if (schema === undefined) return;
  const what = `${node.op} node '${node.name}'`;
  const fail: (problem: string) => never = (problem) => {
    throw new ModelFormatError(`Cannot load model: ${what} ${problem}`);
  };
  if (schema === null) {
    fail(
      `needs ONNX opset ${introducedIn(node.op)} or later, where ${node.op} was introduced; the ` +
        `model imports opset ${opset}`,
    );
  }
  const version = `${node.op}-${schema.since}`;
  const ins = node.inputs.length;
  if (ins < schema.minInputs || ins > schema.maxInputs) {
    fail(
      `has ${count(ins, 'input')}; ${version} takes ` +
        range(schema.minInputs, schema.maxInputs, 'input'),
    );
  }
  const outs = node.outputs.length;
  if (outs < schema.minOutputs || outs > schema.maxOutputs) {
    fail(
      `has ${count(outs, 'output')}; ${version} takes ` +
        range(schema.minOutputs, schema.maxOutputs, 'output'),
    );
  }
  node.inputs.forEach((name, i) => {
    if (name === '' && schema.inputs[Math.min(i, schema.inputs.length - 1)] === 'r') {
      fail(`omits input ${i} (its name is empty), which ${version} requires`);
    }
  });
  const seen = new Set<string>();
  for (const [name, type] of node.attributes) {
    if (seen.has(name)) fail(`has two attributes named '${name}'`);
    seen.add(name);
    const declared = schema.attributes.get(name);
    if (!declared) {
      const names = [...schema.attributes.keys()];
      const near = names.find((n) => n.toLowerCase() === name.toLowerCase());
      fail(
        `has an attribute '${name}' that ${version} does not define` +
          (near
            ? ` (did you mean '${near}'?)`
            : names.length > 0
            ? ` (it defines ${names.join(', ')})`
            : ' (it has no attributes)'),
      );
    }
    if (declared.type !== type) {
      fail(
        `has attribute '${name}' as ${article(attributeTypeName(type))}; ${version} defines it ` +
          `as ${article(attributeTypeName(declared.type))}`,
      );
    }
  }
  for (const [name, { required }] of schema.attributes) {
    if (required && !seen.has(name)) {
      fail(`lacks the attribute '${name}', which ${version} requires`);
    }
  }
}
