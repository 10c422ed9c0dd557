import { open, stat, type FileHandle } from 'node:fs/promises';
import { CHUNK } from './needle-scan.js';

export interface FollowOptions {
  /** Byte offset to start at (the end of the file to see only what comes next). */
  from: number;
  /** How often the file is looked at once its end is reached. */
  intervalMs: number;
  signal: AbortSignal;
  /** Told when the file was truncated or replaced (rotated). */
  onNote?: (note: string) => void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });

async function inode(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).ino;
  } catch {
    return undefined; // between a rotation's rename and the new file's creation
  }
}

/**
 * The bytes of a file as it grows, as `tail -F` follows it: from `from` to
 * the end, then whatever is appended. A file cut shorter than what was read
 * (copytruncate rotation) is read again from its start; a file replaced by a
 * new one under the same name (rename rotation) is read to its end, then the
 * new one from its start. Ends when `signal` aborts.
 */
export async function* followFile(path: string, options: FollowOptions): AsyncGenerator<Buffer> {
  const { signal, intervalMs, onNote } = options;
  let handle: FileHandle = await open(path, 'r');
  let ino = (await handle.stat()).ino;
  let position = options.from;
  try {
    while (!signal.aborted) {
      const { size } = await handle.stat();
      if (size < position) {
        onNote?.(`${path} was truncated: reading it again from its start`);
        position = 0;
      }
      if (size > position) {
        const buffer = Buffer.allocUnsafe(Math.min(CHUNK, size - position));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        position += bytesRead;
        if (bytesRead > 0) yield buffer.subarray(0, bytesRead);
        continue;
      }
      const now = await inode(path);
      if (now !== undefined && now !== ino) {
        await handle.close();
        handle = await open(path, 'r');
        ino = (await handle.stat()).ino;
        position = 0;
        onNote?.(`${path} was replaced (rotated): following the new file from its start`);
        continue;
      }
      await sleep(intervalMs, signal);
    }
  } finally {
    await handle.close();
  }
}
