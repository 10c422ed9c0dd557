import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { NEVER, Observable, concat, defer } from 'rxjs';
import { currentAgentRun, withAgentLlm, withAgentRun, withAgentTool } from 'nestjs-agent-logging';
import { expectWellFormedRun, installEngine, runsIn, tick } from '../support/engine-harness';

/**
 * Isolation under heavy interleaving, as a property: random trees of runs and
 * steps (every return shape, errors, cancellations, timeouts, delays through
 * timers, promises, setImmediate, EventEmitter callbacks and streams) run
 * concurrently, and the emitted log must keep its invariants.
 *
 * `npm test` runs a fixed seed and a bounded number of cases;
 * `npm run test:isolation` runs 2000 with a random seed (ISOLATION_RUNS and
 * ISOLATION_SEED override; a failure prints its seed and shrunk tree).
 */
const NUM_RUNS = Number(process.env.ISOLATION_RUNS ?? 40);
const SEED = process.env.ISOLATION_SEED !== undefined ? Number(process.env.ISOLATION_SEED) : process.env.ISOLATION_RUNS ? undefined : 20260601;

type Delay = 'none' | 'microtask' | 'timer' | 'immediate' | 'emitter' | 'emit' | 'stream';
type Shape = 'sync' | 'promise' | 'observable' | 'generator';
interface RunNode {
  type: 'run';
  shape: Shape;
  ending: 'return' | 'throw' | 'cancel' | 'timeout';
  parallel: boolean;
  delay: Delay;
  children: TreeNode[];
  id?: number;
}
interface StepNode {
  type: 'step';
  kind: 'tool' | 'llm';
  shape: Shape;
  fail: boolean;
  parallel: boolean;
  delay: Delay;
  children: TreeNode[];
  id?: number;
}
type TreeNode = RunNode | StepNode;

const delayArb = fc.constantFrom<Delay>('none', 'microtask', 'timer', 'immediate', 'emitter', 'emit', 'stream');
const shapeArb = fc.constantFrom<Shape>('sync', 'promise', 'observable', 'generator');

function nodeArb(depth: number): fc.Arbitrary<TreeNode> {
  const children = depth === 0 ? fc.constant([] as TreeNode[]) : fc.array(fc.constant(null).chain(() => nodeArb(depth - 1)), { maxLength: 3 });
  const step = fc.record({
    type: fc.constant('step' as const),
    kind: fc.constantFrom('tool' as const, 'llm' as const),
    shape: shapeArb,
    fail: fc.boolean(),
    parallel: fc.boolean(),
    delay: delayArb,
    children: depth === 0 ? fc.constant([] as TreeNode[]) : fc.array(nodeArb(depth - 1), { maxLength: 1 }),
  });
  return fc.oneof({ weight: 3, arbitrary: step }, { weight: 1, arbitrary: runArb(depth, children) });
}

function runArb(depth: number, children = fc.array(nodeArb(Math.max(depth - 1, 0)), { maxLength: 4 })): fc.Arbitrary<RunNode> {
  return fc.record({
    type: fc.constant('run' as const),
    shape: shapeArb,
    ending: fc.constantFrom('return' as const, 'throw' as const, 'cancel' as const, 'timeout' as const),
    parallel: fc.boolean(),
    delay: delayArb,
    children,
  });
}

const forestArb = fc.array(runArb(3), { minLength: 1, maxLength: 5 });

/** The ending a run can really have with its shape: a sync run cannot be cancelled or time out, a Promise cannot be cancelled. */
function effectiveEnding(node: RunNode): RunNode['ending'] {
  if (node.shape === 'sync' && (node.ending === 'cancel' || node.ending === 'timeout')) return 'return';
  if (node.shape === 'promise' && node.ending === 'cancel') return 'return';
  return node.ending;
}

class OwnError extends Error {
  override name = 'OwnError';
}
class StepFailure extends Error {
  override name = 'StepFailure';
}

/** What the code saw while it ran, to check the log against. */
class Observed {
  runIdOf = new Map<number, string>();
  parentOf = new Map<number, { runId?: string; spanId?: string; traceId?: string }>();
  stepOwner = new Map<number, string | undefined>();
  stepSpan = new Map<number, string | undefined>();
  leaks: string[] = [];
  active = 0;
}

