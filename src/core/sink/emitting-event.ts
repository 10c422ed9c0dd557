import { registry } from '../registry.js';

/**
 * Set while the sink writes one of our events, so `agentLogMixin` adds nothing
 * to it: the event already carries run_id and trace_id, and the same key twice
 * in a JSON line is ambiguous to some readers. pino calls the mixin
 * synchronously inside the write, so a flag is enough; it lives on the shared
 * registry so a second copy of the package sees it.
 */
export const emittingEvent = registry.flags;
