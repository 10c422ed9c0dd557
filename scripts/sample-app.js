'use strict';
// Makes sample-app/ ready to run the way a user's app runs: its own
// dependencies (NestJS 12, ESM) from its lock file, this package from the
// freshly packed tarball, compiled by its own tsconfig.
const { spawnSync } = require('node:child_process');
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { packTarball } = require('./pack');

const root = join(__dirname, '..');
const appDir = join(root, 'sample-app');
const lockFile = join(appDir, 'package-lock.json');

function npm(args) {
  const result = spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel', 'error'], { cwd: appDir, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm ${args.join(' ')} failed in sample-app/`);
}

/**
 * The lock must not pin the tarball's integrity: the tarball changes with
 * every build, and npm ci would install the cached copy of an older one
 * instead. `npm install` run by hand in sample-app/ writes it back, so it is
 * taken out here rather than trusted.
 */
function unpinTarball() {
  const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
  const entry = lock.packages?.['node_modules/nestjs-agent-logging'];
  if (!entry || entry.integrity === undefined) return;
  delete entry.integrity;
  writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
}

/** Packs the built package, installs the sample app and builds it; returns its entry file. */
function prepareSampleApp() {
  packTarball();
  unpinTarball();
  npm(['ci', '--prefer-offline']);
  npm(['run', 'build']);
  return join(appDir, 'dist', 'main.js');
}

module.exports = { prepareSampleApp };
