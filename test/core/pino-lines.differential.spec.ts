import fc from 'fast-check';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino10 from 'pino';
import pino9 from 'pino-9';
import { agentLogMixin } from '../../src/core/agent-log-mixin';
import { runInFrame, type Frame } from '../../src/core/run-context';
import type { EventLevel, EventSink, RunBindings } from '../../src/core/sink/event-sink';
import { emittingEvent } from '../../src/core/sink/emitting-event';
import { lineFormatOf } from '../../src/core/sink/line-format';
import { createPinoSink } from '../../src/core/sink/pino-sink';

/**
 * The sink writes some lines straight to the destination instead of through
 * pino. This proves, differentially, that each such line is byte for byte the
 * one the application's pino logger would have written for the same event:
 * generated pino configurations and generated events (and application lines
 * in between) go once through the sink and once through pino itself
 * (`child.info(event)`, as the sink did before), and the bytes that reach the
 * destinations are compared. Both peer majors are covered: pino 10 and pino 9.
 */

type Pino = typeof pino10;
const PINOS: [string, Pino][] = [
  [`pino ${pino10.version}`, pino10],
  [`pino ${(pino9 as unknown as Pino).version}`, pino9 as unknown as Pino],
];

/** A plain application destination: a Writable that keeps what it was given. */
class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

interface Config {
  level: string;
  levels: 'default' | 'extra' | 'only-with' | 'only-without';
  comparison: 'ASC' | 'DESC' | 'fn';
  messageKey?: string;
  errorKey?: string;
  nestedKey?: string;
  base: 'default' | 'null' | 'custom';
  name?: string;
  timestamp: 'default' | 'false' | 'true' | 'iso' | 'unix' | 'epoch' | 'null' | 'nano' | 'counter';
  levelFormatter: 'none' | 'label' | 'severity';
  bindingsFormatter: boolean;
  logFormatter: boolean;
  mixin: 'none' | 'agent' | 'other';
  mergeStrategy: boolean;
  redact: 'none' | 'tool' | 'nested' | 'wildcard' | 'censor' | 'remove' | 'bindings' | 'unrelated';
  serializers: 'none' | 'tool' | 'err' | 'seq' | 'unrelated';
  hooks: 'none' | 'logMethod' | 'streamWrite';
  crlf: boolean;
  msgPrefix?: string;
  depthLimit: number;
  edgeLimit: number;
  enabled: boolean;
  destination: 'capture' | 'sonic' | 'multistream';
}

const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
/** true with about this probability */
const sometimes = (p: number) => fc.integer({ min: 1, max: 10 }).map((n) => n <= p * 10);

const configs: fc.Arbitrary<Config> = fc.record({
  level: fc.constantFrom('info', 'debug', 'warn', 'error', 'silent', 'trace', 'fatal', 'audit'),
  levels: fc.constantFrom('default', 'extra', 'only-with', 'only-without'),
  comparison: fc.constantFrom('ASC', 'DESC', 'fn'),
  messageKey: opt(fc.constantFrom('msg', 'message', 'event', 'seq')),
  errorKey: opt(fc.constantFrom('err', 'error', 'tool', 'token_usage')),
  nestedKey: opt(fc.constantFrom('payload', 'event')),
  base: fc.constantFrom('default', 'null', 'custom'),
  name: opt(fc.constantFrom('app', 'we"ird\n')),
  timestamp: fc.constantFrom('default', 'false', 'true', 'iso', 'unix', 'epoch', 'null', 'nano', 'counter'),
  levelFormatter: fc.constantFrom('none', 'label', 'severity'),
  bindingsFormatter: fc.boolean(),
  logFormatter: sometimes(0.2),
  mixin: fc.constantFrom('none', 'agent', 'agent', 'other'),
  mergeStrategy: sometimes(0.2),
  redact: fc.constantFrom('none', 'none', 'tool', 'nested', 'wildcard', 'censor', 'remove', 'bindings', 'unrelated'),
  serializers: fc.constantFrom('none', 'none', 'tool', 'err', 'seq', 'unrelated'),
  hooks: fc.constantFrom('none', 'none', 'logMethod', 'streamWrite'),
  crlf: fc.boolean(),
  msgPrefix: opt(fc.constantFrom('[app] ')),
  depthLimit: fc.integer({ min: 1, max: 6 }),
  edgeLimit: fc.integer({ min: 1, max: 100 }),
  enabled: sometimes(0.9),
  destination: fc.constantFrom('capture', 'sonic', 'multistream'),
});

