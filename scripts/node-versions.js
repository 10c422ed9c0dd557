#!/usr/bin/env node
// The Node versions the package is tested on, fetched from the npm registry's
// `node-<platform>-<arch>` packages (a Node binary inside a registry package),
// so CI and a fresh clone need nothing but npm. `node scripts/node-versions.js`
// fetches what is missing and prints where each one is; `--bin 24` prints one.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, readdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');

/** 22.12.0 is the floor nestjs-pino 5 and require(esm) need; 24 is the current line. */
const VERSIONS = { 22: '22.12.0', 24: '24.22.3' };

const dir = join(__dirname, '..', '.tmp', 'nodes');

/** The `bin` folder holding `node` for `major`, fetched on first use. */
function nodeBin(major) {
  const version = VERSIONS[major];
  if (!version) throw new Error(`no Node version pinned for major ${major}`);
  const home = join(dir, version);
  const bin = join(home, 'package', 'bin');
  if (existsSync(join(bin, 'node'))) return bin;
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  const pkg = `node-${process.platform}-${process.arch}@${version}`;
  execFileSync('npm', ['pack', '--silent', '--prefer-offline', pkg, '--pack-destination', home], { stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = readdirSync(home).find((f) => f.endsWith('.tgz'));
  execFileSync('tar', ['-xzf', join(home, tarball), '-C', home]);
  rmSync(join(home, tarball));
  return bin;
}

module.exports = { VERSIONS, nodeBin };

if (require.main === module) {
  // `--bin 24` prints the one folder, for a PATH (.ci/run); no argument fetches them all.
  const at = process.argv.indexOf('--bin');
  if (at !== -1) process.stdout.write(`${nodeBin(process.argv[at + 1])}\n`);
  else for (const major of Object.keys(VERSIONS)) process.stdout.write(`node ${VERSIONS[major]}: ${nodeBin(major)}\n`);
}
