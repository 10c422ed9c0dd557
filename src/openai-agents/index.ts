// nestjs-agent-logging/openai-agents: the OpenAI Agents SDK's runs written as runs and steps.
export { AgentLoggingTraceProcessor } from './agent-logging.trace-processor.js';
