#!/usr/bin/env node
// The stacks users run, each installing the packed tarball as an app would:
// a NestJS 12 ESM app as `nest new` makes it (Vitest) and a NestJS 11
// CommonJS app (Jest), each tested on Express and Fastify, on Node 22 (the
// floor, 22.12.0) and Node 24. Part of `npm test`; `--built` skips the build
// `npm test` has just done. The apps' scaffolds are test/stacks/<stack>/, the
// app and its tests test/stacks/app/ (one source for both majors).
'use strict';
const { spawn } = require('node:child_process');
const { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { VERSIONS, nodeBin } = require('./node-versions');
const { packTarball } = require('./pack');

const root = join(__dirname, '..');
const work = join(root, '.tmp', 'stacks');

const STACKS = [
  // A CommonJS build of the same app (dist-cjs) also runs: NestJS 12 loaded through require(esm).
  { name: 'nest12-esm', commonjsBuild: true },
  // The NestJS 11 template's Jest gets the one line the README's Quick start asks for (a `.js` import mapper).
  { name: 'nest11-cjs' },
];

const withNode = (bin) => ({ ...process.env, PATH: `${bin}:${process.env.PATH}` });

/** Runs a command, its output prefixed by `label`; resolves with its exit status. */
function run(label, cmd, args, options) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    const relay = (stream, out) => {
      let rest = '';
      stream.on('data', (chunk) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop();
        for (const line of lines) out.write(`[${label}] ${line}\n`);
      });
      stream.on('end', () => rest && out.write(`[${label}] ${rest}\n`));
    };
    relay(child.stdout, process.stdout);
    relay(child.stderr, process.stderr);
    child.on('close', (status, signal) => {
      process.stdout.write(`[${label}] ${cmd === 'npm' ? 'npm ' : ''}${args.slice(0, 2).join(' ')}: ${status === 0 ? 'done' : `FAILED (${signal ?? status})`} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      resolve(status);
    });
  });
}

async function must(...args) {
  const status = await run(...args);
  if (status !== 0) throw new Error(`${args[0]}: ${args[1]} ${args[2].join(' ')} failed`);
}

/**
 * The README's Quick start: each ```ts block whose first line is `// src/<file>`
 * is that file. A later block for a file already seen (the module with
 * ConfigService) makes a second variant of the app, the other files shared.
 * A block whose first line is `// test/<file>` is the app's e2e test of the
 * first variant.
 */
function quickStartVariants() {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Quick start\n'), readme.indexOf('\n## ', readme.indexOf('\n## Quick start\n') + 1));
  const base = {};
  const tests = {};
  let config;
  for (const [, code] of section.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const [, dir, file] = /^\/\/ (src|test)\/([\w./-]+\.ts)\n/.exec(code) ?? [];
    if (!file) continue;
    if (dir === 'test') tests[file] = code;
    else if (config || file in base) (config ??= { ...base })[file] = code;
    else base[file] = code;
  }
  if (!base['main.ts']) throw new Error('README.md: the Quick start has no src/main.ts block');
  if (Object.keys(tests).length === 0) throw new Error('README.md: the Quick start has no test/ block');
  return { variants: { quickstart: base, 'quickstart-config': config }, tests };
}

function copyApp(stack, into) {
  rmSync(into, { recursive: true, force: true });
  cpSync(join(root, 'test', 'stacks', stack.name), into, { recursive: true });
  cpSync(join(root, 'test', 'stacks', 'app'), into, { recursive: true });
  cpSync(join(root, 'test', 'support', 'fake-provider'), join(into, 'test', 'fake-provider'), { recursive: true });
  const { variants, tests } = quickStartVariants();
  for (const [variant, files] of Object.entries(variants)) {
    for (const [file, code] of Object.entries(files ?? {})) {
      const path = join(into, 'src', variant, file);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, code);
    }
  }
  // As written, but for where its files sit here: src/quickstart/, not src/.
  for (const [file, code] of Object.entries(tests)) writeFileSync(join(into, 'test', `quickstart-${file}`), code.replaceAll("from '../src/", "from '../src/quickstart/"));
}

/** Installs the app as its lock file says, then the packed package, then builds it. */
async function prepare(stack, tarball, floor, current) {
  const dir = join(work, stack.name);
  copyApp(stack, dir);
  const quiet = ['--no-audit', '--no-fund', '--loglevel', 'error'];
  // On the Node floor, without --force or --legacy-peer-deps: the peer ranges must resolve as they are.
  await must(stack.name, 'npm', ['ci', '--prefer-offline', ...quiet], { cwd: dir, env: withNode(floor) });
  await must(stack.name, 'npm', ['install', '--no-save', '--prefer-offline', ...quiet, tarball], { cwd: dir, env: withNode(floor) });
  await must(stack.name, 'npm', ['run', 'build'], { cwd: dir, env: withNode(current) });
  if (stack.commonjsBuild) {
    const tsc = join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
    const flags = ['--module', 'commonjs', '--moduleResolution', 'bundler', '--outDir', 'dist-cjs', '--incremental', 'false', '--declaration', 'false'];
    await must(stack.name, join(current, 'node'), [tsc, '-p', 'tsconfig.build.json', ...flags], { cwd: dir });
    writeFileSync(join(dir, 'dist-cjs', 'package.json'), '{ "type": "commonjs" }\n');
  }
  return dir;
}

async function main() {
  if (!process.argv.includes('--built')) await must('build', 'npm', ['run', 'build'], { cwd: root });
  const floor = nodeBin(22);
  const current = nodeBin(24);
  const nodes = Object.keys(VERSIONS).map((major) => ({ version: VERSIONS[major], bin: nodeBin(major) }));
  const tarball = packTarball();
  // Installs wait on the network and the disk: the stacks are prepared side by side, then tested one at a time.
  const dirs = await Promise.all(STACKS.map((stack) => prepare(stack, tarball, floor, current)));
  // The tests mostly wait on the app processes they start: both Node versions run side by side.
  const results = [];
  for (const [i, stack] of STACKS.entries()) {
    const runs = nodes.map(async (node) => {
      const label = `${stack.name} node ${node.version}`;
      const status = await run(label, 'npm', ['run', 'test:e2e'], { cwd: dirs[i], env: withNode(node.bin) });
      return { label, ok: status === 0 };
    });
    results.push(...(await Promise.all(runs)));
  }
  process.stdout.write('\n');
  for (const r of results) process.stdout.write(`${r.ok ? 'pass' : 'FAIL'}  ${r.label}\n`);
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`${err.message}\n`);
  process.exitCode = 1;
});
