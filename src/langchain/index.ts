// nestjs-agent-logging/langchain: LangChain and LangGraph runs written as runs and steps.
export { AgentLoggingCallbackHandler } from './agent-logging.callback-handler.js';
