import pino from 'pino';
import { Engine, type EngineConfig } from '../../src/core/engine';
import { createPinoSink } from '../../src/core/sink/pino-sink';
import { LogCapture, type LogLine } from './log-capture';

/**
 * The framework-free engine writing through a real pino logger into a
 * LogCapture, for core tests: the same bytes a Nest app would write, without
 * booting one. `installEngine` returns the capture and an uninstall function.
 */
export function installEngine(config: Omit<EngineConfig, 'sink'> = {}) {
  const capture = new LogCapture();
  const logger = pino({ level: 'info' }, capture);
  const engine: Engine = new Engine({ ...config, sink: createPinoSink(() => logger, (err) => engine.dropped(err)) });
  engine.install();
  return { capture, engine, uninstall: () => engine.uninstall() };
}

/** Resolves after pending timers, immediates and microtasks of a just-finished run have run. */
export const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

/** The runs in a log, each with its events ordered by seq. */
export function runsIn(events: LogLine[]): Map<string, LogLine[]> {
  const runs = new Map<string, LogLine[]>();
  for (const e of events) {
    const list = runs.get(e.run_id as string) ?? [];
    list.push(e);
    runs.set(e.run_id as string, list);
  }
  for (const list of runs.values()) list.sort((a, b) => (a.seq as number) - (b.seq as number));
  return runs;
}

/**
 * The invariants every run's events keep, whatever happened: seq 1..n,
 * run_started first and exactly one run_finished last, step indexes 1..k
 * contiguous with one result per step, totals that match the steps, latencies
 * present. Returns the run_finished event.
 */
export function expectWellFormedRun(events: LogLine[]): LogLine {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  expect(events[0].event).toBe('run_started');
  expect(events.filter((e) => e.event === 'run_started')).toHaveLength(1);
  expect(events.filter((e) => e.event === 'run_finished')).toHaveLength(1);
  const finished = events.at(-1)!;
  expect(finished.event).toBe('run_finished');
  const runSpan = events[0].span_id;
  expect(finished.span_id).toBe(runSpan);
  const steps = events.filter((e) => e.event === 'agent_step');
  expect(steps.map((s) => s.step_index)).toEqual(steps.map((_, i) => i + 1));
  const results = events.filter((e) => e.event === 'tool_result' || e.event === 'llm_result');
  expect(results.map((r) => r.step_index).sort((a, b) => (a as number) - (b as number))).toEqual(steps.map((s) => s.step_index));
  for (const r of results) {
    const step = steps.find((s) => s.step_index === r.step_index)!;
    expect(r.span_id).toBe(step.span_id);
    expect(r.seq as number).toBeGreaterThan(step.seq as number);
    expect(typeof r.latency_ms).toBe('number');
    expect(['ok', 'error', 'cancelled']).toContain(r.status);
  }
  expect(finished).toMatchObject({
    total_steps: steps.length,
    tool_calls: steps.filter((s) => s.step_type === 'tool_call').length,
    llm_calls: steps.filter((s) => s.step_type === 'llm_call').length,
    errors: results.filter((r) => r.status === 'error').length,
  });
  expect(typeof finished.total_latency_ms).toBe('number');
  for (const e of events) expect(e.trace_id).toBe(events[0].trace_id);
  return finished;
}
