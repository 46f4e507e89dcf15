// Typed I/O errors of the source stage: each class is a decision the caller must make.

/** Base of every gitmesh I/O error: a stable `code`, a JSON payload, and the cause. */
export class GitmeshError extends Error {
  readonly code: string;
  readonly data: Readonly<Record<string, unknown>>;
  constructor(code: string, message: string, data: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.data = data;
  }
  toJSON(): { name: string; code: string; message: string; data: Readonly<Record<string, unknown>> } {
    return { name: this.name, code: this.code, message: this.message, data: this.data };
  }
}

/** The path the user named does not exist or is not a folder: a usage error, nothing to retry. */
export class SourceNotFoundError extends GitmeshError {
  constructor(path: string, options?: { cause?: unknown }) {
    super('SourceNotFound', `${path}: no such folder`, { path }, options);
  }
}
