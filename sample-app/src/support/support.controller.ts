import { BadGatewayException, Body, Controller, Post } from '@nestjs/common';
import { MaxStepsExceededError } from 'nestjs-agent-logging';
import { SupportAgent, type SupportQuestion } from './support.agent';

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
}
