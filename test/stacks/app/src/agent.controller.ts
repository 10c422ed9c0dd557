import { Controller, Get, Injectable, Query, Sse, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { SupportAgent } from './support.agent.js';

/** Stands in for an auth guard: the user comes from a header, as a verified token's subject would. */
@Injectable()
class HeaderUserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: { id: string } }>();
    const id = req.headers['x-user'];
    if (id) req.user = { id };
    return true;
  }
}

@Controller()
@UseGuards(HeaderUserGuard)
export class AgentController {
  constructor(private readonly agent: SupportAgent) {}

  @Get('ask')
  ask(@Query('q') question: string) {
    return this.agent.answer(question);
  }

  @Sse('stream')
  stream(): Observable<{ data: string }> {
    return this.agent.stream();
  }

  @Get('wait')
  wait() {
    return this.agent.wait();
  }
}
