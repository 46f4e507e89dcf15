// Typed I/O errors of the source stage: each class is a decision the caller must make.
import { GitmeshError } from '../core/errors.js';

export { GitmeshError } from '../core/errors.js';

/** The path the user named does not exist or is not a folder: a usage error, nothing to retry. */
export class SourceNotFoundError extends GitmeshError {
  constructor(path: string, options?: { cause?: unknown }) {
    super('SourceNotFound', `${path}: no such folder`, { path }, options);
  }
}
