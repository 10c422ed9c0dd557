import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/** Runs a script in a fresh process, where the registry does not exist until the script says so. */
const node = (script: string) => spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', timeout: 20_000 });

describe('the process-wide registry', () => {
  it('adopts one made by another copy of the same version that lacks a newer field, and the engine still installs', () => {
    const child = node(`
      const { AsyncLocalStorage } = require('node:async_hooks');
      Object.defineProperty(globalThis, Symbol.for('nestjs-agent-logging/registry'), {
        value: { version: 1, storage: new AsyncLocalStorage(), engine: undefined, flags: { active: false } },
      });
      const pino = require('pino');
      const { Engine } = require('./dist/cjs/core/engine');
      const { createPinoSink } = require('./dist/cjs/core/sink/pino-sink');
      const engine = new Engine({ sink: createPinoSink(() => pino({ level: 'silent' }), () => {}) });
      engine.install();
      engine.uninstall();
      console.log('installed');
    `);
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('installed');
  });

  it('refuses a copy of another version with a message that says what to do', () => {
    const child = node(`
      Object.defineProperty(globalThis, Symbol.for('nestjs-agent-logging/registry'), { value: { version: 99 } });
      try { require('./dist/cjs/core/registry'); } catch (err) { console.log(err.message); }
    `);
    expect(child.stdout).toMatch(/two incompatible copies are loaded \(registry 99 and 1\); install one version/);
  });
});
