/**
 * Writes `custom-elements.json` (schema 1.0.0) at the repository root from the JSDoc of the
 * elements in this folder: the class doc (description, `@fires`, `@csspart`, `@cssprop`), the
 * tag from `customElements.define`, the reactive properties from `static properties` with the
 * doc and type of their `declare` field, and documented public methods and getters.
 *
 * Run: `deno run --allow-read --allow-write components/make_manifest.ts` (`--check` exits 1 when
 * the file on disk differs).
 *
 * @module
 */

const ELEMENTS = [
  'saliency',
  'tokens',
  'attention',
  'activations',
  'graph',
  'weights',
  'histogram',
  'spectrum',
  'projector',
  'surrogate',
  'probes',
];

interface Member {
  kind: 'field' | 'method';
  name: string;
  description?: string;
  type?: { text: string };
  attribute?: string;
  readonly?: boolean;
  parameters?: { name: string; type?: { text: string } }[];
  return?: { type: { text: string } };
  inheritedFrom?: { name: string; module: string };
}

/** The text of a `/** … *\/` comment without its stars. */
function docText(comment: string): string {
  return comment
    .replace(/^\/\*\*|\*\/$/g, '')
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, ''))
    .join('\n')
    .trim();
}

/** Splits a doc into its description and `@tag name - text` entries (continuations joined). */
function parseDoc(doc: string): { description: string; tags: [string, string, string][] } {
  const lines = doc.split('\n');
  const description: string[] = [];
  const tags: [string, string, string][] = [];
  let inExample = false;
  for (const line of lines) {
    const m = /^@(\w+)\s*(.*)$/.exec(line.trim());
    if (m) {
      inExample = m[1] === 'example';
      if (!inExample) {
        const [, name = '', text = ''] = /^(\S+)\s*(?:-\s*)?(.*)$/.exec(m[2]) ?? [];
        tags.push([m[1], name, text]);
      }
      continue;
    }
    if (inExample) continue;
    if (tags.length && line.startsWith('  ')) {
      tags[tags.length - 1][2] += ` ${line.trim()}`;
    } else if (!tags.length) description.push(line);
  }
  return { description: description.join('\n').trim(), tags };
}

/** The `{ … }` block starting at `open` (index of the brace), by brace counting. */
function block(source: string, open: number): string {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    if (source[i] === '{') depth++;
    else if (source[i] === '}' && --depth === 0) return source.slice(open + 1, i);
  }
  return '';
}