/** Whether the sink may write this configuration's lines itself; everything else must go through pino. */
const direct = (c: Config) =>
  !c.logFormatter && c.hooks !== 'logMethod' && (c.mixin === 'none' || (c.mixin === 'agent' && !c.mergeStrategy)) && c.redact !== 'wildcard';

const LEVELS: Record<Config['levels'], Record<string, number> | undefined> = {
  default: undefined,
  extra: { audit: 35 },
  'only-with': { info: 30, error: 50, audit: 35 },
  'only-without': { audit: 35, alert: 60 },
};

/** pino options for a configuration; fresh functions each time, so a stateful one (the counter) starts over. */
function optionsOf(c: Config): { options: Record<string, unknown>; stream: unknown; read: () => string; close: () => Promise<void> } {
  const custom = LEVELS[c.levels];
  let level = c.level;
  const known = new Set([...(c.levels.startsWith('only') ? [] : ['trace', 'debug', 'info', 'warn', 'error', 'fatal']), ...Object.keys(custom ?? {}), 'silent']);
  if (!known.has(level)) level = c.levels.startsWith('only') ? 'audit' : 'info';
  let counter = 0;
  const time = {
    default: undefined,
    false: false,
    true: true,
    iso: pino10.stdTimeFunctions.isoTime,
    unix: pino10.stdTimeFunctions.unixTime,
    epoch: pino10.stdTimeFunctions.epochTime,
    null: pino10.stdTimeFunctions.nullTime,
    nano: pino10.stdTimeFunctions.isoTimeNano,
    counter: () => `,"time":${++counter}`,
  }[c.timestamp];
  const formatters: Record<string, unknown> = {};
  if (c.levelFormatter === 'label') formatters.level = (label: string) => ({ level: label });
  if (c.levelFormatter === 'severity') formatters.level = (label: string, n: number) => ({ severity: label.toUpperCase(), n });
  if (c.bindingsFormatter) formatters.bindings = (b: Record<string, unknown>) => ({ ...b, formatted: true });
  if (c.logFormatter) formatters.log = (o: Record<string, unknown>) => ({ ...o, logged: true });
  const options: Record<string, unknown> = {
    level,
    ...(custom ? { customLevels: custom, useOnlyCustomLevels: c.levels.startsWith('only') } : {}),
    levelComparison: c.comparison === 'fn' ? (current: number, expected: number) => current >= expected : c.comparison,
    ...(c.messageKey ? { messageKey: c.messageKey } : {}),
    ...(c.errorKey ? { errorKey: c.errorKey } : {}),
    ...(c.nestedKey ? { nestedKey: c.nestedKey } : {}),
    ...(c.base === 'null' ? { base: null } : c.base === 'custom' ? { base: { service: 'svc', 'odd"key': 'v\n' } } : {}),
    ...(c.name ? { name: c.name } : {}),
    ...(time !== undefined ? { timestamp: time } : {}),
    formatters,
    ...(c.mixin === 'agent' ? { mixin: agentLogMixin } : c.mixin === 'other' ? { mixin: () => ({ mixed: 1, tool: 'from-mixin' }) } : {}),
    ...(c.mergeStrategy ? { mixinMergeStrategy: (o: object, m: object) => ({ ...o, ...m }) } : {}),
    ...{
      none: {},
      tool: { redact: ['tool'] },
      nested: { redact: ['token_usage.input_tokens'] },
      wildcard: { redact: ['*.secret'] },
      censor: { redact: { paths: ['error_message'], censor: '***' } },
      remove: { redact: { paths: ['args_hash'], remove: true } },
      bindings: { redact: ['run_id'] },
      unrelated: { redact: ['req.headers.authorization'] },
    }[c.redact],
    ...{
      none: {},
      tool: { serializers: { tool: (v: unknown) => String(v).toUpperCase() } },
      err: { serializers: { err: (e: unknown) => ({ wrapped: String(e) }) } },
      seq: { serializers: { seq: () => 0 } },
      unrelated: { serializers: { req: (r: unknown) => r } },
    }[c.serializers],
    ...(c.hooks === 'logMethod'
      ? { hooks: { logMethod(this: unknown, args: unknown[], method: (...a: unknown[]) => void) { method.apply(this, args); } } }
      : c.hooks === 'streamWrite'
        ? { hooks: { streamWrite: (s: string) => `#${s}` } }
        : {}),
    crlf: c.crlf,
    ...(c.msgPrefix ? { msgPrefix: c.msgPrefix } : {}),
    depthLimit: c.depthLimit,
    edgeLimit: c.edgeLimit,
    enabled: c.enabled,
  };
  if (c.destination === 'sonic') {
    const file = join(dir, `sonic-${files++}.log`);
    const stream = pino10.destination({ dest: file, sync: true });
    return { options, stream, read: () => readFileSync(file, 'utf8'), close: async () => stream.end() };
  }
  if (c.destination === 'multistream') {
    const a = new Capture();
    const b = new Capture();
    const stream = pino10.multistream([
      { level: 'info', stream: a },
      { level: 'error', stream: b },
    ]);
    return { options, stream, read: () => `${a.text}\n--- error stream ---\n${b.text}`, close: async () => undefined };
  }
  const capture = new Capture();
  return { options, stream: capture, read: () => capture.text, close: async () => undefined };
}

