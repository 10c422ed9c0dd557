// nestjs-agent-logging/ai-sdk: the Vercel AI SDK's loops written as runs and steps.
export { agentLoggingTelemetry, type AgentLoggingTelemetryOptions } from './agent-logging.telemetry.js';
