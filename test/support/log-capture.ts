import { Writable } from 'node:stream';

/** One parsed JSON line, as pino wrote it. */
export type LogLine = Record<string, unknown> & { level: number; event?: string; run_id?: string };

/**
 * A real destination stream for pino: it keeps the raw bytes pino wrote and
 * parses them line by line, so tests assert on exactly what a log shipper
 * would read.
 */
export class LogCapture extends Writable {
  raw = '';

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.raw += chunk.toString('utf8');
    done();
  }

  get lines(): LogLine[] {
    return this.raw
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as LogLine);
  }

  /** The agent events, in the order they were written. */
  get events(): LogLine[] {
    return this.lines.filter((l) => typeof l.event === 'string' && l.schema === 'agent-log/1');
  }

  eventsOf(runId: string): LogLine[] {
    return this.events.filter((e) => e.run_id === runId);
  }

  clear(): void {
    this.raw = '';
  }
}