const bus = new EventEmitter();
bus.setMaxListeners(0);

async function wait(delay: Delay): Promise<void> {
  switch (delay) {
    case 'none':
      return;
    case 'microtask':
      return Promise.resolve();
    case 'timer':
      return new Promise((r) => setTimeout(r, 1));
    case 'immediate':
      return new Promise((r) => setImmediate(r));
    case 'emitter':
      // Woken by the background ticker or by another run's 'emit', from their context.
      return new Promise((r) => bus.once('tick', r));
    case 'emit':
      bus.emit('tick');
      return Promise.resolve();
    case 'stream':
      return new Promise((r) => Readable.from(['a', 'b']).on('data', () => undefined).on('end', r));
  }
}

function execute(roots: RunNode[]) {
  const seen = new Observed();
  let nextId = 0;
  const number = (n: TreeNode) => {
    n.id = nextId++;
    n.children.forEach(number);
  };
  roots.forEach(number);

  /** Runs a node's own work: its delay, its children, then its ending. Checks the context after every await. */
  function work(node: TreeNode, check: () => void): Promise<unknown> {
    seen.active += 1;
    return (async () => {
      try {
        await wait(node.delay);
        check();
        const run = (child: TreeNode) => callAndConsume(child).then(check);
        if (node.parallel) await Promise.all(node.children.map(run));
        else for (const child of node.children) await run(child);
        check();
        if (node.type === 'run' && effectiveEnding(node) === 'timeout') {
          await tick(15); // the run's own timeout (2 ms) fires first
          check();
        }
        if (node.type === 'step' && node.fail) throw new StepFailure(`step ${node.id}`);
        if (node.type === 'run' && effectiveEnding(node) === 'throw') throw new OwnError(`run ${node.id}`);
        return node.id;
      } finally {
        seen.active -= 1;
      }
    })();
  }

  /** Runs children of a sync node without waiting: their results are consumed in the background. */
  function syncWork(node: TreeNode, check: () => void): unknown {
    for (const child of node.children) {
      seen.active += 1;
      callAndConsume(child).finally(() => (seen.active -= 1)).then(check, check);
    }
    check();
    if (node.type === 'step' && node.fail) throw new StepFailure(`step ${node.id}`);
    if (node.type === 'run' && effectiveEnding(node) === 'throw') throw new OwnError(`run ${node.id}`);
    return node.id;
  }

  function shaped(node: TreeNode, check: () => void): unknown {
    const cancels = node.type === 'run' && effectiveEnding(node) === 'cancel';
    switch (node.shape) {
      case 'sync':
        return syncWork(node, check);
      case 'promise':
        return work(node, check);
      case 'observable':
        return cancels ? concat(defer(() => work(node, check)), NEVER) : defer(() => work(node, check));
      case 'generator':
        return (async function* () {
          yield await work(node, check);
          if (cancels) yield 'never consumed';
        })();
    }
  }

  /** Calls a node (inside whatever run is current) and consumes what it returns, as its caller would. */
  async function callAndConsume(node: TreeNode): Promise<void> {
    const site = currentAgentRun();
    const id = node.id!;
    let fn: () => unknown;
    if (node.type === 'run') {
      seen.parentOf.set(id, { runId: site?.runId, spanId: site?.spanId, traceId: site?.traceId });
      const timeoutMs = effectiveEnding(node) === 'timeout' ? 2 : undefined;
      fn = withAgentRun({ name: `r${id}`, timeoutMs }, () => {
        const mine = currentAgentRun()!;
        seen.runIdOf.set(id, mine.runId);
        const check = () => {
          const now = currentAgentRun();
          if (now?.runId !== mine.runId || now.spanId !== mine.spanId) seen.leaks.push(`run ${id} saw ${now?.agent ?? 'no run'}`);
        };
        return shaped(node, check);
      });
    } else {
      seen.stepOwner.set(id, site?.runId);
      const body = () => {
        const mine = currentAgentRun();
        seen.stepSpan.set(id, mine?.spanId);
        const check = () => {
          const now = currentAgentRun();
          if (now?.runId !== mine?.runId || now?.spanId !== mine?.spanId) seen.leaks.push(`step ${id} saw ${now?.agent ?? 'no run'}`);
        };
        return shaped(node, check);
      };
      fn = node.kind === 'tool' ? withAgentTool(`t${id}`, body) : withAgentLlm({ model: `m${id}` }, body);
    }
    const cancels = node.type === 'run' && effectiveEnding(node) === 'cancel';
    try {
      const value = fn();
      if (value instanceof Observable) {
        await new Promise<void>((resolve) => {
          const sub: { unsubscribe(): void } = value.subscribe({
            next: () => {
              if (cancels) {
                queueMicrotask(() => sub.unsubscribe());
                resolve();
              }
            },
            error: () => resolve(),
            complete: () => resolve(),
          });
        });
      } else if (value && typeof value === 'object' && Symbol.asyncIterator in value) {
        for await (const item of value as AsyncIterable<unknown>) {
          void item;
          if (cancels) break;
        }
      } else {
        await value;
      }
    } catch {
      // Failures are the point; the log tells them.
    }
  }

  const started = Promise.all(roots.map(callAndConsume));
  return { seen, started };
}

