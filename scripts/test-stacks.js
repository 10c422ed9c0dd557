#!/usr/bin/env node
// The stacks users run, each installing the packed tarball as an app would:
// a NestJS 12 ESM app as `nest new` makes it (Vitest) and a NestJS 11
// CommonJS app (Jest), each tested on Express and Fastify, on Node 22 (the
// floor, 22.12.0) and Node 24. Part of `npm test`; `--built` skips the build
// `npm test` has just done. The apps' scaffolds are test/stacks/<stack>/, the
// app and its tests test/stacks/app/ (one source for both majors).
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { VERSIONS, nodeBin } = require('./node-versions');

const root = join(__dirname, '..');
const work = join(root, '.tmp', 'stacks');

const STACKS = [
  // A CommonJS build of the same app (dist-cjs) also runs: NestJS 12 loaded through require(esm).
  { name: 'nest12-esm', commonjsBuild: true },
  // The NestJS 11 template imports without extensions, and its Jest maps none: the app is copied that way.
  { name: 'nest11-cjs', extensionless: true },
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

function copyApp(stack, into) {
  rmSync(into, { recursive: true, force: true });
  cpSync(join(root, 'test', 'stacks', stack.name), into, { recursive: true });
  cpSync(join(root, 'test', 'stacks', 'app'), into, { recursive: true });
  if (!stack.extensionless) return;
  for (const dir of ['src', 'test']) {
    for (const file of readdirSync(join(into, dir)).filter((f) => f.endsWith('.ts'))) {
      const path = join(into, dir, file);
      writeFileSync(path, readFileSync(path, 'utf8').replace(/(from '\.{1,2}\/[^']+)\.js'/g, "$1'"));
    }
  }
}

function pack() {
  const dest = join(root, '.tmp', 'pack');
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  const out = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', dest], { cwd: root, encoding: 'utf8' });
  return join(dest, out.trim().split('\n').pop());
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
  const tarball = pack();
  // Installs wait on the network and the disk: the stacks are prepared side by side, then tested one at a time.
  const dirs = await Promise.all(STACKS.map((stack) => prepare(stack, tarball, floor, current)));
  const results = [];
  for (const [i, stack] of STACKS.entries()) {
    for (const node of nodes) {
      const label = `${stack.name} node ${node.version}`;
      const status = await run(label, 'npm', ['run', 'test:e2e'], { cwd: dirs[i], env: withNode(node.bin) });
      results.push({ label, ok: status === 0 });
    }
  }
  process.stdout.write('\n');
  for (const r of results) process.stdout.write(`${r.ok ? 'pass' : 'FAIL'}  ${r.label}\n`);
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`${err.message}\n`);
  process.exitCode = 1;
});