// Events as the engine builds them, and whatever fields may come later: any
// string (quotes, control characters, lone surrogates, long ones), odd numbers.
const unit = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom('"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\u2028', '\ud800', '\udfff', '\ud83d\ude00', 'é', '€') },
);
const text = fc.oneof(fc.string({ unit, maxLength: 20 }), fc.string({ unit, minLength: 95, maxLength: 130 }));
const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const num = fc.oneof(fc.nat(), fc.double(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 1e21, 0.1));
const usage = fc.record(
  { input_tokens: fc.nat(), output_tokens: fc.nat(), total_tokens: fc.nat(), cache_read_tokens: fc.nat(), secret: fc.constant('s') },
  { requiredKeys: ['input_tokens', 'output_tokens', 'total_tokens'] },
);
const anyValue = fc.oneof(
  text,
  num,
  fc.boolean(),
  fc.constant(undefined),
  fc.constant(null),
  usage,
  fc.constant(() => 1),
  fc.bigInt(),
  fc.constant(Symbol('s')),
  fc.array(text, { maxLength: 3 }),
  fc.date({ noInvalidDate: true }),
  // pino stringifies a value alone, so its toJSON is called with '': not with the key.
  fc.constant({ toJSON: (key: string) => `toJSON(${key})` }),
  fc.constant({ nested: { toJSON: (key: string) => `toJSON(${key})` } }),
);
const events = fc
  .tuple(
    fc.record(
      {
        event: fc.constantFrom('run_started', 'agent_step', 'tool_call', 'tool_result', 'llm_result', 'run_finished'),
        timestamp: fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((d) => d.toISOString()),
        seq: fc.nat(),
        span_id: hex(16),
        parent_span_id: opt(hex(16)),
        tool: opt(fc.constantFrom('search_docs', 'Tools.lookup', 'a/b@c+d')),
        step_index: fc.nat(),
        args_hash: hex(64),
        latency_ms: num,
        status: fc.constantFrom('ok', 'error', 'cancelled'),
        error_class: fc.constantFrom('Error', 'TypeError'),
        error_message: text,
        token_usage: opt(usage),
        task_truncated: opt(fc.constant(true)),
      },
      { requiredKeys: ['event', 'seq', 'span_id'] },
    ),
    fc.oneof(
      { weight: 8, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom('msg', 'level', 'time', 'err', 'secret'), fc.string({ unit, maxLength: 6 })), anyValue, { maxKeys: 3 }) },
      // What pino's log method takes for an http request or response and maps.
      { weight: 1, arbitrary: fc.constantFrom<Record<string, unknown>>({ method: 'GET', headers: { a: 1 }, socket: {} }, { setHeader: () => undefined }, { method: 'GET' }) },
    ),
  )
  .map(([known, extra]) => ({ ...known, ...extra }));

type Step =
  | { kind: 'event'; level: EventLevel; event: object; next?: object }
  | { kind: 'app'; on: 'root' | 'child'; level: 'info' | 'warn' | 'error'; msg: string };

