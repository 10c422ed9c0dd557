import { isObj, type Obj } from '../core/providers/model-reading.js';

/** A tool call a model response asked for: its id, the tool's name and the argument text. */
export interface FunctionCall {
  id?: string;
  name: string;
  arguments: string;
}

/**
 * What a model span says once it ends. A `response` span (the Responses API)
 * holds the whole response in `_response`, a `generation` span (Chat
 * Completions) the raw completion in `output[0]`: either is the step's result,
 * read by core's readers like any model result. The SDK fills them
 * only with `traceIncludeSensitiveData` (its default); without, the step has
 * no usage.
 */
export function modelCallOf(data: Obj): { value: unknown; calls: FunctionCall[] } {
  if (data.type === 'response') {
    const response = isObj(data._response) ? data._response : undefined;
    const output = Array.isArray(response?.output) ? response.output : [];
    const calls = output.filter(isObj).filter((item) => item.type === 'function_call').map((item) => ({
      id: typeof item.call_id === 'string' ? item.call_id : undefined,
      name: String(item.name),
      arguments: typeof item.arguments === 'string' ? item.arguments : '',
    }));
    return { value: response, calls };
  }
  const completion = Array.isArray(data.output) && isObj(data.output[0]) ? data.output[0] : undefined;
  const choice = Array.isArray(completion?.choices) && isObj(completion.choices[0]) ? completion.choices[0] : undefined;
  const toolCalls = isObj(choice?.message) && Array.isArray(choice.message.tool_calls) ? choice.message.tool_calls : [];
  const calls = toolCalls.filter(isObj).map((call) => {
    const fn = isObj(call.function) ? call.function : {};
    return { id: typeof call.id === 'string' ? call.id : undefined, name: String(fn.name), arguments: typeof fn.arguments === 'string' ? fn.arguments : '' };
  });
  return { value: completion, calls };
}

/**
 * The error a span carries is a summary (`{ message, data: { error } }`, where
 * `error` is `String(err)` when sensitive data is traced): it is given back as
 * an Error of the class its text names (`MaxTurnsExceededError: Max turns (3)
 * exceeded`), so the class reaches `error_class` and a step or turn cap is told apart.
 */
export function spanErrorOf(spanError: { message: string; data?: Record<string, unknown> }): Error {
  const detail = spanError.data?.error;
  const text = typeof detail === 'string' ? detail : '';
  const named = /^([A-Za-z_$][\w$]{0,99}): ([\s\S]*)$/.exec(text);
  const className = named?.[1] ?? 'Error';
  const message = named ? named[2] : [spanError.message, text].filter(Boolean).join(': ');
  const ErrorClass = { [className]: class extends Error {} }[className]!;
  return new ErrorClass(message);
}
