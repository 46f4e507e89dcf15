// The diagnostic code catalogue: the only place codes are defined. Ordered by code; a
// retired code stays here as a comment and is never reused.

/** How bad a finding is: errors block a commit, warnings never do. */
export type Severity = 'error' | 'warning';

/** One catalogue entry: what a code means and what a user should do about it. */
export interface CodeInfo {
  readonly name: string;
  readonly severity: Severity;
  readonly description: string;
  readonly hint: string;
}

export const CODES = {
  // GM1xx: the file as text and YAML
  GM101: {
    name: 'yaml-syntax',
    severity: 'error',
    description: 'The file is not valid YAML.',
    hint: 'Fix the YAML syntax at the position shown; `yamllint` shows the same error.',
  },
  GM102: {
    name: 'yaml-duplicate-key',
    severity: 'error',
    description: 'A mapping has the same key twice.',
    hint: 'Remove one of the two keys; YAML keeps only one and which one is tool-dependent.',
  },
  GM103: {
    name: 'yaml-alias-limit',
    severity: 'error',
    description: 'The document expands too many aliases (a "billion laughs" alias bomb).',
    hint: 'Write the values out instead of nesting aliases; policies never need deep alias chains.',
  },
  GM104: {
    name: 'too-deep',
    severity: 'error',
    description: 'The document nests deeper than gitmesh reads.',
    hint: 'No mesh resource nests this deep; check that the file is a policy file.',
  },
  GM105: {
    name: 'not-utf8',
    severity: 'error',
    description: 'The file is not valid UTF-8.',
    hint: 'Save the file as UTF-8.',
  },
  GM106: {
    name: 'binary-file',
    severity: 'error',
    description: 'A .yaml/.yml file holds binary data.',
    hint: 'Remove the file or give it another extension; gitmesh reads every *.yaml and *.yml file.',
  },
  GM107: {
    name: 'file-too-large',
    severity: 'error',
    description: 'The file is larger than the per-file limit.',
    hint: 'Split the file, or raise the limit with --max-file-size if it really holds policies.',
  },
  GM108: {
    name: 'not-a-resource',
    severity: 'error',
    description: 'A YAML document is not a mapping, so it cannot be a resource.',
    hint: 'Each document between `---` lines must be one resource: a mapping with `type` (universal) or `apiVersion`/`kind` (Kubernetes).',
  },
  GM109: {
    name: 'yaml-warning',
    severity: 'warning',
    description: 'The YAML parser warns about this construct.',
    hint: 'The value may not be what you meant; quote it or remove the construct.',
  },

  GM110: {
    name: 'too-many-documents',
    severity: 'error',
    description: 'The file holds more YAML documents than gitmesh reads from one file.',
    hint: 'Split the file into several; no policy repository needs that many documents in one file.',
  },

  // GM2xx: schema (shape, types, values)
  GM200: {
    name: 'unknown-kind',
    severity: 'error',
    description: 'The document names no kind gitmesh knows.',
    hint: 'Set `type` (universal) or `kind` (Kubernetes) to one of the kinds gitmesh supports.',
  },
  GM201: {
    name: 'missing-field',
    severity: 'error',
    description: 'A required field is missing.',
    hint: 'Add the field; the schema in schemas/ documents it.',
  },
  GM202: {
    name: 'unknown-field',
    severity: 'error',
    description: 'A field is not part of this kind.',
    hint: 'Check the spelling against the schema. Kuma silently drops unknown fields; gitmesh reports them so a typo never passes.',
  },
  GM203: {
    name: 'wrong-type',
    severity: 'error',
    description: 'A value has the wrong type.',
    hint: 'Quote strings that look like numbers or booleans, and use lists or mappings where the schema says.',
  },
  GM204: {
    name: 'invalid-value',
    severity: 'error',
    description: 'A value is outside what the schema allows.',
    hint: 'Use one of the values the message lists; the schema in schemas/ documents them.',
  },
  GM205: {
    name: 'malformed-duration',
    severity: 'error',
    description: 'A duration is not written as a number with a unit.',
    hint: 'Write durations as Kubernetes does: "500ms", "5s", "1m30s", "1h" (units ns, us, ms, s, m, h).',
  },
  GM206: {
    name: 'malformed-percentage',
    severity: 'error',
    description: 'A percentage is not an integer or a decimal string between 0 and 100.',
    hint: 'Write a percentage as an integer (10) or a decimal string ("12.5").',
  },

  // GM3xx: references, conflicts and semantic rules
  GM301: {
    name: 'duplicate-resource',
    severity: 'error',
    description: 'Two documents define the same resource (kind, mesh, name).',
    hint: 'Rename or remove one of them; a resource is identified by its kind, mesh and name.',
  },
  GM302: {
    name: 'unknown-mesh',
    severity: 'error',
    description: 'The resource belongs to a mesh that no Mesh resource in the repository defines.',
    hint: 'Add the Mesh resource, or set `mesh` (universal) or the `kuma.io/mesh` label (Kubernetes) to an existing mesh.',
  },
  GM303: {
    name: 'targetref-kind-not-allowed',
    severity: 'error',
    description: 'This targetRef kind is not allowed in this position of this policy.',
    hint: 'Each policy allows only some targetRef kinds at the top level and in to/from/rules; the message lists them.',
  },
  GM304: {
    name: 'unknown-service',
    severity: 'warning',
    description: 'A reference names a service that no Dataplane in the mesh serves.',
    hint: 'Kuma accepts this and the policy matches nothing until such a service exists; check the name.',
  },
  GM305: {
    name: 'unknown-dataplane',
    severity: 'warning',
    description: 'A targetRef names a Dataplane that is not in the mesh.',
    hint: 'Kuma accepts this and the policy matches nothing until the Dataplane exists; check the name.',
  },
  GM306: {
    name: 'unknown-route',
    severity: 'warning',
    description: 'A targetRef names a MeshHTTPRoute that is not in the mesh.',
    hint: 'Kuma accepts this and the policy matches nothing until the route exists; check the name.',
  },
  GM307: {
    name: 'port-conflict',
    severity: 'error',
    description: 'Two listeners of one Dataplane use the same address and port.',
    hint: 'Every inbound, outbound and the admin port of a Dataplane need distinct address:port pairs.',
  },
  GM308: {
    name: 'policy-conflict',
    severity: 'warning',
    description: 'Two policies of one kind with the same target and specificity set one field to different values.',
    hint: 'Kuma resolves this silently by name order; narrow one targetRef or merge the two policies so the outcome is explicit.',
  },
  GM309: {
    name: 'invalid-sections',
    severity: 'error',
    description: 'The policy combines or omits sections (targetRef, from, to, rules, default) in a way its kind does not allow.',
    hint: 'The message names the rule; see the kind in schemas/ or KUMA.md.',
  },
  GM310: {
    name: 'invalid-policy-value',
    severity: 'error',
    description: 'A value passes the schema but breaks a rule of its kind (range, format, combination).',
    hint: 'The message names the rule Kuma enforces for this field.',
  },
  GM311: {
    name: 'deprecated',
    severity: 'warning',
    description: 'The construct is deprecated in Kuma 2.x and removed in 3.0.',
    hint: 'The message names the replacement.',
  },
  GM312: {
    name: 'invalid-targetref',
    severity: 'error',
    description: 'A targetRef has fields that do not fit its kind.',
    hint: 'Mesh takes no name; MeshService/Dataplane take a name or labels (not both); MeshSubset takes tags.',
  },
  GM313: {
    name: 'invalid-address',
    severity: 'error',
    description: 'An address is not a usable IP address or hostname.',
    hint: 'Use an IP literal (inbound, service and outbound addresses), or a hostname for networking.address; never 0.0.0.0 or ::.',
  },
  GM314: {
    name: 'invalid-suppression',
    severity: 'warning',
    description: 'A lint-suppress annotation is malformed, names an unknown code or gives no reason.',
    hint: 'Write `gitmesh.io/lint-suppress: "GM304,GM308: why this is fine"`; errors that would break the mesh cannot be suppressed.',
  },

  // GM4xx: compile
  GM401: {
    name: 'unsupported-for-flavour',
    severity: 'warning',
    description: 'A policy field cannot be expressed for this proxy flavour (Envoy sidecar or proxyless gRPC).',
    hint: 'Proxyless gRPC clients support only part of xDS (XDS.md); narrow the policy to Envoy proxies with a Dataplane targetRef, or accept that the field does nothing there.',
  },
  GM402: {
    name: 'inconsistent-snapshot',
    severity: 'error',
    description: 'A compiled snapshot refers to a resource it does not hold, or holds one name twice.',
    hint: 'This is a compiler bug or a routing reference that cannot resolve; the snapshot is not published.',
  },
  GM403: {
    name: 'compile-failed',
    severity: 'error',
    description: 'Compiling a proxy failed.',
    hint: 'This is a bug in gitmesh; the commit is not published. Please report it with the input.',
  },
  GM404: {
    name: 'not-enforced',
    severity: 'warning',
    description: 'A policy matches this proxy, but what it asks for is not enforced.',
    hint: 'The message says what is missing (for example mTLS for MeshTrafficPermission, as in Kuma).',
  },

  // GM5xx: repository and source
  GM501: {
    name: 'empty-repository',
    severity: 'error',
    description: 'The repository (or --path) holds no resources.',
    hint: 'Point gitmesh at the folder with the *.yaml policy files; an empty tree would remove all config from every proxy.',
  },
  GM502: {
    name: 'symlink-outside',
    severity: 'error',
    description: 'A symbolic link points outside the repository.',
    hint: 'gitmesh reads only files inside the repository; copy the file in or remove the link.',
  },
  GM503: {
    name: 'unreadable',
    severity: 'error',
    description: 'A file or folder could not be read.',
    hint: 'Check permissions and that the file is not being replaced while gitmesh reads it.',
  },
  GM504: {
    name: 'repository-too-large',
    severity: 'error',
    description: 'The repository holds more policy files or bytes than the configured limits.',
    hint: 'Raise --max-files / --max-total-size, or point --path at the policy folder only.',
  },
  GM505: {
    name: 'unsigned-commit',
    severity: 'error',
    description: 'With --verify-signatures, the commit that would go live carries no signature.',
    hint: 'Sign the commit (`git commit -S`, or `git commit --amend -S` and push again) with a key listed in --trusted-keys; the live commit stays until then.',
  },
  GM506: {
    name: 'untrusted-signature',
    severity: 'error',
    description: 'The commit is signed, but not by a valid key in --trusted-keys (an unknown, expired or revoked key, or a kind of signature gitmesh cannot check).',
    hint: 'Sign with one of the trusted keys, or add the signer\'s ASCII-armored public key to the --trusted-keys file; gitmesh checks OpenPGP signatures only.',
  },
  GM507: {
    name: 'bad-signature',
    severity: 'error',
    description: 'The commit carries a signature by a trusted key that does not match its content: the commit was changed after it was signed, or the signature is corrupt.',
    hint: 'Do not deploy it: find out who wrote the commit. Re-sign it from a trusted copy (`git commit --amend -S`) and push again.',
  },
} as const satisfies Record<string, CodeInfo>;

/** A code in the catalogue, e.g. `'GM202'`. */
export type Code = keyof typeof CODES;

/** Codes that a lint-suppress annotation or `--suppress` may never hide: they make the input unreadable. */
export const UNSUPPRESSIBLE: ReadonlySet<Code> = new Set<Code>([
  'GM101', 'GM103', 'GM104', 'GM105', 'GM106', 'GM107', 'GM108', 'GM110', 'GM200', 'GM301', 'GM501', 'GM502', 'GM503', 'GM504',
  // A signature check is not a lint finding: a repository must never be able to switch it off.
  'GM505', 'GM506', 'GM507',
]);

/** Whether a string is a code of the catalogue. */
export function isCode(value: string): value is Code {
  return Object.hasOwn(CODES, value);
}
