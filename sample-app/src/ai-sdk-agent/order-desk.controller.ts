import { BadGatewayException, Body, Controller, Post } from '@nestjs/common';
import { OrderDeskAgent } from './order-desk.agent.js';

@Controller('orders')
export class OrderDeskController {
  constructor(private readonly agent: OrderDeskAgent) {}

  @Post('ask')
  async ask(@Body() body: { question: string }) {
    try {
      return await this.agent.answer(String(body.question ?? '').slice(0, 2000));
    } catch {
      // The customer gets a generic message; the run's events tell on-call what happened.
      throw new BadGatewayException({ message: 'the agent failed' });
    }
  }
}