const steps: fc.Arbitrary<Step[]> = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('event' as const), level: fc.constantFrom<EventLevel>('info', 'warn', 'error'), event: events, next: opt(events) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('app' as const), on: fc.constantFrom<'root' | 'child'>('root', 'child'), level: fc.constantFrom<'info' | 'warn' | 'error'>('info', 'warn', 'error'), msg: text }) },
  ),
  { minLength: 1, maxLength: 8 },
);

const BINDINGS: RunBindings = {
  run_id: '0190a0b0-1111-7222-8333-444455556666',
  trace_id: '0af7651916cd43dd8448eb211c80319c',
  trace_flags: '01',
  agent: 'bench_agent',
  schema: 'agent-log/1',
};
/** App lines are written inside a run, so agentLogMixin adds its fields to them. */
const FRAME = { run: { runId: 'app-run', traceId: 'app-trace' } } as unknown as Frame;

let dir: string;
let files = 0;

type Logger = ReturnType<Pino>;

/** `make()`, or undefined with the error's class noted. */
function attempt<T>(errors: string[], make: () => T): T | undefined {
  try {
    const made = make();
    errors.push('');
    return made;
  } catch (err) {
    errors.push(`open: ${(err as Error).message}`);
    return undefined;
  }
}

/** Writes the steps through the sink (events) or pino (app lines); returns the bytes and each step's error, if any. */
async function throughSink(lib: Pino, config: Config, script: Step[]) {
  const made = optionsOf(config);
  const root = lib(made.options, made.stream as never) as Logger;
  const sink: EventSink = createPinoSink(() => root as never, () => undefined);
  const errors: string[] = [];
  runInFrame(FRAME, () => {
    // A logger without an `info` level cannot make the run's child: the engine then writes nothing for the run.
    const channel = attempt(errors, () => sink.openRun(BINDINGS));
    const appChild = root.child({ req: 1 });
    for (const step of script) {
      try {
        if (step.kind === 'event') {
          if (channel) sink.write(channel, step.level, step.event, step.next);
        }
        else (step.on === 'root' ? root : appChild)[step.level](step.msg);
        errors.push('');
      } catch (err) {
        errors.push((err as Error).constructor.name);
      }
    }
  });
  await made.close();
  return { text: made.read(), errors, format: lineFormatOf(root) };
}

/** The same through pino alone: the run's child logger, each event given to its level method. */
async function throughPino(lib: Pino, config: Config, script: Step[]) {
  const made = optionsOf(config);
  const root = lib(made.options, made.stream as never) as Logger;
  const errors: string[] = [];
  runInFrame(FRAME, () => {
    const child = attempt(errors, () =>
      root.level !== 'silent' && !root.isLevelEnabled('info') ? root.child(BINDINGS, { level: 'info' }) : root.child(BINDINGS),
    );
    const appChild = root.child({ req: 1 });
    for (const step of script) {
      try {
        if (step.kind === 'event') {
          if (child) {
            const log = child as unknown as Record<EventLevel, (o: object) => void>;
            emittingEvent.active = true;
            try {
              log[step.level](step.event);
              if (step.next) log[step.level](step.next);
            } finally {
              emittingEvent.active = false;
            }
          }
        } else (step.on === 'root' ? root : appChild)[step.level](step.msg);
        errors.push('');
      } catch (err) {
        errors.push((err as Error).constructor.name);
      }
    }
  });
  await made.close();
  return { text: made.read(), errors };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agent-lines-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  // One clock for both paths: pino reads the time for each line when it writes it.
  jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_123);
  jest.spyOn(process.hrtime, 'bigint').mockReturnValue(123_456_789n);
});
afterEach(() => jest.restoreAllMocks());

