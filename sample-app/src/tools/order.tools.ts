import { Injectable } from '@nestjs/common';
import { AgentTool, currentAgentRun } from 'nestjs-agent-logging';
import { OrderNotFoundError, PaymentGatewayTimeoutError } from './order.errors.js';

const ORDERS: Record<string, { status: string; total: number; email: string }> = {
  'A-1001': { status: 'shipped', total: 42, email: 'jane@example.com' },
  'A-1002': { status: 'processing', total: 310, email: 'sam@example.com' },
};

/** Order tools the agent can call. Their arguments hold personal data: the library logs only hashes. */
@Injectable()
export class OrderTools {
  @AgentTool('lookup_order')
  async lookupOrder(args: { orderId: string }) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    const order = ORDERS[args.orderId];
    // The message carries an id a customer typed: the library scrubs and caps it.
    if (!order) throw new OrderNotFoundError(`no order ${args.orderId} for this customer`);
    return { orderId: args.orderId, status: order.status, total: order.total };
  }

  @AgentTool('create_refund')
  async createRefund(args: { orderId: string; reason: string }) {
    const signal = currentAgentRun()?.signal;
    await new Promise((resolve) => setTimeout(resolve, 40));
    if (signal?.aborted) throw signal.reason;
    // The payment gateway of this sample is always too slow for large orders.
    if (ORDERS[args.orderId].total > 100) {
      throw new PaymentGatewayTimeoutError(`gateway timed out refunding ${args.orderId} for ${ORDERS[args.orderId].email}`);
    }
    return { refundId: `R-${args.orderId}`, status: 'approved' };
  }
}
