import { Injectable, Logger } from '@nestjs/common';
import { AgentRun, currentAgentRun } from 'nestjs-agent-logging';
import { interval, map, take, type Observable } from 'rxjs';
import { OrderTools } from './order.tools.js';
import { ScriptedModel } from './scripted-model.js';

@Injectable()
export class SupportAgent {
  private readonly logger = new Logger(SupportAgent.name);

  constructor(
    private readonly model: ScriptedModel,
    private readonly tools: OrderTools,
  ) {}

  @AgentRun('support')
  async answer(question: string) {
    const reply = await this.model.complete(question);
    this.logger.log('calling tool lookup_order');
    const order = await this.tools.lookupOrder({ orderId: /[A-Z]-\d+/.exec(question)?.[0] ?? 'none' });
    return { answer: reply.choices[0].message.content, order, runId: currentAgentRun()?.runId };
  }

  /** An answer streamed over SSE, one chunk every 20 ms. */
  @AgentRun('streamer')
  stream(): Observable<{ data: string }> {
    return interval(20).pipe(
      take(50),
      map((i) => ({ data: `chunk ${i}` })),
    );
  }

  /** A run that waits until it is ended from outside (shutdown), as a slow model call would. */
  @AgentRun('waiting')
  async wait(): Promise<string> {
    const signal = currentAgentRun()!.signal;
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return 'aborted';
  }
}
