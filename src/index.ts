// The public API of nestjs-agent-logging, and nothing else.

export { AgentLoggingModule } from './nest/agent-logging.module.js';
export type { AgentLoggingModuleOptions, AgentLoggingModuleExtras } from './nest/agent-logging.options.js';
export type { CaptureOptions } from './core/capture/capture.js';
export type {
  AgentLoggingIntegration,
  AgentTracer,
  EventRun,
  IntegrationHost,
  OuterContext,
  SpanRequest,
  TracedSpan,
  TracePosition,
} from './core/integration.js';
export type { LoopGuardOptions, LoopGuardSetting, ToolLoopGuardSetting } from './core/guards/loop-guard.js';
export type { ModelPrice, Prices } from './core/pricing/price-table.js';
export type { ErrorMessageMode } from './core/redaction/scrubber.js';
export { AgentRun } from './nest/agent-run.decorator.js';
export { AgentTool } from './nest/agent-tool.decorator.js';
export { AgentLlm } from './nest/agent-llm.decorator.js';
export { AgentContextInterceptor } from './nest/agent-context.interceptor.js';

export type { AgentRunOptions, AgentToolOptions, AgentLlmOptions } from './core/specs.js';
export {
  currentAgentRun,
  setStopReason,
  droppedEventCount,
  withAgentRun,
  withAgentTool,
  withAgentLlm,
  type AgentRunInfo,
} from './core/agent-context.js';
export { agentTraceHeaders, withAgentTraceContext, type HeadersLike } from './core/trace-headers.js';
export { agentLogMixin } from './core/agent-log-mixin.js';
export {
  AgentGuardError,
  MaxStepsExceededError,
  LoopDetectedError,
  BudgetExceededError,
  AgentRunTimeoutError,
  AgentLoggingConfigError,
} from './core/errors.js';
export { extractTokenUsage, type UsageExtractor } from './core/token-usage.js';
export type * from './core/events/agent-event.js';
export { SCHEMA_VERSION } from './core/events/agent-event.js';