/** Documented public getters and methods of a class body (no lifecycle, protected, private). */
function accessors(body: string): Member[] {
  const members: Member[] = [];
  const skip = new Set(['render', 'constructor', 'willUpdate', 'updated', 'firstUpdated']);
  for (
    const m of body.matchAll(
      /(\/\*\*(?:(?!\*\/)[\s\S])*\*\/)\s*\n\s{2}(?:override\s+)?(get\s+)?(\w+)\(([^)]*)\)(?::\s*([^{]+?))?\s*\{/g,
    )
  ) {
    const [, doc, getter, name, params, ret] = m;
    if (skip.has(name)) continue;
    const description = docText(doc);
    if (getter) {
      members.push({
        kind: 'field',
        name,
        description,
        type: ret ? { text: ret.trim() } : undefined,
        readonly: true,
      });
      continue;
    }
    members.push({
      kind: 'method',
      name,
      description,
      parameters: params.split(',').map((p) => p.trim()).filter(Boolean).map((p) => {
        const [pn, ...pt] = p.split(':');
        return { name: pn.trim(), type: pt.length ? { text: pt.join(':').trim() } : undefined };
      }),
      return: ret ? { type: { text: ret.trim() } } : undefined,
    });
  }
  return members;
}

const BASES: Record<string, string> = {
  GlassElement: 'shared/glass_element.ts',
};

type Attribute = { name: string; fieldName: string; type?: { text: string } };

/** The reactive properties of a class body (`static properties`) with their `declare` docs. */
function reactive(body: string): { members: Member[]; attributes: Attribute[] } {
  const members: Member[] = [];
  const attributes: Attribute[] = [];
  const propsAt = body.search(/static (?:override )?properties\b[^=]*=\s*\{/);
  const props = propsAt >= 0 ? block(body, body.indexOf('{', propsAt)) : '';
  for (const m of props.matchAll(/^\s{4}(\w+):\s*\{([^}]*)\}/gm)) {
    const [, name, options] = m;
    if (name.startsWith('_') || /state:\s*true/.test(options)) continue;
    const field = new RegExp(
      `(/\\*\\*(?:(?!\\*/)[\\s\\S])*\\*/)\\s*declare ${name}\\??:\\s*([^;]+);`,
    )
      .exec(body);
    const type = field ? field[2].replace(/\s+/g, ' ').trim() : undefined;
    const attr = /attribute:\s*false/.test(options)
      ? undefined
      : /attribute:\s*'([\w-]+)'/.exec(options)?.[1] ?? name.toLowerCase();
    members.push({
      kind: 'field',
      name,
      description: field ? docText(field[1]) : undefined,
      type: type ? { text: type } : undefined,
      attribute: attr,
    });
    if (attr) {
      attributes.push({ name: attr, fieldName: name, type: type ? { text: type } : undefined });
    }
  }
  return { members, attributes };
}

function moduleOf(name: string) {
  const path = `components/${name}.ts`;
  let source: string;
  try {
    source = Deno.readTextFileSync(new URL(`./${name}.ts`, import.meta.url));
  } catch {
    return null; // not written yet
  }
  const define = /customElements\.define\(\s*'([\w-]+)'\s*,\s*(\w+)\s*\)/.exec(source);
  if (!define) return null;
  const [, tagName, className] = define;
  const classAt = source.search(new RegExp(`export class ${className}\\b`));
  const docEnd = source.lastIndexOf('*/', classAt);
  const docStart = source.lastIndexOf('/**', docEnd);
  const { description, tags } = parseDoc(docText(source.slice(docStart, docEnd + 2)));
  const superclass = new RegExp(`export class ${className} extends (\\w+)`).exec(source)?.[1];
  const body = block(source, source.indexOf('{', classAt));

  const { members, attributes } = reactive(body);
  members.push(...accessors(body));
  // Public members of the local base class (`GlassElement`: theme, regl, contextLost, message…).
  const base = superclass ? BASES[superclass] : undefined;
  if (base) {
    const baseSource = Deno.readTextFileSync(new URL(`./${base}`, import.meta.url));
    const at = baseSource.search(
      new RegExp(`export abstract class ${superclass}\\b|export class ${superclass}\\b`),
    );
    const baseBody = block(baseSource, baseSource.indexOf('{', at));
    const inherited = reactive(baseBody);
    for (const m of [...inherited.members, ...accessors(baseBody)]) {
      if (!members.some((x) => x.name === m.name)) {
        members.push({ ...m, inheritedFrom: { name: superclass!, module: `components/${base}` } });
      }
    }
    for (const at of inherited.attributes) {
      if (!attributes.some((x) => x.name === at.name)) attributes.push(at);
    }
  }
  const entries = (tag: string) =>
    tags.filter(([t]) => t === tag).map(([, name, text]) => ({ name, description: text }));
  return {
    kind: 'javascript-module',
    path,
    declarations: [{
      kind: 'class',
      description,
      name: className,
      tagName,
      customElement: true,
      superclass: superclass ? { name: superclass } : undefined,
      members,
      attributes,
      events: entries('fires'),
      cssParts: entries('csspart'),
      cssProperties: entries('cssprop'),
    }],
    exports: [
      { kind: 'js', name: className, declaration: { name: className, module: path } },
      {
        kind: 'custom-element-definition',
        name: tagName,
        declaration: { name: className, module: path },
      },
    ],
  };
}

/** The manifest object. */
export function manifest(): unknown {
  return {
    schemaVersion: '1.0.0',
    readme: 'components/README.md',
    modules: ELEMENTS.map(moduleOf).filter((m) => m !== null),
  };
}

if (import.meta.main) {
  // Compact: the file ships in the npm package, whose size budget is 2 MB (tools read it, people
  // read components/README.md).
  const text = JSON.stringify(manifest()) + '\n';
  const out = new URL('../custom-elements.json', import.meta.url);
  if (Deno.args.includes('--check')) {
    let current = '';
    try {
      current = Deno.readTextFileSync(out);
    } catch { /* missing */ }
    if (current !== text) {
      console.error('custom-elements.json is out of date: run components/make_manifest.ts');
      Deno.exit(1);
    }
  } else {
    Deno.writeTextFileSync(out, text);
    const n = (JSON.parse(text).modules as unknown[]).length;
    console.log(`wrote custom-elements.json: ${n} elements`);
  }
}
