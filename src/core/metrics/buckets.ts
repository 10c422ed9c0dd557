/**
 * Histogram bucket boundaries fit for LLM work. prom-client's default top
 * bucket is 10 s, and a model call can take a minute: these follow the
 * OpenTelemetry GenAI advice (semantic-conventions-genai 0.1.0).
 */

/** Model and tool calls, in seconds: 10 ms doubling up to 81.92 s (`gen_ai.client.operation.duration`, `gen_ai.execute_tool.duration`). */
export const CALL_SECONDS_BUCKETS: readonly number[] = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

/** Whole runs, in seconds: 100 ms doubling up to 409.6 s (`gen_ai.invoke_agent.duration`). */
export const RUN_SECONDS_BUCKETS: readonly number[] = [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2, 102.4, 204.8, 409.6];

/** Steps (or tool calls) per run. */
export const STEPS_PER_RUN_BUCKETS: readonly number[] = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89];

/** Tokens per model call: powers of 4 (`gen_ai.client.inference.operation.*_tokens`). */
export const TOKEN_BUCKETS: readonly number[] = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

/** What is wrong with a list of bucket boundaries, or undefined. */
export function bucketsProblem(value: unknown): string | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > 64) return 'an array of 1 to 64 numbers';
  for (let i = 0; i < value.length; i++) {
    const v = value[i] as unknown;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return 'an array of finite numbers above 0';
    if (i > 0 && v <= (value[i - 1] as number)) return 'an array of increasing numbers';
  }
  return undefined;
}
