'use strict';
// The package as users get it: `npm pack` of the built dist/, under one fixed
// name, installed by the sample app (its package.json names this file) and by
// the stack apps (test/stacks).
const { execFileSync } = require('node:child_process');
const { mkdirSync, renameSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const TARBALL = join(root, '.tmp', 'pack', 'nestjs-agent-logging.tgz');

/** Packs the already built package; returns the tarball's path. */
function packTarball() {
  const dest = join(root, '.tmp', 'pack');
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  const out = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', dest], { cwd: root, encoding: 'utf8' });
  renameSync(join(dest, out.trim().split('\n').pop()), TARBALL);
  return TARBALL;
}

module.exports = { TARBALL, packTarball };
