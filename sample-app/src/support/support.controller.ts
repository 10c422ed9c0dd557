import { BadGatewayException, Body, Controller, Post, Query, Sse, type MessageEvent } from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import { MaxStepsExceededError } from 'nestjs-agent-logging';
import { SupportAgent, type SupportQuestion } from './support.agent.js';

@Controller('support')
export class SupportController {
  constructor(private readonly agent: SupportAgent) {}

  @Post('ask')
  async ask(@Body() body: SupportQuestion) {
    try {
      return await this.agent.answer(body);
    } catch (err) {
      // The customer gets a generic message; the run's events tell on-call what happened.
      const reason = err instanceof MaxStepsExceededError ? 'the agent gave up' : 'the agent failed';
      throw new BadGatewayException({ message: reason });
    }
  }

  /** Server-sent events: the answer word by word. */
  @Sse('ask/stream')
  stream(@Query('question') question = ''): Observable<MessageEvent> {
    return this.agent.answerStream({ question: question.slice(0, 2000) }).pipe(map((data) => ({ data })));
  }
}
