import { Injectable } from '@nestjs/common';
import { AgentTool } from 'nestjs-agent-logging';

@Injectable()
export class OrderTools {
  @AgentTool('lookup_order')
  async lookupOrder(args: { orderId: string }) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (!args.orderId.startsWith('A-')) throw new Error(`no such order ${args.orderId}`);
    return { orderId: args.orderId, status: 'shipped' };
  }
}
