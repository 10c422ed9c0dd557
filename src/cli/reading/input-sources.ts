import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { Readable } from 'node:stream';
import { isatty } from 'node:tty';
import { createGunzip } from 'node:zlib';
import type * as Tinyglobby from 'tinyglobby';
import { CliError } from '../cli-error.js';

/** Where log lines come from: a file, or standard input (`-`). */
export interface InputSource {
  name: string;
  /** A file's path: files can be read twice (a second pass) and seeked; stdin cannot. */
  path?: string;
  /** The bytes, decompressed; a file from `start` (a byte offset in the file as stored). */
  open(start?: number): AsyncIterable<Buffer>;
}

const CHUNK = 1 << 20;

/**
 * Expands the arguments into sources: globs are matched (sorted, so rotated
 * files `app.log.1`, `app.log.2` come in a stable order), `-` or no argument at
 * all means standard input. A pattern that matches nothing is an error, not an
 * empty report.
 */
export async function resolveSources(args: readonly string[]): Promise<InputSource[]> {
  if (args.length === 0) {
    // isatty, not process.stdin.isTTY: making process.stdin would turn the pipe non-blocking, and its reads slow.
    if (isatty(0)) throw new CliError('no input: give log files (or globs), or pipe a log into standard input');
    return [stdinSource()];
  }
  const sources: InputSource[] = [];
  for (const arg of args) {
    if (arg === '-') {
      sources.push(stdinSource());
      continue;
    }
    // tinyglobby is loaded for a pattern only: a plain path needs none of it.
    const globs = /[*?[\]{}()!]/.test(arg) ? (require('tinyglobby') as typeof Tinyglobby) : undefined;
    const paths = globs?.isDynamicPattern(arg) ? (await globs.glob(arg, { onlyFiles: true, absolute: isAbsolute(arg) })).sort() : [arg];
    if (paths.length === 0) throw new CliError(`no file matches ${JSON.stringify(arg)}`);
    for (const path of paths) {
      let isFile = false;
      try {
        isFile = statSync(path).isFile();
      } catch {
        throw new CliError(`cannot read ${JSON.stringify(path)}: no such file`);
      }
      if (!isFile) throw new CliError(`cannot read ${JSON.stringify(path)}: not a file`);
      sources.push({ name: path, path, open: (start = 0) => decompressed(readFileChunks(path, start)) });
    }
  }
  return sources;
}

/** A file in CHUNK-sized reads, each into a fresh buffer: the reader keeps a partial line from one chunk to the next. */
async function* readFileChunks(path: string, start: number): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  try {
    for (let position = start; ; ) {
      const buffer = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

function stdinSource(): InputSource {
  return { name: '-', open: () => decompressed(readFdChunks(0)) };
}

/**
 * Waits between reads of a non-blocking pipe that has nothing yet (stdin left
 * non-blocking by whoever made it): from 50 µs, the time a writer takes to
 * refill a 64 KiB pipe, doubling up to 2 ms while it stays empty.
 */
const PIPE_WAIT_MS = { first: 0.05, most: 2 };

/**
 * Standard input read with blocking reads, filled up to CHUNK per block: a
 * pipe gives at most 64 KiB a read, and an async stream's per-chunk overhead
 * made reading a 1 GB pipe three times slower than this. A non-blocking
 * descriptor's EAGAIN is waited out without spinning.
 */
async function* readFdChunks(fd: number): AsyncGenerator<Buffer> {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let wait = PIPE_WAIT_MS.first;
  for (;;) {
    const buffer = Buffer.allocUnsafe(CHUNK);
    let filled = 0;
    let ended = false;
    while (filled < CHUNK) {
      let read: number;
      try {
        read = readSync(fd, buffer, filled, CHUNK - filled, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          if (filled > 0) break; // hand over what came; wait on the next round
          Atomics.wait(pause, 0, 0, wait);
          wait = Math.min(wait * 2, PIPE_WAIT_MS.most);
          continue;
        }
        if (code === 'EOF') {
          ended = true;
          break;
        }
        throw err;
      }
      if (read === 0) {
        ended = true;
        break;
      }
      filled += read;
      wait = PIPE_WAIT_MS.first;
    }
    if (filled > 0) yield buffer.subarray(0, filled);
    if (ended) return;
  }
}

/** The size of a plain file, undefined for gzip (which cannot be split or seeked). */
export function plainFileSize(path: string): number | undefined {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    readSync(fd, head, 0, 2, 0);
    return isGzip(head) ? undefined : statSync(path).size;
  } finally {
    closeSync(fd);
  }
}

/** Gzip is recognised by its magic bytes, whatever the name; concatenated members (logrotate) are read on. */
export function isGzip(head: Buffer): boolean {
  return head[0] === 0x1f && head[1] === 0x8b;
}


async function* decompressed(raw: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const iterator = raw[Symbol.asyncIterator]();
  let first = await iterator.next();
  while (!first.done && first.value.length < 2) {
    const next = await iterator.next();
    if (next.done) break;
    first = { done: false, value: Buffer.concat([first.value, next.value]) };
  }
  if (first.done) return;
  const head: Buffer = first.value;
  const all = (async function* () {
    yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value as Buffer;
    }
  })();
  if (isGzip(head)) yield* Readable.from(all).pipe(createGunzip({ chunkSize: CHUNK }));
  else yield* all;
}
