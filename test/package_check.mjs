// The package as a user gets it (`npm test` runs this as its `package` step): builds and packs
// glassbox and glassbox-models, installs both tarballs into a scratch project outside the
// repository, and there
// - checks the tarball: unpacked size within budget, only the allow-listed files;
// - type-checks a TypeScript consumer of the engine and two elements against the shipped .d.ts;
// - runs `npx glassbox --help` and `--version` (the CLI on the deno npm installed beside it);
// - bundles examples/bundler and examples/react with esbuild from the scratch folder and runs
//   examples/deno with deno there;
// - serves the scratch folder and opens every example page in Chromium (WebGPU on SwiftShader),
//   the CDN URLs answered from the installed packages, and checks that each page finished
//   without error and that every glass-* element on it drew;
// - and runs `deno publish --dry-run` (the JSR package, no slow types) in the repository.
// Each check prints `ok`/`FAIL`; counts go to GLASSBOX_PACKAGE_SUMMARY (JSON) for test/run.mjs.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import puppeteer from 'puppeteer-core';
import { BUDGETS } from '../demo/build.mjs';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'node_modules', '.bin');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const modelsPkg = JSON.parse(readFileSync(join(root, 'models', 'package.json'), 'utf8'));
// Generous bounds for a machine four times slower than this one; a healthy page takes seconds.
const PAGE_LIMIT_MS = 600_000;

const counts = { passed: 0, failed: 0, skipped: 0 };
function check(name, ok, detail = '') {
  if (ok) counts.passed++;
  else counts.failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
  return ok;
}

function sh(cmd, args, options = {}) {
  const started = Date.now();
  const run = spawnSync(cmd, args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...options,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, ...options.env },
  });
  run.seconds = (Date.now() - started) / 1000;
  run.text = `${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? String(run.error) : ''}`;
  return run;
}

const tail = (text, n = 15) => text.trim().split('\n').slice(-n).join('\n');

