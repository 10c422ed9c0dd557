/** The slice of the OpenAI Chat Completions shapes this sample uses. */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ChatCompletion {
  id: string;
  model: string;
  choices: { index: number; finish_reason: 'stop' | 'tool_calls'; message: Extract<ChatMessage, { role: 'assistant' }> }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/** One chunk of a streamed completion; the last one carries usage, as with `stream_options.include_usage`. */
export interface ChatCompletionChunk {
  model: string;
  choices: { index: number; delta: { content?: string }; finish_reason: 'stop' | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}
