/**
 * Node file I/O behind the core's ByteSource/ByteSink: positional reads through a FileHandle, and a
 * sink that writes `path.partial-<pid>` and renames it into place only when everything was written.
 */
import { open, rename, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { ByteSink, ByteSource } from '../core/types';
import { KinmergeError, throwIfAborted } from '../core/errors';

/** A file that cannot be opened, read or written. */
export class FileError extends KinmergeError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'FileError';
  }
}

/** Turn a Node fs error into a FileError with a message a user can act on. */
export function fileError(e: unknown, path: string, action: string): FileError {
  const code = (e as NodeJS.ErrnoException)?.code;
  const why: Record<string, string> = {
    ENOENT: 'it does not exist; check the path',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EISDIR: 'it is a folder, not a file',
    ENOTDIR: 'a part of the path is not a folder',
    ENOSPC: 'the disk is full; free space or write elsewhere',
    EMFILE: 'too many open files',
  };
  const reason = (code && why[code]) ?? (e as Error)?.message ?? String(e);
  const named = code === 'ENOENT' ? 'file-not-found' : code === 'ENOSPC' ? 'disk-full' : 'file-io';
  return new FileError(named, `Cannot ${action} ${path}: ${reason}.`, { cause: e });
}

export interface FileSource extends ByteSource {
  readonly path: string;
  close(): Promise<void>;
}

export async function fileSource(path: string): Promise<FileSource> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw fileError(e, path, 'open');
  }
  let size: number;
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    size = st.size;
  } catch (e) {
    await fh.close().catch(() => {});
    throw fileError(e, path, 'open');
  }
  return {
    path,
    size,
    async read(offset, length, signal) {
      throwIfAborted(signal);
      if (!(Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 && offset + length <= size)) {
        throw new FileError('file-range', `Read of bytes [${offset}, ${offset + length}) is outside ${path} (${size} bytes).`);
      }
      // Its own ArrayBuffer at offset 0: aligned for typed-array views of the result.
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        let bytesRead: number;
        try {
          ({ bytesRead } = await fh.read(out, done, length - done, offset + done));
        } catch (e) {
          throw fileError(e, path, 'read');
        }
        if (bytesRead === 0) {
          throw new FileError('file-truncated', `${path} ended at byte ${offset + done}, before ${offset + length}: it changed while being read.`);
        }
        done += bytesRead;
      }
      return out;
    },
    close: () => fh.close(),
  };
}

export interface FileSink extends ByteSink {
  readonly path: string;
  readonly bytesWritten: number;
}

/** Buffered writes (a few MiB per syscall) to `path.partial-<pid>`, renamed to `path` on close. */
export async function fileSink(path: string, bufferBytes = 4 << 20): Promise<FileSink> {
  const partial = `${path}.partial-${process.pid}`;
  let fh: FileHandle | undefined;
  try {
    fh = await open(partial, 'w');
  } catch (e) {
    throw fileError(e, path, 'write');
  }
  const buf = new Uint8Array(bufferBytes);
  let used = 0;
  let written = 0;
  let state: 'open' | 'closed' | 'aborted' = 'open';
  const writeAll = async (bytes: Uint8Array): Promise<void> => {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await fh!.write(bytes, done, bytes.length - done);
      done += bytesWritten;
    }
  };
  const flush = async (): Promise<void> => {
    if (used > 0) {
      await writeAll(buf.subarray(0, used));
      used = 0;
    }
  };
  const guard = async (action: string, fn: () => Promise<void>): Promise<void> => {
    if (state !== 'open') throw new FileError('file-closed', `Cannot ${action} ${path}: the output is already ${state}.`);
    try {
      await fn();
    } catch (e) {
      if (e instanceof FileError) throw e;
      throw fileError(e, path, action);
    }
  };
  return {
    path,
    get bytesWritten() { return written; },
    write: (chunk) => guard('write', async () => {
      if (used + chunk.length > buf.length) await flush();
      // Large chunks skip the buffer; small ones are copied (the producer may reuse its array).
      if (chunk.length >= buf.length) await writeAll(chunk);
      else {
        buf.set(chunk, used);
        used += chunk.length;
      }
      written += chunk.length;
    }),
    close: () => guard('finish', async () => {
      await flush();
      await fh!.close();
      fh = undefined;
      state = 'closed';
      try {
        await rename(partial, path);
      } catch (e) {
        await rm(partial, { force: true }).catch(() => {});
        throw e;
      }
    }),
    async abort() {
      if (state === 'aborted') return;
      state = 'aborted';
      await fh?.close().catch(() => {});
      await rm(partial, { force: true }).catch(() => {});
    },
  };
}

export async function pathKind(path: string): Promise<'file' | 'dir' | 'missing'> {
  try {
    const st = await stat(path);
    return st.isDirectory() ? 'dir' : 'file';
  } catch {
    return 'missing';
  }
}
