#!/usr/bin/env node
// `npm run build`: the package ships a CommonJS and an ESM build (README:
// Packaging). Both are compiled by tsc, which emits the decorator metadata
// NestJS needs; the ESM build sits beside the CommonJS one in a package
// without "type", so a marker makes Node and TypeScript read it as ES modules.
'use strict';
const { execFileSync } = require('node:child_process');
const { rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

rmSync(join(root, 'dist'), { recursive: true, force: true });
for (const project of ['tsconfig.build.json', 'tsconfig.build.esm.json']) {
  execFileSync(process.execPath, [tsc, '-p', project], { cwd: root, stdio: 'inherit' });
}
writeFileSync(join(root, 'dist', 'esm', 'package.json'), '{\n  "type": "module"\n}\n');