async function main() {
  // 1. Build (it checks the bundle budgets and prints the sizes), then pack what it built.
  const built = sh(process.execPath, ['demo/build.mjs'], { cwd: root });
  if (!check('npm run build (bundle size budgets)', built.status === 0, tail(built.text))) return;
  console.log(tail(built.stdout, 14));
  const tarballs = join(scratch, 'tarballs');
  mkdirSync(tarballs);
  const pack = (cwd) =>
    sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tarballs], { cwd });
  const packed = pack(root);
  if (!check('npm pack', packed.status === 0, tail(packed.text))) return;
  const info = JSON.parse(packed.stdout)[0];
  check(
    `package unpacked size ${(info.unpackedSize / 1e6).toFixed(2)} MB ≤ 2 MB`,
    info.unpackedSize <= BUDGETS.package,
  );
  const stray = info.files.map((f) => f.path).filter((p) =>
    !/^(dist\/|bin\/glassbox\.mjs$|custom-elements\.json$|package\.json$|README\.md$|LICENSE$)/
      .test(p)
  );
  check(
    'package holds only dist/, bin/, the manifest and docs',
    stray.length === 0,
    stray.join(' '),
  );
  const paths = new Set(info.files.map((f) => f.path));
  const missing = [];
  for (const [sub, target] of Object.entries(pkg.exports)) {
    for (const file of typeof target === 'string' ? [target] : Object.values(target)) {
      if (!paths.has(file.replace(/^\.\//, ''))) missing.push(`${sub}: ${file}`);
    }
  }
  check('every export and its types are in the package', missing.length === 0, missing.join(' '));
  const models = pack(join(root, 'models'));
  if (!check('npm pack glassbox-models', models.status === 0, tail(models.text))) return;

  // 2. A scratch project outside the repository installs both tarballs (from npm's cache for
  // the registry packages: `npm ci` put them there).
  cpSync(join(root, 'examples'), join(scratch, 'examples'), {
    recursive: true,
    filter: (p) => !/\/(node_modules|dist)$/.test(p),
  });
  writeFileSync(
    join(scratch, 'package.json'),
    JSON.stringify({ name: 'scratch', private: true, type: 'module' }),
  );
  const glassboxTgz = join(tarballs, info.filename);
  const modelsTgz = join(tarballs, JSON.parse(models.stdout)[0].filename);
  const react = ['react', 'react-dom'].map((n) => `${n}@${pkg.devDependencies[n]}`);
  const install = sh(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', glassboxTgz, modelsTgz, ...react],
    { cwd: scratch },
  );
  if (
    !check(
      'npm install ./glassbox-*.tgz in a scratch project',
      install.status === 0,
      tail(install.text),
    )
  ) {
    return;
  }

  // 3. Types: a consumer type-checks against the shipped declarations.
  writeFileSync(
    join(scratch, 'consumer.ts'),
    `import { createEngine, explain, loadModel, type Tensor } from 'glassbox';
import 'glassbox/components/saliency';
import { GlassGraph } from 'glassbox/components/graph';
export async function use(bytes: Uint8Array): Promise<Tensor> {
  const engine = await createEngine();
  const model = loadModel(engine, bytes);
  const view = document.createElement('glass-saliency');
  const graph: GlassGraph = document.createElement('glass-graph');
  void view; void graph;
  const input = { data: new Float32Array(784), shape: [1, 1, 28, 28] };
  const result = await explain(model, input, { method: 'gradient' });
  return result.attribution;
}
`,
  );
  writeFileSync(
    join(scratch, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'Bundler',
        lib: ['ES2023', 'ESNext.Disposable', 'DOM', 'DOM.Iterable'],
        strict: true,
        noEmit: true,
        skipLibCheck: false,
      },
      files: ['consumer.ts'],
    }),
  );
  const tsc = sh(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc')], {
    cwd: scratch,
  });
  check(
    'a TypeScript consumer type-checks against the shipped .d.ts',
    tsc.status === 0,
    tail(tsc.text),
  );

  // 4. The CLI from the scratch project.
  const help = sh('npx', ['--no-install', 'glassbox', '--help'], { cwd: scratch });
  check(
    `npx glassbox --help (${help.seconds.toFixed(1)} s)`,
    help.status === 0 && /explain/.test(help.text) && /distill/.test(help.text),
    tail(help.text),
  );
  const version = sh('npx', ['--no-install', 'glassbox', '--version'], { cwd: scratch });
  check(
    `npx glassbox --version prints ${pkg.version}`,
    version.status === 0 && version.text.includes(pkg.version),
    tail(version.text),
  );
  const runCli = sh('npx', [
    '--no-install',
    'glassbox',
    'run',
    'node_modules/glassbox-models/mnist_cnn.onnx',
    '--input',
    'input=node_modules/glassbox-models/data/mnist_test_x.npy',
    '--out',
    'logits.npy',
  ], { cwd: scratch });
  check(
    'npx glassbox run on the installed example model',
    runCli.status === 0 && existsSync(join(scratch, 'logits.npy')),
    tail(runCli.text),
  );

  // 5. The bundler, React and Deno examples.
  for (const [dir, entry] of [['bundler', 'main.js'], ['react', 'main.jsx']]) {
    const cwd = join(scratch, 'examples', dir);
    if (!existsSync(join(cwd, entry))) {
      check(`examples/${dir}/${entry} exists`, false);
      continue;
    }
    const built = sh(join(bin, 'esbuild'), [
      entry,
      '--bundle',
      '--format=esm',
      '--jsx=automatic',
      '--outdir=dist',
      '--log-level=warning',
    ], { cwd });
    check(
      `esbuild bundles examples/${dir} against the installed package`,
      built.status === 0,
      tail(built.text),
    );
  }
  const denoDir = join(scratch, 'examples', 'deno');
  const denoExamples = existsSync(denoDir)
    ? readdirSync(denoDir).filter((f) => f.endsWith('.ts')).sort()
    : [];
  check('examples/deno holds Deno scripts', denoExamples.length > 0);
  for (const name of denoExamples) {
    const ran = sh('deno', [
      'run',
      '--quiet',
      '--allow-read',
      '--allow-env',
      `examples/deno/${name}`,
    ], { cwd: scratch, env: { DENO_NO_UPDATE_CHECK: '1' } });
    check(
      `deno runs examples/deno/${name} against the installed package`,
      ran.status === 0,
      tail(ran.text),
    );
    if (ran.status === 0) console.log(tail(ran.stdout, 6));
  }

  // 6. The API reference (`npm run docs`), built where the README says.
  const docs = sh('npm', ['run', '--silent', 'docs'], { cwd: root });
  check(
    'npm run docs writes the API reference to docs/api/',
    docs.status === 0 && existsSync(join(root, 'docs', 'api', 'index.html')),
    tail(docs.text),
  );

  // 7. Every example page in Chromium.
  await checkPages();
}

function pagesUnder(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules') continue;
    if (statSync(path).isDirectory()) out.push(...pagesUnder(path));
    else if (name.endsWith('.html')) out.push(path);
  }
  return out;
}

const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.map': 'application/json',
  '.onnx': 'application/octet-stream',
  '.npy': 'application/octet-stream',
  '.css': 'text/css',
};

/** The scratch folder over http, and the CDN addresses answered from node_modules. */
function serve() {
  const server = createServer((req, res) => {
    const path = join(scratch, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!path.startsWith(scratch) || !existsSync(path) || statSync(path).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
      // The CDN addresses are answered from here, so module scripts arrive cross-origin, as
      // jsDelivr serves them (with this header).
      'access-control-allow-origin': '*',
    });
    res.end(readFileSync(path));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

const CDN = [
  [`https://cdn.jsdelivr.net/npm/glassbox@${pkg.version}/`, 'node_modules/glassbox/'],
  [
    `https://cdn.jsdelivr.net/npm/glassbox-models@${modelsPkg.version}/`,
    'node_modules/glassbox-models/',
  ],
];

async function checkPages() {
  const server = await serve();
  const origin = `http://127.0.0.1:${server.address().port}/`;
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
    headless: true,
    protocolTimeout: PAGE_LIMIT_MS,
    args: [
      '--no-sandbox',
      '--enable-unsafe-webgpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      `--user-data-dir=${mkdtempSync(join(tmpdir(), 'glassbox-package-chrome-'))}`,
    ],
  });
  try {
    for (const file of pagesUnder(join(scratch, 'examples'))) {
      const rel = file.slice(scratch.length + 1);
      await checkPage(browser, origin, rel);
    }
  } finally {
    await browser.close();
    server.close();
  }
}

