// MeshAccessLog rules beyond the schema (Kuma pkg/plugins/policies/meshaccesslog/api/v1alpha1/validator.go, deprecated.go).
import type { Finding, FieldPath } from '../../core/diagnostics.js';
import type { Resource } from '../../core/resource.js';
import type {
  MeshAccessLogBackend,
  MeshAccessLogConf,
  MeshAccessLogFormat,
  MeshAccessLogOtelBackend,
  MeshAccessLogSpec,
} from '../../generated/mesh-access-log.js';
import { sectionRules } from '../sections.js';

/** The field each backend `type` takes; a backend sets exactly that one. */
const BACKEND_FIELD = { File: 'file', Tcp: 'tcp', OpenTelemetry: 'openTelemetry' } as const;

/** An absolute file path, Unix or Windows (what Kuma's govalidator.IsFilePath accepts). */
const FILE_PATH = /^(?:(?:\/[^/\0]*)+\/?|[A-Za-z]:\\(?:[^\\/:*?"<>|\r\n]+\\)*[^\\/:*?"<>|\r\n]*)$/;

/** A TCP collector: `[scheme://]host[:port][/path]`, host a DNS name, IPv4 or [IPv6] (Kuma: govalidator.IsURL). */
const TCP_ADDRESS =
  /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/)?(?:(?:[A-Za-z0-9](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?(?:\/\S*)?$/;

/**
 * Checks one schema-valid MeshAccessLog: sections (`rules` excludes `to`/`from`, one is
 * required), `to[]` under a MeshGateway, and each backend and format for the one-of rules Kuma
 * enforces. Paths are relative to the spec; never throws.
 */
export function validateMeshAccessLog(resource: Resource<MeshAccessLogSpec>): Finding[] {
  const spec = resource.spec;
  const findings: Finding[] = sectionRules(spec, { exclusiveRules: true, requireOneOf: ['to', 'from', 'rules'] });
  if (spec.targetRef?.kind === 'MeshGateway') {
    spec.to?.forEach((item, i) => {
      const kind = item.targetRef.kind;
      // Kinds no `to[]` allows are reported by the generic targetRef check (GM303) already.
      if (kind !== 'Mesh' && ['MeshService', 'MeshExternalService', 'MeshMultiZoneService', 'MeshHTTPRoute'].includes(kind)) {
        findings.push({ code: 'GM303', path: ['to', i, 'targetRef', 'kind'], message: `a MeshAccessLog on a MeshGateway logs all of the gateway's outbound traffic: \`to[]\` allows only kind Mesh, not ${kind}` });
      }
    });
  }
  const confs: [MeshAccessLogConf, FieldPath][] = [];
  spec.to?.forEach((item, i) => confs.push([item.default, ['to', i, 'default']]));
  spec.from?.forEach((item, i) => confs.push([item.default, ['from', i, 'default']]));
  spec.rules?.forEach((item, i) => confs.push([item.default, ['rules', i, 'default']]));
  for (const [conf, path] of confs) {
    conf.backends.forEach((backend, i) => findings.push(...checkBackend(backend, [...path, 'backends', i])));
  }
  return findings;
}

function checkBackend(backend: MeshAccessLogBackend, path: FieldPath): Finding[] {
  const findings: Finding[] = [];
  const wanted = BACKEND_FIELD[backend.type];
  if (backend[wanted] === undefined) {
    findings.push({ code: 'GM310', path: [...path, 'type'], message: `a backend of type ${backend.type} needs \`${wanted}\`` });
  }
  for (const field of Object.values(BACKEND_FIELD)) {
    if (field !== wanted && backend[field] !== undefined) {
      findings.push({ code: 'GM310', path: [...path, field], atKey: true, message: `\`${field}\` does not belong to a backend of type ${backend.type}; a backend sets exactly one of file, tcp, openTelemetry, the one its type names` });
    }
  }
  if (backend.file) {
    if (!FILE_PATH.test(backend.file.path)) {
      findings.push({ code: 'GM310', path: [...path, 'file', 'path'], message: `path ${JSON.stringify(backend.file.path)} is not an absolute file path, like "/var/log/access.log" or "/dev/stdout"` });
    }
    if (backend.file.format) findings.push(...checkFormat(backend.file.format, [...path, 'file', 'format']));
  }
  if (backend.tcp) {
    const match = TCP_ADDRESS.exec(backend.tcp.address);
    if (!match || (match[1] !== undefined && (Number(match[1]) < 1 || Number(match[1]) > 65535))) {
      findings.push({ code: 'GM310', path: [...path, 'tcp', 'address'], message: `address ${JSON.stringify(backend.tcp.address)} is not a TCP collector address: write host:port ("127.0.0.1:5000") or a URL ("tcp://logs.example.com:5000")` });
    }
    if (backend.tcp.format) findings.push(...checkFormat(backend.tcp.format, [...path, 'tcp', 'format']));
  }
  if (backend.openTelemetry) findings.push(...checkOtel(backend.openTelemetry, [...path, 'openTelemetry']));
  return findings;
}

function checkOtel(otel: MeshAccessLogOtelBackend, path: FieldPath): Finding[] {
  const findings: Finding[] = [];
  if (otel.endpoint === undefined && otel.backendRef === undefined) {
    findings.push({ code: 'GM310', path, message: '`openTelemetry` needs `backendRef` (a MeshOpenTelemetryBackend) or `endpoint`' });
  } else if (otel.endpoint !== undefined && otel.backendRef !== undefined) {
    findings.push({ code: 'GM310', path: [...path, 'endpoint'], atKey: true, message: '`openTelemetry` takes `backendRef` or `endpoint`, not both; keep `backendRef`' });
  } else if (otel.endpoint !== undefined) {
    findings.push({ code: 'GM311', path: [...path, 'endpoint'], atKey: true, message: '`openTelemetry.endpoint` is deprecated in Kuma 2.14 and removed in 3.0; point `backendRef` at a MeshOpenTelemetryBackend' });
  }
  const ref = otel.backendRef;
  if (ref && (ref.name === undefined) === (ref.labels === undefined)) {
    findings.push({ code: 'GM310', path: [...path, 'backendRef'], message: '`backendRef` needs exactly one of `name` and `labels`' });
  }
  otel.attributes?.forEach((attribute, i) => {
    if (attribute.key === '') findings.push({ code: 'GM310', path: [...path, 'attributes', i, 'key'], message: 'an attribute key cannot be empty' });
  });
  return findings;
}

function checkFormat(format: MeshAccessLogFormat, path: FieldPath): Finding[] {
  const findings: Finding[] = [];
  const wanted = format.type === 'Plain' ? 'plain' : 'json';
  const other = format.type === 'Plain' ? 'json' : 'plain';
  if (format[wanted] === undefined) {
    findings.push({ code: 'GM310', path: [...path, 'type'], message: `a format of type ${format.type} needs \`${wanted}\`` });
  }
  if (format[other] !== undefined) {
    findings.push({ code: 'GM310', path: [...path, other], atKey: true, message: `\`${other}\` does not belong to a format of type ${format.type}; set \`${wanted}\` only` });
  }
  if (format.plain === '') {
    findings.push({ code: 'GM310', path: [...path, 'plain'], message: '`plain` cannot be empty' });
  }
  if (format.json !== undefined && format.json.length === 0) {
    findings.push({ code: 'GM310', path: [...path, 'json'], message: '`json` cannot be empty: list at least one field' });
  }
  format.json?.forEach((field, i) => {
    const at = [...path, 'json', i];
    if (field.key === '') findings.push({ code: 'GM310', path: [...at, 'key'], message: 'a JSON field key cannot be empty' });
    if (field.value === '') findings.push({ code: 'GM310', path: [...at, 'value'], message: 'a JSON field value cannot be empty' });
    if (field.key !== '' && field.value !== '' && !isJsonPair(field.key, field.value)) {
      findings.push({ code: 'GM310', path: at, message: `${JSON.stringify(field.key)}: ${JSON.stringify(field.value)} does not make a valid JSON member; drop raw quotes, backslashes and control characters` });
    }
  });
  return findings;
}

/** Whether `{"key": "value"}`, written as Kuma writes it (no escaping), is valid JSON. */
function isJsonPair(key: string, value: string): boolean {
  try {
    JSON.parse(`{"${key}": "${value}"}`);
    return true;
  } catch {
    return false;
  }
}
