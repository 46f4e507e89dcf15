// Signed commits (DESIGN.md §7): OpenPGP signatures of git commits checked against a file of trusted public keys.
import * as fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import git from 'isomorphic-git';
import * as openpgp from 'openpgp';
import { diagnostic, type Diagnostic } from '../core/diagnostics.js';
import { GitmeshError } from '../core/errors.js';
import { gitdirOf, resolveCommit } from './git.js';

/** The public keys a commit may be signed with, as read from one file. */
export interface TrustedKeys {
  /** Where they were read from (for messages). */
  readonly source: string;
  readonly keys: readonly openpgp.PublicKey[];
}

/** The trusted-keys file cannot be used (missing, unreadable, no key in it, a private key, malformed): a usage error, nothing to retry. */
export class TrustedKeysError extends GitmeshError {
  constructor(message: string, data: Record<string, unknown>, options?: { cause?: unknown }) {
    super('TrustedKeys', message, data, options);
  }
}

/** Why a commit is refused: no signature, a signature by no valid trusted key, or a signature that does not match the commit. */
export type SignatureFailure = 'unsigned' | 'untrusted' | 'bad-signature';

/** The outcome of checking one commit's signature. */
export type SignatureVerdict =
  | {
      readonly ok: true;
      /** The key id of the (sub)key that made the signature: 16 hex digits, upper case, as gpg shows it. */
      readonly keyId: string;
      /** The fingerprint of the trusted primary key it belongs to (upper case hex). */
      readonly fingerprint: string;
      /** The key's primary user id, e.g. `Alice <alice@example.com>` (the key id when it has none). */
      readonly signer: string;
    }
  | {
      readonly ok: false;
      readonly reason: SignatureFailure;
      /** One sentence for a person: what is wrong with which commit. */
      readonly message: string;
      /** The key id the signature names, when there is a signature to read one from. */
      readonly keyId?: string;
    };

/** Diagnostic codes of the refusals (src/core/codes.ts). */
const CODE_OF = { unsigned: 'GM505', untrusted: 'GM506', 'bad-signature': 'GM507' } as const satisfies Record<SignatureFailure, string>;

/** A commit was refused by the signature check: refuse the commit (the live one stays); `diagnostic` says why, for the status API. */
export class SignatureError extends GitmeshError {
  readonly diagnostic: Diagnostic;
  constructor(commit: string, verdict: Extract<SignatureVerdict, { ok: false }>) {
    super('Signature', verdict.message, { commit, reason: verdict.reason, ...(verdict.keyId !== undefined && { keyId: verdict.keyId }) });
    this.diagnostic = signatureDiagnostic(verdict);
  }
}

const KEY_BLOCK = /-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]*?-----END PGP PUBLIC KEY BLOCK-----/g;

/**
 * Reads the ASCII-armored OpenPGP public keys in `file` (DESIGN.md §7 `--trusted-keys`): one or
 * several armored blocks, each holding one or more keys, with any text between them (comments).
 * Throws TrustedKeysError when the file cannot be read, holds no public key, holds a private key
 * (a trusted-keys file is not a secret and must not become one), or a block does not parse.
 */
export async function loadTrustedKeys(file: string): Promise<TrustedKeys> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new TrustedKeysError(`cannot read the trusted keys in ${file}: ${(cause as Error).message}`, { file }, { cause });
  }
  return parseTrustedKeys(text, file);
}

/** loadTrustedKeys on text already read; `source` names it in messages. Same errors. */
export async function parseTrustedKeys(text: string, source = 'the trusted keys'): Promise<TrustedKeys> {
  if (/-----BEGIN PGP PRIVATE KEY BLOCK-----/.test(text)) {
    throw new TrustedKeysError(`${source} holds a private key; give public keys only (gpg --armor --export KEYID)`, { file: source });
  }
  const blocks = text.match(KEY_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw new TrustedKeysError(`${source} holds no ASCII-armored OpenPGP public key (-----BEGIN PGP PUBLIC KEY BLOCK-----); export one with gpg --armor --export KEYID`, { file: source });
  }
  const keys: openpgp.PublicKey[] = [];
  for (const [index, block] of blocks.entries()) {
    let read: openpgp.Key[];
    try {
      read = await openpgp.readKeys({ armoredKeys: block });
    } catch (cause) {
      throw new TrustedKeysError(`${source}: public key block ${index + 1} does not parse: ${(cause as Error).message}`, { file: source, block: index + 1 }, { cause });
    }
    for (const key of read) keys.push(key.isPrivate() ? key.toPublic() : (key as openpgp.PublicKey));
  }
  return { source, keys };
}

