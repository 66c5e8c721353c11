import { downloadBlob } from '../../store/index.ts';
import { RecordFileError } from './record.ts';

/** Reads a user-chosen JSON file with a size cap, so a wrong file fails fast and readably. */
export async function readJsonFile(file: File, maxBytes = 32 * 1024 * 1024): Promise<unknown> {
  if (file.size > maxBytes) {
    throw new RecordFileError(`"${file.name}" is ${(file.size / 1048576).toFixed(1)} MiB; records and matrices are much smaller. Choose the JSON file kinmerge exported.`);
  }
  const text = await file.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new RecordFileError(`"${file.name}" is not JSON. Choose the JSON file kinmerge exported.`);
  }
}

/** Starts a download of `text` as a file. */
export function downloadText(name: string, text: string, type = 'text/plain'): void {
  downloadBlob(new Blob([text], { type }), name);
}

export function downloadBytes(name: string, bytes: Uint8Array, type = 'application/octet-stream'): void {
  downloadBlob(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }), name);
}
