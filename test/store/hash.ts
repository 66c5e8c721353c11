import { createHash } from 'node:crypto';
/** Reference SHA-256 (node:crypto) to check the streaming hash against. */
export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
