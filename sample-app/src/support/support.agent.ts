import { Injectable, Logger } from '@nestjs/common';
import { AgentRun, currentAgentRun } from 'nestjs-agent-logging';
import type { ChatMessage } from '../model/chat.types';
import { ScriptedModelService } from '../model/scripted-model.service';
import { ToolRegistry } from '../tools/tool-registry';

export interface SupportQuestion {
  question: string;
}

/** The agent loop: ask the model, run the tool it picks, until it answers. */
@Injectable()
export class SupportAgent {
  private readonly logger = new Logger(SupportAgent.name);

  constructor(
    private readonly model: ScriptedModelService,
    private readonly tools: ToolRegistry,
  ) {}

  @AgentRun('support')
  async answer(input: SupportQuestion): Promise<{ answer: string; runId?: string }> {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'You are a helpful support agent.' },
      { role: 'user', content: input.question },
    ];
    for (;;) {
      const reply = (await this.model.complete(messages)).choices[0].message;
      messages.push(reply);
      const call = reply.tool_calls?.[0];
      // The run id goes back to the customer: quoted in a complaint, it finds the whole run.
      if (!call) return { answer: reply.content ?? '', runId: currentAgentRun()?.runId };
      // This line carries run_id and trace_id through agentLogMixin.
      this.logger.log(`calling tool ${call.function.name}`);
      const result = await this.tools.call(call.function.name, JSON.parse(call.function.arguments));
      messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(result) });
    }
  }
}
