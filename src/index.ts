// The public API of nestjs-agent-logging, and nothing else.

export { AgentLoggingModule } from './nest/agent-logging.module';
export type { AgentLoggingModuleOptions, AgentLoggingModuleExtras } from './nest/agent-logging.options';
export type { CaptureOptions } from './core/capture/capture';
export type { ErrorMessageMode } from './core/redaction/scrubber';
export { AgentRun } from './nest/agent-run.decorator';
export { AgentTool } from './nest/agent-tool.decorator';
export { AgentLlm } from './nest/agent-llm.decorator';
export { AgentContextInterceptor } from './nest/agent-context.interceptor';

export type { AgentRunOptions, AgentToolOptions, AgentLlmOptions } from './core/specs';
export {
  currentAgentRun,
  setStopReason,
  droppedEventCount,
  withAgentRun,
  withAgentTool,
  withAgentLlm,
  type AgentRunInfo,
} from './core/agent-context';
export { agentLogMixin } from './core/agent-log-mixin';
export { MaxStepsExceededError, AgentRunTimeoutError, AgentLoggingConfigError } from './core/errors';
export { extractTokenUsage, type UsageExtractor } from './core/token-usage';
export type * from './core/events/agent-event';
export { SCHEMA_VERSION } from './core/events/agent-event';
