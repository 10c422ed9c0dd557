import { Injectable } from '@nestjs/common';
import { DocsTools } from './docs.tools.js';
import { OrderTools } from './order.tools.js';

/** Routes a model's tool call to the decorated method that implements it. */
@Injectable()
export class ToolRegistry {
  private readonly tools: Record<string, (args: never) => Promise<unknown>>;

  constructor(orders: OrderTools, docs: DocsTools) {
    this.tools = {
      lookup_order: (args) => orders.lookupOrder(args),
      create_refund: (args) => orders.createRefund(args),
      search_docs: (args) => docs.searchDocs(args),
    };
  }

  call(name: string, args: unknown): Promise<unknown> {
    const tool = this.tools[name];
    if (!tool) return Promise.reject(new Error(`the model asked for an unknown tool ${name}`));
    return tool(args as never);
  }
}
