import { KinmergeError } from '../../core/errors.ts';

/**
 * A share link that cannot be used. Codes: 'share-oversized' (longer than the limit),
 * 'share-version' (made by a newer or unknown kinmerge), 'share-malformed' (not base64url/deflate/JSON),
 * 'share-invalid' (JSON that breaks the schema: the message names the field).
 */
export class ShareLinkError extends KinmergeError {
  constructor(code: 'share-oversized' | 'share-version' | 'share-malformed' | 'share-invalid', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ShareLinkError';
  }
}
