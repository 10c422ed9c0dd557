import { execFileSync } from 'node:child_process';
import path from 'node:path';

// A run's memory does not grow with its caught failures: the heap of one run
// in flight is measured (a child process, on the built package, with
// --expose-gc, so nothing of Jest's counts) across thousands of failed steps
// whose errors each carry a 4 KB response body. Bytes, never time.
describe("a run's memory and its failed steps", () => {
  it('holds no failed step\'s error: a few bytes per failure at most, however many the run catches', () => {
    const fixture = path.join(__dirname, 'fixtures', 'failed-steps-heap.js');
    const out = execFileSync(process.execPath, ['--expose-gc', fixture], { env: { ...process.env, FAILURES: '5000' }, encoding: 'utf8', timeout: 60_000 });
    const { bytesPerFailure, bodyBytes } = JSON.parse(out.trim().split('\n').at(-1)!) as { bytesPerFailure: number; bodyBytes: number };
    // Holding the errors cost more than their bodies (over 4 KB each); the counters the run keeps cost nothing per step.
    expect(bytesPerFailure).toBeLessThan(64);
    expect(bodyBytes).toBe(4096);
  });
});