async function checkPage(browser, origin, rel) {
  const page = await browser.newPage();
  const errors = [];
  const offline = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const url = request.url();
    for (const [prefix, local] of CDN) {
      if (url.startsWith(prefix)) {
        request.continue({ url: origin + local + url.slice(prefix.length) });
        return;
      }
    }
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) {
      request.continue();
    } else {
      offline.push(url);
      request.abort();
    }
  });
  await page.setViewport({ width: 1000, height: 800 });
  // A script that fails to load means the page never reports: stop waiting at once.
  let failLoad;
  const loadFailed = new Promise((_, reject) => (failLoad = reject));
  loadFailed.catch(() => {});
  page.on('requestfailed', (r) => {
    if (r.resourceType() === 'script') failLoad(new Error(`${r.url()}: ${r.failure()?.errorText}`));
  });
  page.on('response', (r) => {
    const type = r.request().resourceType();
    if (r.status() >= 400 && (type === 'script' || type === 'fetch')) {
      failLoad(new Error(`${r.url()}: HTTP ${r.status()}`));
    }
  });
  try {
    await Promise.race([
      page.goto(origin + rel, { waitUntil: 'load', timeout: PAGE_LIMIT_MS }),
      loadFailed,
    ]);
    await Promise.race([
      page.waitForFunction(() => document.documentElement.dataset.ready, {
        timeout: PAGE_LIMIT_MS,
        polling: 250,
      }),
      loadFailed,
    ]);
    const ready = await page.evaluate(() => document.documentElement.dataset.ready);
    if (!check(`${rel}: finished`, ready === 'true', [ready, ...errors, ...offline].join(' | '))) {
      return;
    }
    check(
      `${rel}: fetched nothing outside the page and the two packages`,
      offline.length === 0,
      offline.join(' '),
    );
    const tags = await page.evaluate(() =>
      [...document.querySelectorAll('*')]
        .filter((e) => e.localName.startsWith('glass-'))
        .map((e, i) => {
          e.setAttribute('data-check', String(i));
          return e.localName;
        })
    );
    check(`${rel}: shows glass-* elements`, tags.length > 0);
    for (let i = 0; i < tags.length; i++) {
      // The element's drawing surface — its largest canvas or svg — not its labels: a blank
      // canvas is one colour however much text surrounds it.
      const handle = await page.evaluateHandle((i) => {
        const host = document.querySelector(`[data-check="${i}"]`);
        const surfaces = [...(host.shadowRoot ?? host).querySelectorAll('canvas, svg')];
        const area = (e) => e.getBoundingClientRect().width * e.getBoundingClientRect().height;
        // <glass-tokens> is text on coloured backgrounds: the element itself.
        return surfaces.sort((a, b) => area(b) - area(a))[0] ?? host;
      }, i);
      const surface = handle.asElement();
      await surface.scrollIntoView();
      const png = await surface.screenshot({ encoding: 'base64' });
      const colors = await page.evaluate(distinctColors, png);
      check(`${rel}: <${tags[i]}> drew (${colors} colours on its surface)`, colors >= 3);
    }
  } catch (e) {
    check(`${rel}: loads`, false, [e.message, ...errors].join(' | '));
  } finally {
    await page.close();
  }
}

/** In the page: how many distinct colours (4-bit per channel) a PNG screenshot holds. */
async function distinctColors(base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d');
  context.drawImage(bitmap, 0, 0);
  const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
  const seen = new Set();
  for (let i = 0; i < data.length; i += 4) {
    seen.add(((data[i] >> 4) << 8) | ((data[i + 1] >> 4) << 4) | (data[i + 2] >> 4));
  }
  return seen.size;
}

const scratch = mkdtempSync(join(tmpdir(), 'glassbox-package-'));
try {
  await main();
} catch (e) {
  check('package checks ran to the end', false, e.stack ?? String(e));
} finally {
  if (!process.env.GLASSBOX_KEEP_SCRATCH) rmSync(scratch, { recursive: true, force: true });
  else console.log(`scratch project kept in ${scratch}`);
}
if (process.env.GLASSBOX_PACKAGE_SUMMARY) {
  writeFileSync(process.env.GLASSBOX_PACKAGE_SUMMARY, JSON.stringify(counts));
}
console.log(`${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
process.exit(counts.failed > 0 ? 1 : 0);
