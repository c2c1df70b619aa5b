// WGSL as the bundles ship it (demo/build.mjs); test/check_wgsl.ts compiles this form too.

/**
 * WGSL without comments and indentation: the shaders' header comments are documentation for
 * the repository, not for the browser (a third of the engine bundle otherwise). WGSL has no
 * string literals, so `//` and `/*` always start comments.
 */
export function minifyWgsl(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/[^\n]*/g, '')
    .split('\n')
    .map((line) => line.trim().replace(/\s+/g, ' '))
    .filter((line) => line !== '')
    .join('\n') + '\n';
}