/**
 * Checks the signature of `commit` (any REF resolveCommit takes) in the repository at `dir` (a
 * work tree, a bare repository or a mirror's git dir) against `trusted`.
 *
 * The signed payload is the commit object's exact bytes without its `gpgsig` and `gpgsig-sha256`
 * headers, as git signs it (`git verify-commit` checks the same bytes). Ok only when an OpenPGP
 * signature verifies with a trusted key that is valid (not expired, not revoked) both when the
 * signature was made and at `now`: a signature's creation time is the signer's word, so an
 * expired key cannot sign a back-dated commit that passes. SSH and X.509 signatures are
 * `untrusted` (gitmesh checks OpenPGP only). Reads the git dir only; never throws for anything
 * about the signature (only RefNotFoundError when the commit is not there).
 */
export async function verifyCommitSignature(
  dir: string,
  commit: string,
  trusted: TrustedKeys,
  options: { readonly cache?: object; readonly now?: Date } = {},
): Promise<SignatureVerdict> {
  const cache = options.cache ?? {};
  const now = options.now ?? new Date();
  const oid = await resolveCommit(dir, commit, cache);
  const short = oid.slice(0, 12);
  const { object } = await git.readObject({ fs, gitdir: gitdirOf(dir), oid, format: 'content', cache });
  const { payload, signature } = splitSignature(object as Uint8Array);
  if (signature === null) return { ok: false, reason: 'unsigned', message: `commit ${short} is not signed` };
  if (!signature.startsWith('-----BEGIN PGP SIGNATURE-----')) {
    const kind = signature.startsWith('-----BEGIN SSH SIGNATURE-----') ? 'an SSH signature' : 'a signature that is not OpenPGP (X.509?)';
    return { ok: false, reason: 'untrusted', message: `commit ${short} carries ${kind}; gitmesh checks OpenPGP signatures only` };
  }
  let parsed: openpgp.Signature;
  try {
    parsed = await openpgp.readSignature({ armoredSignature: signature });
  } catch (cause) {
    return { ok: false, reason: 'bad-signature', message: `commit ${short} carries a signature that does not parse: ${messageOf(cause)}` };
  }
  const ids = parsed.getSigningKeyIDs();
  const named = ids.map((id) => id.toHex().toUpperCase());
  const keyId = named[0];
  const withKeyId = keyId !== undefined ? { keyId } : {};
  const matches = trusted.keys.filter((key) => ids.some((id) => key.getKeys(id).length > 0));
  if (matches.length === 0) {
    const by = keyId !== undefined ? `key ${named.join(', ')}` : 'a key it does not name';
    return { ok: false, reason: 'untrusted', message: `commit ${short} is signed by ${by}, which is not among the trusted keys in ${trusted.source}`, ...withKeyId };
  }
  let lastFailure: Extract<SignatureVerdict, { ok: false }> | undefined;
  for (const key of matches) {
    const signingId = ids.find((id) => key.getKeys(id).length > 0)!;
    const shown = signingId.toHex().toUpperCase();
    const owner = await signerOf(key);
    let result: Awaited<ReturnType<typeof openpgp.verify>>;
    try {
      result = await openpgp.verify({ message: await openpgp.createMessage({ binary: payload }), signature: parsed, verificationKeys: [key], date: now, format: 'binary' });
    } catch (cause) {
      lastFailure = { ok: false, reason: 'bad-signature', message: `commit ${short}: the signature by ${owner} cannot be checked: ${messageOf(cause)}`, keyId: shown };
      continue;
    }
    for (const checked of result.signatures) {
      try {
        await checked.verified;
      } catch (cause) {
        lastFailure = classify(short, owner, shown, messageOf(cause));
        continue;
      }
      // Valid when it signed; it must still be valid now (expiry, revocation), see above.
      try {
        await key.getSigningKey(checked.keyID, now);
      } catch (cause) {
        lastFailure = { ok: false, reason: 'untrusted', message: `commit ${short} is signed by ${owner} (key ${shown}), which is no longer valid: ${messageOf(cause)}`, keyId: shown };
        continue;
      }
      return { ok: true, keyId: checked.keyID.toHex().toUpperCase(), fingerprint: key.getFingerprint().toUpperCase(), signer: owner };
    }
  }
  return lastFailure ?? { ok: false, reason: 'bad-signature', message: `commit ${short}: no signature in it verifies`, ...withKeyId };
}

