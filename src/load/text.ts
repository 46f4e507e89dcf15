// Bytes to text: binary and encoding checks before any YAML parsing.

/** Offset of the first byte that breaks UTF-8, or -1 when the bytes are valid UTF-8. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) (need = 1), (min = 0x80);
    else if (b >= 0xe0 && b <= 0xef) (need = 2), (min = 0x800);
    else if (b >= 0xf0 && b <= 0xf4) (need = 3), (min = 0x10000);
    else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Whether the bytes look binary: a NUL byte in the first 8 KiB, as git decides it. */
export function looksBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 8192).includes(0);
}

/** 1-based line and column of a byte offset, counting columns in characters. */
export function positionOfByte(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  // The default decoder drops a leading BOM, as the loader's does: it is not a column.
  const column = new TextDecoder().decode(bytes.subarray(lineStart, offset)).length + 1;
  return { line, column };
}

/**
 * Bounds the nesting of a YAML text while it is lexed, before the yaml package composes it: its
 * composer recurses once per level and keeps memory per level, so a 2 MB file of `[` exhausts
 * the heap (not a catchable error). Fed every lexeme of the yaml package's Lexer in order,
 * `accept` returns false once flow depth plus block indentation (spaces and `- ? :` indicators
 * at the start of a line, as the yaml Parser counts indent) passes `limit`; `offset` is then
 * the offset of that lexeme in the text. An upper bound of the real depth, so `limit` must be
 * generous: a legitimate file is never refused, a hostile one is refused early.
 */
export class NestingGuard {
  readonly limit: number;
  exceeded = false;
  offset = 0;
  #flow = 0;
  #indent = 0;
  #atNewLine = true;
  #atScalar = false;
  #position = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  accept(lexeme: string): boolean {
    if (this.#atScalar) {
      // The source of a scalar, whatever it holds (brackets inside quotes or block scalars).
      this.#atScalar = false;
      this.#position += lexeme.length;
      return true;
    }
    switch (lexeme) {
      case '\x02': // document mode and flow-error markers: not in the source
      case '\x18':
        return true;
      case '\x1f': // a scalar follows
        this.#atScalar = true;
        this.#atNewLine = false;
        return true;
      case '':
      case '\n':
      case '\r\n':
        this.#atNewLine = true;
        this.#indent = 0;
        break;
      case '-':
      case '?':
      case ':':
        if (this.#atNewLine) this.#indent += 1;
        break;
      case '[':
      case '{':
        this.#flow++;
        this.#atNewLine = false;
        break;
      case ']':
      case '}':
        if (this.#flow > 0) this.#flow--;
        this.#atNewLine = false;
        break;
      default:
        if (lexeme[0] === ' ' || lexeme[0] === '\t') {
          if (this.#atNewLine && lexeme[0] === ' ') this.#indent += lexeme.length;
        } else {
          this.#atNewLine = false;
        }
    }
    if (this.#flow + this.#indent > this.limit) {
      this.exceeded = true;
      this.offset = this.#position;
      return false;
    }
    this.#position += lexeme.length;
    return true;
  }
}
