import { Injectable, Logger } from '@nestjs/common';
import { Observable } from 'rxjs';
import { AgentRun, currentAgentRun } from 'nestjs-agent-logging';
import type { ChatMessage } from '../model/chat.types.js';
import { ScriptedModelService } from '../model/scripted-model.service.js';
import { ToolRegistry } from '../tools/tool-registry.js';

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

  /**
   * The streamed answer, for an SSE endpoint: an Observable whose work starts
   * when the client subscribes. The run ends when the stream completes, fails,
   * or the client goes away (`cancelled`); the tool call made inside it belongs
   * to the run.
   */
  @AgentRun('support_stream')
  answerStream(input: SupportQuestion): Observable<string> {
    return new Observable<string>((subscriber) => {
      let closed = false;
      (async () => {
        const docs = await this.tools.call('search_docs', { query: input.question });
        const messages: ChatMessage[] = [
          { role: 'user', content: input.question },
          { role: 'tool', tool_call_id: 'docs', content: JSON.stringify(docs) },
        ];
        for await (const chunk of this.model.stream(messages)) {
          if (closed) break; // abandoning the generator ends the model step as cancelled
          const text = chunk.choices[0].delta.content;
          if (text) subscriber.next(text);
        }
        subscriber.complete();
      })().catch((err: unknown) => subscriber.error(err));
      return () => {
        closed = true;
      };
    });
  }
}