/**
 * verifyCommitSignature as a diagnostic: undefined when the commit is signed by a trusted key,
 * else GM505 (unsigned), GM506 (untrusted) or GM507 (bad signature), at file `.`. For the
 * reconciler's `--verify-signatures`: a diagnostic there refuses the commit and shows in status.
 */
export async function verifyRevision(
  dir: string,
  commit: string,
  trusted: TrustedKeys,
  options: { readonly cache?: object; readonly now?: Date } = {},
): Promise<Diagnostic | undefined> {
  const verdict = await verifyCommitSignature(dir, commit, trusted, options);
  return verdict.ok ? undefined : signatureDiagnostic(verdict);
}

/** The diagnostic of a refused signature (GM505/GM506/GM507). */
export function signatureDiagnostic(verdict: Extract<SignatureVerdict, { ok: false }>): Diagnostic {
  return diagnostic(CODE_OF[verdict.reason], { file: '.' }, verdict.message);
}

/**
 * Splits a raw commit object into the bytes that were signed and the signature: every
 * `gpgsig`/`gpgsig-sha256` header (with its continuation lines, which start with a space) is
 * taken out of the header block, as git's parse_buffer_signed_by_header does; the signature is
 * the `gpgsig` one. Bytes are kept exactly (latin1 round-trips every byte).
 */
export function splitSignature(raw: Uint8Array): { payload: Uint8Array; signature: string | null } {
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
  const end = text.indexOf('\n\n');
  const headerEnd = end < 0 ? text.length : end + 1;
  const lines = text.slice(0, headerEnd).split(/(?<=\n)/);
  const kept: string[] = [];
  let signature: string[] | null = null;
  let skipping: 'gpgsig' | 'other' | null = null;
  for (const line of lines) {
    if (skipping !== null && line.startsWith(' ')) {
      if (skipping === 'gpgsig') signature!.push(line.slice(1));
      continue;
    }
    skipping = null;
    if (line.startsWith('gpgsig ')) {
      skipping = 'gpgsig';
      signature = [line.slice('gpgsig '.length)];
      continue;
    }
    if (line.startsWith('gpgsig-sha256 ')) {
      skipping = 'other';
      continue;
    }
    kept.push(line);
  }
  const payload = Buffer.from(kept.join('') + text.slice(headerEnd), 'latin1');
  return { payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength), signature: signature === null ? null : signature.join('') };
}

async function signerOf(key: openpgp.PublicKey): Promise<string> {
  try {
    const { user } = await key.getPrimaryUser();
    return user.userID?.userID || key.getKeyID().toHex().toUpperCase();
  } catch {
    return key.getKeyID().toHex().toUpperCase();
  }
}

/** A failed verification: the key's state (expired, revoked) is `untrusted`; anything else means the bytes do not match. */
function classify(short: string, owner: string, keyId: string, why: string): Extract<SignatureVerdict, { ok: false }> {
  if (/expired|revoked|not yet valid|no valid|could not find valid/i.test(why)) {
    return { ok: false, reason: 'untrusted', message: `commit ${short} is signed by ${owner} (key ${keyId}), which was not valid then: ${why}`, keyId };
  }
  return { ok: false, reason: 'bad-signature', message: `commit ${short} carries a signature by ${owner} (key ${keyId}) that does not match its content: ${why}`, keyId };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
