/**
 * Named errors. Every failure a user can cause ends in one of these: `name` for logs, `code` for the UI
 * to switch on (comlink keeps name, message and stack across the worker boundary), and a message that
 * says what is wrong and what to do.
 */
export class KinmergeError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KinmergeError';
    this.code = code;
  }
}

/** A safetensors file or index that does not follow the format. */
export class SafetensorsError extends KinmergeError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'SafetensorsError';
  }
}

/** A merge recipe (YAML/JSON) that asks for something unsupported or inconsistent. */
export class RecipeError extends KinmergeError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'RecipeError';
  }
}

/** Models that cannot be combined: a tensor missing from one, a shape or dtype mismatch. */
export class CompatibilityError extends KinmergeError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'CompatibilityError';
  }
}

/** Work cancelled through an AbortSignal. */
export class CancelledError extends KinmergeError {
  constructor(message = 'Cancelled.') {
    super('cancelled', message);
    this.name = 'CancelledError';
  }
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}