describe.each(PINOS)('lines written by the sink, against %s itself', (_name, lib) => {
  it('are byte for byte the same for generated configurations, events and application lines in between', async () => {
    await fc.assert(
      fc.asyncProperty(configs, steps, async (config, script) => {
        const ours = await throughSink(lib, config, script);
        const theirs = await throughPino(lib, config, script);
        expect(ours.text).toBe(theirs.text);
        expect(ours.errors).toEqual(theirs.errors);
        // The direct path is taken exactly where it was meant to be: the test cannot pass by never taking it.
        expect(typeof ours.format === 'object').toBe(direct(config));
      }),
      { numRuns: 300 },
    );
  });

  it('are the same through a transport (thread-stream to a worker)', async () => {
    const out = async (path: 'sink' | 'pino') => {
      const file = join(dir, `transport-${path}-${files++}.log`);
      const transport = lib.transport({ target: 'pino/file', options: { destination: file } });
      const root = lib({ mixin: agentLogMixin }, transport) as Logger;
      const script: Step[] = [
        { kind: 'event', level: 'info', event: { event: 'agent_step', seq: 2, span_id: 'b7ad6b7169203331' }, next: { event: 'tool_call', seq: 3, args_hash: 'ab' } },
        { kind: 'app', on: 'root', level: 'warn', msg: 'between' },
        { kind: 'event', level: 'error', event: { event: 'tool_result', seq: 4, status: 'error', error_message: 'no "quote" \\ here' } },
      ];
      if (path === 'sink') {
        const sink = createPinoSink(() => root as never, () => undefined);
        const channel = sink.openRun(BINDINGS);
        expect(typeof lineFormatOf(root)).toBe('object');
        for (const s of script) if (s.kind === 'event') sink.write(channel, s.level, s.event, s.next);
        else root[s.level](s.msg);
      } else {
        const child = root.child(BINDINGS);
        for (const s of script) {
          if (s.kind === 'event') {
            emittingEvent.active = true;
            child[s.level](s.event);
            if (s.next) child[s.level](s.next);
            emittingEvent.active = false;
          } else root[s.level](s.msg);
        }
      }
      transport.end();
      await once(transport, 'close');
      return readFileSync(file, 'utf8');
    };
    const ours = await out('sink');
    const theirs = await out('pino');
    expect(ours.split('\n')).toHaveLength(5);
    expect(ours).toBe(theirs);
  });
});

describe('the direct path', () => {
  it('gives a destination pino made two consecutive lines in one write, and a Writable of the app one write per line', () => {
    const count = (stream: { write: (s: string) => unknown }) => {
      const chunks: string[] = [];
      const write = stream.write.bind(stream);
      stream.write = (s: string) => (chunks.push(s), write(s));
      return chunks;
    };
    const file = join(dir, `count-${files++}.log`);
    const sonic = pino10.destination({ dest: file, sync: true });
    const capture = new Capture();
    for (const [stream, writes] of [
      [sonic, 1],
      [capture, 2],
    ] as const) {
      const chunks = count(stream as never);
      const root = pino10({ mixin: agentLogMixin }, stream);
      const sink = createPinoSink(() => root, () => undefined);
      sink.write(sink.openRun(BINDINGS), 'info', { event: 'agent_step', seq: 2 }, { event: 'tool_call', seq: 3 });
      expect(chunks).toHaveLength(writes);
      expect(chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l).event)).toEqual(['agent_step', 'tool_call']);
    }
    sonic.end();
  });

  it('leaves lines to pino when a tracer listens to its serialisation (diagnostics_channel pino_asJson)', () => {
    const { tracingChannel } = require('node:diagnostics_channel') as typeof import('node:diagnostics_channel');
    const seen: unknown[] = [];
    const handlers = { start: (m: unknown) => seen.push(m), end: () => undefined, asyncStart: () => undefined, asyncEnd: () => undefined, error: () => undefined };
    const channel = tracingChannel('pino_asJson');
    channel.subscribe(handlers);
    try {
      const capture = new Capture();
      const root = pino10({}, capture);
      const sink = createPinoSink(() => root, () => undefined);
      sink.write(sink.openRun(BINDINGS), 'info', { event: 'agent_step', seq: 1 });
      expect(seen).toHaveLength(1);
      expect(JSON.parse(capture.text).event).toBe('agent_step');
    } finally {
      channel.unsubscribe(handlers);
    }
  });

  it('leaves lines to pino when the level method was replaced (a spy, an instrumentation)', () => {
    const capture = new Capture();
    const root = pino10({}, capture);
    const sink = createPinoSink(() => root, () => undefined);
    const channel = sink.openRun(BINDINGS);
    const seen: unknown[] = [];
    const info = root.info;
    root.info = function (this: unknown, ...args: unknown[]) {
      seen.push(args[0]);
      return (info as (...a: unknown[]) => void).apply(this, args);
    } as never;
    sink.write(channel, 'info', { event: 'agent_step', seq: 1 });
    expect(seen).toHaveLength(1);
    expect(JSON.parse(capture.text).event).toBe('agent_step');
  });
});
