// JSON Schema checks (ajv, compiled once) of each document as written, mapped to GM2xx diagnostics.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Code } from '../core/codes.js';
import type { FieldPath, Finding } from '../core/diagnostics.js';
import { schemaId, type Kind, type Resource } from '../core/resource.js';
import { SCHEMAS } from '../generated/schemas.js';

/** `<$id>#<Envelope>` of every envelope definition in schemas/, known without compiling anything. */
const AVAILABLE = new Set(
  (SCHEMAS as { $id: string; $defs?: Record<string, unknown> }[]).flatMap((schema) =>
    (['Universal', 'Kubernetes'] as const).filter((envelope) => schema.$defs?.[envelope]).map((envelope) => `${schema.$id}#${envelope}`),
  ),
);

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

/**
 * The validator of one kind and envelope, compiled on first use and shared. Compiling is most
 * of a cold run's time (about 40 ms per kind), so only the kinds a repository uses pay for it.
 */
function validatorFor(kind: Kind, envelope: 'Universal' | 'Kubernetes'): ValidateFunction | undefined {
  const key = `${schemaId(kind)}#${envelope}`;
  const known = compiled.get(key);
  if (known || !AVAILABLE.has(key)) return known;
  // Our schemas are checked against the meta-schema by test/schemas.test.ts, not on every start.
  ajv ??= new Ajv2020({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true, validateSchema: false, schemas: [...SCHEMAS] });
  const validate = ajv.getSchema(`${schemaId(kind)}#/$defs/${envelope}`)!;
  compiled.set(key, validate);
  return validate;
}

/** Whether schemas/ has a schema for this kind. */
export function hasSchema(kind: Kind): boolean {
  return AVAILABLE.has(`${schemaId(kind)}#Universal`);
}

/**
 * Checks one document against its kind's schema and envelope. Returns findings with paths
 * from the document root (not the spec), one per problem, in document order.
 */
export function checkSchema(resource: Resource): Finding[] {
  const validate = validatorFor(resource.kind, resource.envelope === 'kubernetes' ? 'Kubernetes' : 'Universal');
  if (!validate) return [{ code: 'GM200', path: [], message: `gitmesh has no schema for kind ${resource.kind}` }];
  if (validate(resource.document)) return [];
  return toFindings(validate.errors ?? []);
}

function toFindings(errors: readonly ErrorObject[]): Finding[] {
  // A failed anyOf/oneOf/propertyNames also reports what failed inside it; keep only its own summary.
  const SUMMARIES = new Set(['anyOf', 'oneOf', 'propertyNames']);
  const combinators = errors.filter((e) => SUMMARIES.has(e.keyword)).map((e) => e.schemaPath);
  const kept = errors.filter((e) => SUMMARIES.has(e.keyword) || !combinators.some((p) => e.schemaPath.startsWith(p + '/')));
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const error of kept) {
    if (error.keyword === 'if') continue;
    const finding = toFinding(error);
    const key = `${finding.code}|${finding.path.join('\u0000')}|${finding.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push(finding);
  }
  return findings;
}

function toFinding(error: ErrorObject): Finding {
  const path = parsePointer(error.instancePath);
  const params = error.params as Record<string, unknown>;
  const title = (error.parentSchema as { title?: string } | undefined)?.title;
  const got = describe(error.data);
  switch (error.keyword) {
    case 'required':
      return { code: 'GM201', path: [...path, String(params.missingProperty)], message: `missing required field \`${String(params.missingProperty)}\`${where(path)}` };
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      const allowed = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const guess = closest(field, allowed);
      const hint = guess ? `; did you mean \`${guess}\`?` : allowed.length ? `; allowed: ${allowed.join(', ')}` : '';
      return { code: 'GM202', path: [...path, field], atKey: true, message: `unknown field \`${field}\`${where(path)}${hint}` };
    }
    case 'type':
      if (title === 'Duration') return { code: 'GM205', path, message: `${name(path)} is ${got}, not a duration: quote a number with a unit, like "5s" or "0s"` };
      if (title === 'Percentage') return { code: 'GM206', path, message: `${name(path)} is ${got}, not a percentage (an integer, or a decimal string like "12.5")` };
      return { code: 'GM203', path, message: `${name(path)} must be ${String(params.type).replace(',', ' or ')}, not ${got}` };
    case 'enum':
      return { code: 'GM204', path, message: `${name(path)} must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, not ${got}` };
    case 'const':
      return { code: 'GM204', path, message: `${name(path)} must be ${JSON.stringify(params.allowedValue)}, not ${got}` };
    case 'propertyNames':
      return { code: 'GM204', path: [...path, String(params.propertyName)], atKey: true, message: `${JSON.stringify(params.propertyName)} is not a valid key${where(path)} (${(error.parentSchema as { description?: string })?.description ?? 'see the schema'})` };
    default: {
      const code: Code = title === 'Duration' ? 'GM205' : title === 'Percentage' ? 'GM206' : 'GM204';
      if (code === 'GM205') return { code, path, message: `${name(path)} is ${got}, not a duration: write a number with a unit, like "5s", "250ms" or "1m30s"` };
      if (code === 'GM206') return { code, path, message: `${name(path)} is ${got}, not a percentage from 0 to 100 (an integer, or a decimal string like "12.5")` };
      if (title === 'Name' && error.keyword === 'pattern') {
        return { code, path, message: `${name(path)} ${got} is not a valid name: use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit` };
      }
      if (error.keyword === 'pattern') {
        const form = (error.parentSchema as { description?: string } | undefined)?.description;
        return { code, path, message: `${name(path)} ${got} does not have the expected form${form ? `: ${form}` : ` (${error.message ?? 'pattern'})`}` };
      }
      // A scalar is worth echoing; a list or mapping is not ("must NOT have more than 1 items").
      const scalar = error.data === null || typeof error.data !== 'object';
      return { code, path, message: `${name(path)} ${error.message ?? 'is invalid'}${scalar ? `, not ${got}` : ''}` };
    }
  }
}

/** `/spec/to/0/targetRef` → ['spec','to',0,'targetRef'] (RFC 6901 unescaped). */
function parsePointer(pointer: string): FieldPath {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

function name(path: FieldPath): string {
  if (path.length === 0) return 'the document';
  return `\`${path.map((s) => (typeof s === 'number' ? `[${s}]` : s)).join('.').replace(/\.\[/g, '[')}\``;
}

function where(path: FieldPath): string {
  return path.length ? ` in ${name(path)}` : '';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The allowed name within edit distance 2 of `field` (case-insensitive), for "did you mean". */
function closest(field: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const d = editDistance(field.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) (best = candidate), (bestDistance = d);
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
