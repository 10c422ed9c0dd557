import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const manifest = JSON.parse(read('package.json')) as {
  name: string;
  scripts: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
  dependencies: Record<string, string>;
  engines: { node: string };
};

/** The major versions a caret range list such as `^11.0.0 || ^12.0.0` admits. */
function caretMajors(range: string): number[] {
  return range.split('||').map((part) => {
    const m = /^\^(\d+)\.\d+\.\d+$/.exec(part.trim());
    if (!m) throw new Error(`not a caret range: ${part}`);
    return Number(m[1]);
  });
}

const installedVersion = (pkg: string) => (JSON.parse(read(`node_modules/${pkg}/package.json`)) as { version: string }).version;

describe('the repository a user clones', () => {
  it('is the package nestjs-agent-logging, with the scripts the README names', () => {
    expect(manifest.name).toBe('nestjs-agent-logging');
    for (const script of ['build', 'test', 'demo', 'bench']) expect(manifest.scripts[script]).toEqual(expect.any(String));
    for (const file of ['tsconfig.json', 'nest-cli.json', 'package-lock.json', '.gitignore', '.ci/run', 'README.md', 'sample-app/src/main.ts']) {
      expect(existsSync(join(root, file))).toBe(true);
    }
  });

  it('admits NestJS 11 and 12 through its peer dependencies, nestjs-pino 5 as an optional peer', () => {
    for (const pkg of ['@nestjs/common', '@nestjs/core']) expect(caretMajors(manifest.peerDependencies[pkg])).toEqual(expect.arrayContaining([11, 12]));
    expect(caretMajors(manifest.peerDependencies['nestjs-pino'])).toEqual([5]);
    for (const pkg of ['pino', 'rxjs', 'reflect-metadata']) expect(manifest.peerDependencies[pkg]).toEqual(expect.any(String));
    expect(manifest.peerDependenciesMeta?.['nestjs-pino']?.optional).toBe(true);
  });

  it('develops on the NestJS and TypeScript its test runner supports', () => {
    // The installed NestJS is one the peer range admits.
    expect(caretMajors(manifest.peerDependencies['@nestjs/core'])).toContain(Number(installedVersion('@nestjs/core').split('.')[0]));
    // ts-jest declares an upper bound on the TypeScript it supports (`>=4.3 <7`): the pinned one is below it.
    const supported = (JSON.parse(read('node_modules/ts-jest/package.json')) as { peerDependencies: { typescript: string } }).peerDependencies.typescript;
    const below = /<\s*(\d+)/.exec(supported);
    const major = Number(installedVersion('typescript').split('.')[0]);
    expect(below).not.toBeNull();
    expect(major).toBeLessThan(Number(below![1]));
  });

  it('has CI run `npm ci`, then exactly the test command the README gives', () => {
    const readmeCommand = /^npm ci && (npm [a-z:]+)\s+# typecheck/m.exec(read('README.md'));
    expect(readmeCommand).not.toBeNull();
    const steps = read('.ci/run').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && !l.startsWith('set ') && !l.startsWith('cd '));
    // Anything before (a system package for an optional check) may come first; these two end it.
    expect(steps.slice(-2)).toEqual([expect.stringMatching(/^npm ci\b/), readmeCommand![1]]);
    expect(steps.slice(0, -2).filter((l) => /\bnpm\b/.test(l))).toEqual([]);
  });

  it('declares the Node floor its peers need: nestjs-pino 5 wants 22.12', () => {
    const nestjsPino = JSON.parse(read('node_modules/nestjs-pino/package.json')) as { engines: { node: string } };
    expect(nestjsPino.engines.node).toBe('>=22.12.0');
    expect(manifest.engines.node).toBe('>=22.12.0');
  });

  it('has the sample app install this package from the packed tarball, its lock file in step with the package', () => {
    const app = JSON.parse(read('sample-app/package.json')) as { type: string; dependencies: Record<string, string> };
    expect(app.type).toBe('module');
    expect(caretMajors(app.dependencies['@nestjs/core'])).toEqual([12]);
    expect(app.dependencies['nestjs-agent-logging']).toBe('file:../.tmp/pack/nestjs-agent-logging.tgz');
    const lock = JSON.parse(read('sample-app/package-lock.json')) as { packages: Record<string, { integrity?: string; dependencies?: Record<string, string> }> };
    const entry = lock.packages['node_modules/nestjs-agent-logging'];
    // A pinned integrity would make npm ci install a cached older build of the tarball (scripts/sample-app.js).
    expect(entry.integrity).toBeUndefined();
    expect(entry.dependencies).toEqual(manifest.dependencies);
  });
});
