import { Injectable } from '@nestjs/common';
import { generateText, stepCountIs, tool } from 'ai';
import { z } from 'zod';
import { agentLoggingTelemetry } from 'nestjs-agent-logging/ai-sdk';
import { OrderTools } from '../tools/order.tools.js';
import { ScriptedLanguageModel } from './scripted-language-model.js';

/** The AI SDK's events of every call below, as runs and steps (or once for the app: `registerTelemetry(...)`). */
const telemetry = agentLoggingTelemetry();

/**
 * A second agent, built on the Vercel AI SDK: `generateText` runs the loop
 * and calls the tool itself. No decorator on it: the telemetry integration
 * opens the run, writes each model call and tool call, and the decorated
 * `lookup_order` the tool calls is a step under the tool's own step.
 */
@Injectable()
export class OrderDeskAgent {
  private readonly model = new ScriptedLanguageModel();

  constructor(private readonly orders: OrderTools) {}

  async answer(question: string): Promise<{ answer: string; finishReason: string }> {
    const result = await generateText({
      model: this.model,
      instructions: 'You are the order desk of a shop.',
      prompt: question,
      tools: {
        find_order: tool({
          description: 'Find an order by its id',
          inputSchema: z.object({ orderId: z.string() }),
          execute: (input) => this.orders.lookupOrder(input),
        }),
      },
      // The AI SDK's own cap (two model calls): reaching it ends the run `max_steps`.
      stopWhen: stepCountIs(2),
      telemetry: { functionId: 'order_desk', integrations: [telemetry] },
    });
    return { answer: result.text, finishReason: result.finishReason };
  }
}
