// The base of gitmesh's exceptions: for I/O and bugs only; input problems are diagnostics.

/** Base of every gitmesh error: a stable `code`, a JSON payload, and the cause. */
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