function expectedFinish(node: RunNode) {
  switch (effectiveEnding(node)) {
    case 'return':
      return { status: 'ok', stop_reason: 'completed' };
    case 'throw':
      return { status: 'error', stop_reason: 'error', error_class: 'OwnError' };
    case 'cancel':
      return { status: 'cancelled', stop_reason: 'cancelled' };
    case 'timeout':
      return { status: 'error', stop_reason: 'timeout' };
  }
}

function* walk(nodes: TreeNode[]): Generator<TreeNode> {
  for (const n of nodes) {
    yield n;
    yield* walk(n.children);
  }
}

describe('isolation of concurrent runs (property)', () => {
  let ticker: NodeJS.Timeout;
  beforeAll(() => {
    ticker = setInterval(() => bus.emit('tick'), 1);
  });
  afterAll(() => clearInterval(ticker));

  it('keeps every invariant of the log for random trees of runs, steps, errors, cancellations and delays', async () => {
    await fc.assert(
      fc.asyncProperty(forestArb, async (roots) => {
        const harness = installEngine();
        try {
          const { seen, started } = execute(roots);
          await started;
          for (let i = 0; i < 500 && seen.active > 0; i++) await tick(2);
          expect(seen.active).toBe(0);
          await tick(3);

          expect(seen.leaks).toEqual([]);
          const runs = runsIn(harness.capture.events);
          expect(runs.size).toBe(seen.runIdOf.size);
          const nodes = [...walk(roots)];
          for (const node of nodes) {
            const id = node.id!;
            if (node.type === 'run') {
              const runId = seen.runIdOf.get(id);
              if (runId === undefined) continue; // never reached: its caller was abandoned first
              const events = runs.get(runId)!;
              expect(events).toBeDefined();
              const finished = expectWellFormedRun(events);
              expect(events.every((e) => e.agent === `r${id}`)).toBe(true);
              expect(finished).toMatchObject(expectedFinish(node));
              const parent = seen.parentOf.get(id)!;
              expect(events[0].parent_run_id).toBe(parent.runId);
              expect(events[0].parent_span_id).toBe(parent.spanId);
              if (parent.traceId) expect(events[0].trace_id).toBe(parent.traceId);
            }
          }
          // No step event carries a run_id of a run it was not part of, nor another step's span.
          const byName = new Map(nodes.filter((n) => n.type === 'step').map((n) => [n.kind === 'tool' ? `t${n.id}` : `m${n.id}`, n.id!]));
          for (const e of harness.capture.events) {
            if (e.event === 'run_started' || e.event === 'run_finished') continue;
            const id = byName.get((e.tool ?? e.model) as string);
            expect(id).toBeDefined();
            expect(e.run_id).toBe(seen.stepOwner.get(id!));
            expect(e.span_id).toBe(seen.stepSpan.get(id!));
          }
        } finally {
          harness.uninstall();
        }
      }),
      { seed: SEED, numRuns: NUM_RUNS, verbose: 1 },
    );
  }, 20_000 + NUM_RUNS * 200);
});
