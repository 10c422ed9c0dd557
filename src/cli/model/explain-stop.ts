import { plainUsd } from '../../core/pricing/usd.js';
import { formatCount, formatMs } from '../views/format-units.js';
import { budgetStop } from './budget-stop.js';
import type { Notice, RunView, StepView } from './run-view.js';

export interface StopExplanation {
  /** One sentence for on-call: "stopped: tool `refund` failed with TimeoutError after 3 steps". */
  sentence: string;
  /** The step to look at: the failure that ended the run. */
  failure_step_index?: number;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function describeStep(step: StepView): string {
  return `${step.kind} \`${step.name}\` failed${step.error_class ? ` with ${step.error_class}` : ''}`;
}

/**
 * The failure that ended a tool_error / step_error run is the last failed step
 * of that kind (the run threw its error); first_error_step_index points at the
 * first failure, which an agent may have recovered from.
 */
function endingFailure(run: RunView, kind: 'tool' | 'model'): StepView | undefined {
  const failed = run.steps.filter((s) => s.status === 'error');
  return failed.filter((s) => s.kind === kind).pop() ?? failed.pop();
}

function firstFailure(run: RunView): StepView | undefined {
  const byIndex = run.steps.find((s) => s.step_index === run.first_error_step_index && s.status === 'error');
  return byIndex ?? run.steps.find((s) => s.status === 'error');
}

const loopsOf = (run: RunView): Notice[] => run.notices.filter((n) => n.event === 'loop_detected');

/** A loop the guard saw in a run that stopped for another reason (it only warned, or the run went on to something else). */
function loopNote(run: RunView): string {
  const loops = loopsOf(run);
  if (loops.length === 0 || run.stop_reason === 'loop_detected') return '';
  const [first] = loops;
  const what = first.tool !== undefined ? `tool \`${first.tool}\`` : 'a tool';
  const more = loops.length > 1 ? `, and ${loops.length - 1} more` : '';
  return `; the loop guard saw ${what} called again with the same arguments${first.detail ? ` (${first.detail})` : ''}${more}`;
}

/** A step cap: this package's maxSteps (the next step refused), or the framework's own (its loop just stopped). */
function stepCapSentence(run: RunView, steps: string): string {
  const limit = run.limit;
  if (limit?.name === 'framework_step_cap') return `stopped: the framework's own step cap (stopWhen, maxTurns, recursionLimit) ended its loop ${steps}`;
  if (limit?.name === 'maxSteps' || run.error_class === 'MaxStepsExceededError') {
    const value = limit?.value !== undefined ? ` ${limit.value}` : '';
    return `stopped: the step budget (maxSteps${value}) was spent ${steps}; the next step was refused`;
  }
  return `stopped: a step cap was reached ${steps} (maxSteps, or the framework's own)`;
}

/** A budget stop: which limit, when the error the run threw says; else what the run spent. */
function budgetSentence(run: RunView, steps: string): string {
  const spent = budgetStop(run);
  if (spent?.limit === 'maxTokens') {
    return `stopped: the token budget was spent (maxTokens ${formatCount(spent.budget)}, spent ${formatCount(spent.spent)}) ${steps}; the next step was refused`;
  }
  if (spent?.limit === 'maxCostUsd') {
    return `stopped: the cost budget was spent (maxCostUsd $${plainUsd(spent.budget)}, spent $${plainUsd(spent.spent)}) ${steps}; the next step was refused`;
  }
  const used = run.token_usage ? ` (${formatCount(run.token_usage.total_tokens)} tokens used)` : '';
  return `stopped: the run's token or cost budget was spent${used} ${steps}; the next step was refused`;
}

/** Why the run stopped, in one sentence, and where to look; a loop the guard saw on the way is added to it. */
export function explainStop(run: RunView): StopExplanation {
  const stop = explainEnding(run);
  return { ...stop, sentence: stop.sentence + loopNote(run) };
}

function explainEnding(run: RunView): StopExplanation {
  const steps = `after ${plural(run.total_steps, 'step')}`;
  const first = firstFailure(run);
  switch (run.stop_reason) {
    case undefined: {
      const last = run.steps[run.steps.length - 1];
      const where = last ? `; last seen: step ${last.step_index}, ${last.kind} \`${last.name}\` ${last.status.replace('_', ' ')}` : '';
      return {
        sentence: `not finished: no run_finished in the log (still in flight, or its process died)${where}`,
        failure_step_index: last?.step_index,
      };
    }
    case 'completed': {
      if (!first) return { sentence: `completed ${steps}` };
      return {
        sentence: `completed ${steps}, recovering from ${plural(run.errors || 1, 'failed step')} (first: step ${first.step_index}, ${describeStep(first)})`,
      };
    }
    case 'tool_error':
    case 'step_error': {
      const failure = endingFailure(run, run.stop_reason === 'tool_error' ? 'tool' : 'model');
      if (!failure) return { sentence: `stopped: a ${run.stop_reason === 'tool_error' ? 'tool' : 'model'} step failed ${steps}` };
      return { sentence: `stopped: ${describeStep(failure)} ${steps}`, failure_step_index: failure.step_index };
    }
    case 'max_steps':
      // The refused step writes no event: there is no step to mark.
      return { sentence: stepCapSentence(run, steps) };
    case 'error': {
      const thrown = run.error_class ? `threw ${run.error_class}` : 'threw';
      const also = first ? ` (first failed step: ${first.step_index}, ${describeStep(first)})` : '';
      return { sentence: `stopped: the run body ${thrown} ${steps}${also}`, failure_step_index: first?.step_index };
    }
    case 'cancelled':
      return { sentence: `stopped: cancelled by the caller (unsubscribed, aborted or abandoned) ${steps}` };
    case 'timeout':
      return {
        sentence: `stopped: timed out${run.total_latency_ms !== undefined ? ` at ${formatMs(run.total_latency_ms)}` : ''} ${steps}`,
        failure_step_index: run.steps.find((s) => s.status !== 'ok')?.step_index,
      };
    case 'loop_detected': {
      const loops = loopsOf(run);
      const loop = [...loops].reverse().find((n) => n.action === 'refused') ?? loops[loops.length - 1];
      const what = loop?.tool !== undefined ? ` tool \`${loop.tool}\`` : ' a tool';
      const detail = loop?.detail ? ` (${loop.detail})` : '';
      return { sentence: `stopped: the loop guard refused${what} called again with the same arguments${detail} ${steps}`, failure_step_index: loop?.step_index };
    }
    case 'budget_exceeded':
      return { sentence: budgetSentence(run, steps) };
    case 'shutdown':
      return { sentence: `stopped: the process shut down with the run in flight, ${steps}` };
    default:
      return {
        sentence: `stopped: the code set stop reason \`${run.stop_reason}\` ${steps}`,
        failure_step_index: first?.step_index,
      };
  }
}
