import { spawnSync } from 'node:child_process';

/**
 * An external program a test needs (promtool, prometheus). Where it is
 * missing the test is skipped with a message saying which Debian package
 * brings it, except on CI (`AGENT_LOGGING_CI=1`), where a missing binary is a
 * failure: a green CI must not hide a skipped check.
 */
export function externalBinary(name: string, debianPackage: string): string | undefined {
  const found = spawnSync(name, ['--version'], { encoding: 'utf8' }).status === 0;
  if (found) return name;
  const message = `${name} is not installed: its checks are SKIPPED (apt-get install -y ${debianPackage})`;
  if (process.env.AGENT_LOGGING_CI === '1') throw new Error(`${message}; AGENT_LOGGING_CI=1 requires it`);
  console.warn(message);
  return undefined;
}
