import { Catch, HttpException, InternalServerErrorException, Logger, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';

/**
 * Adds the run id to every HTTP error body: `{ "message": "the agent failed", "run_id": "01a216c2-…" }`,
 * what a customer quotes in a ticket and `agent-log show <run_id>` finds.
 * `currentAgentRun()` is undefined here (filters run outside the run's context), but the interceptor put the
 * id on the response (`x-agent-run-id`) when the run started; `getHeader` is on Express's response and
 * Fastify's reply alike. Without a run id, or once the response is under way, Nest answers as it always does.
 */
@Catch()
export class RunIdInErrorBody extends BaseExceptionFilter {
  private readonly logger = new Logger('ExceptionsHandler');

  override catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<{ getHeader?(name: string): unknown }>();
    const runId = host.getType() === 'http' ? response.getHeader?.('x-agent-run-id') : undefined;
    const adapter = this.httpAdapterHost?.httpAdapter;
    if (typeof runId !== 'string' || !adapter || adapter.isHeadersSent(response)) return super.catch(exception, host);
    // An error no handler turned into an answer is a 500, logged as Nest logs it; its message stays out of the body.
    const error = exception instanceof HttpException ? exception : new InternalServerErrorException();
    if (error !== exception) this.logger.error(exception);
    const answer = error.getResponse(); // an object, or the message of `new HttpException('...', 502)`
    const body = typeof answer === 'string' ? { statusCode: error.getStatus(), message: answer } : answer;
    adapter.reply(response, { ...body, run_id: runId }, error.getStatus());
  }
}
