// Signed commits: real OpenPGP signatures made with openpgp through isomorphic-git's onSign (and by git + gpg when gpg is installed), checked against trusted keys.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import * as openpgp from 'openpgp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CODES } from '../../src/core/codes.js';
import {
  loadTrustedKeys,
  parseTrustedKeys,
  SignatureError,
  splitSignature,
  TrustedKeysError,
  verifyCommitSignature,
  verifyRevision,
  type SignatureVerdict,
  type TrustedKeys,
} from '../../src/source/signatures.js';

const scratch = mkdtempSync(join(tmpdir(), 'gitmesh-signatures-'));
const dir = join(scratch, 'repo');
const gitEnv = { PATH: process.env.PATH, HOME: scratch, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const sh = (args: string[], env: Record<string, string> = {}) => execFileSync('git', args, { cwd: dir, env: { ...gitEnv, ...env } }).toString().trim();

type KeyPair = { privateKey: openpgp.PrivateKey; publicKey: openpgp.PublicKey };
const keyPair = (name: string, extra: { date?: Date; keyExpirationTime?: number; subkeys?: { sign?: boolean }[] } = {}): Promise<KeyPair> =>
  openpgp.generateKey({ type: 'ecc', curve: 'ed25519Legacy', userIDs: [{ name, email: `${name.toLowerCase()}@example.test` }], format: 'object', ...extra });

/** Commits the work tree with isomorphic-git, signed with `key` (an OpenPGP detached signature over the payload's bytes, as gpg makes) or not. */
async function commit(message: string, key?: openpgp.PrivateKey, options: { signDate?: Date } = {}): Promise<string> {
  await git.add({ fs, dir, filepath: '.' });
  const who = { name: 'Alice', email: 'alice@example.test', timestamp: 1714816800, timezoneOffset: 0 };
  return git.commit({
    fs,
    dir,
    message,
    author: who,
    committer: who,
    ...(key && {
      signingKey: key.armor(),
      onSign: async ({ payload }: { payload: string }) => {
        const signature = await openpgp.sign({
          message: await openpgp.createMessage({ binary: new TextEncoder().encode(payload) }),
          signingKeys: key,
          detached: true,
          format: 'armored',
          ...(options.signDate && { date: options.signDate }),
        });
        return { signature: signature as string };
      },
    }),
  });
}

let alice: KeyPair;
let eve: KeyPair;
let withSubkey: KeyPair;
let trusted: TrustedKeys;
let signed: string;
let unsigned: string;
let byEve: string;
let tampered: string;
let bySubkey: string;

test.before(async () => {
  [alice, eve, withSubkey] = await Promise.all([keyPair('Alice'), keyPair('Eve'), keyPair('Sub', { subkeys: [{ sign: true }] })]);
  fs.mkdirSync(dir);
  sh(['init', '-q', '-b', 'main']);
  writeFileSync(join(dir, 'mesh.yaml'), 'type: Mesh\nname: default\n');
  signed = await commit('Signed by Alice\n', alice.privateKey);
  writeFileSync(join(dir, 'mesh.yaml'), 'type: Mesh\nname: other\n');
  unsigned = await commit('Not signed\n');
  byEve = await commit('Signed by Eve\n', eve.privateKey);
  bySubkey = await commit('Signed by a signing subkey\n', withSubkey.privateKey);
  // The same signature on a changed payload: a commit edited after it was signed.
  const { object } = await git.readObject({ fs, dir, oid: signed, format: 'content' });
  const edited = Buffer.from(object as Uint8Array).toString('latin1').replace('Signed by Alice', 'Signed by Mallory');
  tampered = await git.writeObject({ fs, dir, type: 'commit', object: Buffer.from(edited, 'latin1'), format: 'content' });
  // A trusted-keys file: two armored blocks (Alice, then the subkey owner) with comments around them.
  const file = join(scratch, 'trusted.asc');
  writeFileSync(file, `# who may deploy\n${alice.publicKey.armor()}\nsome comment\n${withSubkey.publicKey.armor()}`);
  trusted = await loadTrustedKeys(file);
});

test.after(() => rmSync(scratch, { recursive: true, force: true }));

const upper = (key: openpgp.PublicKey | openpgp.Subkey) => key.getKeyID().toHex().toUpperCase();

test('a commit signed by a trusted key verifies: its key id, fingerprint and signer', async () => {
  assert.is(trusted.keys.length, 2);
  const verdict = await verifyCommitSignature(dir, signed, trusted);
  assert.equal(verdict, { ok: true, keyId: upper(alice.publicKey), fingerprint: alice.publicKey.getFingerprint().toUpperCase(), signer: 'Alice <alice@example.test>' });
  assert.is(await verifyRevision(dir, signed, trusted), undefined);
  // Any REF: a branch name, a short id, from the git dir as well as the work tree.
  assert.ok((await verifyCommitSignature(join(dir, '.git'), signed.slice(0, 8), trusted)).ok);
});

test('a signing subkey: its own key id, the fingerprint of the primary key it belongs to', async () => {
  const verdict = await verifyCommitSignature(dir, bySubkey, trusted);
  assert.ok(verdict.ok, JSON.stringify(verdict));
  const sub = withSubkey.publicKey.getSubkeys()[0]!;
  assert.equal(verdict, { ok: true, keyId: upper(sub), fingerprint: withSubkey.publicKey.getFingerprint().toUpperCase(), signer: 'Sub <sub@example.test>' });
});

test('an unsigned commit: unsigned, GM505', async () => {
  assert.equal(await verifyCommitSignature(dir, unsigned, trusted), { ok: false, reason: 'unsigned', message: `commit ${unsigned.slice(0, 12)} is not signed` });
  const d = await verifyRevision(dir, unsigned, trusted);
  assert.equal(d, { code: 'GM505', severity: 'error', message: `commit ${unsigned.slice(0, 12)} is not signed`, file: '.', line: 1, column: 1, hint: CODES.GM505.hint });
});

test('a commit signed by a key not in the file: untrusted, GM506, naming the key', async () => {
  const verdict = await verifyCommitSignature(dir, byEve, trusted);
  assert.equal(verdict, {
    ok: false,
    reason: 'untrusted',
    message: `commit ${byEve.slice(0, 12)} is signed by key ${upper(eve.publicKey)}, which is not among the trusted keys in ${join(scratch, 'trusted.asc')}`,
    keyId: upper(eve.publicKey),
  });
  assert.is((await verifyRevision(dir, byEve, trusted))?.code, 'GM506');
});

test('a commit changed after it was signed: bad-signature, GM507', async () => {
  const verdict = await verifyCommitSignature(dir, tampered, trusted);
  assert.is(verdict.ok, false);
  const failed = verdict as Extract<SignatureVerdict, { ok: false }>;
  assert.is(failed.reason, 'bad-signature');
  assert.is(failed.keyId, upper(alice.publicKey));
  assert.match(failed.message, `commit ${tampered.slice(0, 12)} carries a signature by Alice <alice@example.test> (key ${upper(alice.publicKey)}) that does not match its content`);
  assert.is((await verifyRevision(dir, tampered, trusted))?.code, 'GM507');
  const error = new SignatureError(tampered, failed);
  assert.is(error.code, 'Signature');
  assert.is(error.diagnostic.code, 'GM507');
  assert.equal(error.data, { commit: tampered, reason: 'bad-signature', keyId: upper(alice.publicKey) });
});

test('a key that has expired since, or was revoked: untrusted, even for a signature made while it was valid', async () => {
  const past = new Date(Date.now() - 48 * 3600_000);
  const old = await keyPair('Old', { date: past, keyExpirationTime: 3600 });
  const oid = await commit('Signed back when the key was valid\n', old.privateKey, { signDate: new Date(past.getTime() + 60_000) });
  const keys = await parseTrustedKeys(old.publicKey.armor(), 'old.asc');
  const expired = await verifyCommitSignature(dir, oid, keys);
  assert.is(expired.ok, false);
  assert.is((expired as { reason: string }).reason, 'untrusted');
  assert.match((expired as { message: string }).message, 'which is no longer valid');
  // At a time when the key was valid, the same signature verifies: only the key's state differs.
  assert.ok((await verifyCommitSignature(dir, oid, keys, { now: new Date(past.getTime() + 120_000) })).ok);

  const { publicKey: revoked } = await openpgp.revokeKey({ key: eve.privateKey, format: 'object' });
  const verdict = await verifyCommitSignature(dir, byEve, await parseTrustedKeys(revoked.armor()));
  assert.is((verdict as { reason: string }).reason, 'untrusted');
  assert.match((verdict as { message: string }).message, /revoked/);
});

test('an SSH signature: untrusted (gitmesh checks OpenPGP signatures only)', async () => {
  const { object } = await git.readObject({ fs, dir, oid: unsigned, format: 'content' });
  const text = Buffer.from(object as Uint8Array).toString('latin1');
  const withSsh = text.replace('\n\n', '\ngpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lH\n -----END SSH SIGNATURE-----\n\n');
  const oid = await git.writeObject({ fs, dir, type: 'commit', object: Buffer.from(withSsh, 'latin1'), format: 'content' });
  assert.equal(await verifyCommitSignature(dir, oid, trusted), { ok: false, reason: 'untrusted', message: `commit ${oid.slice(0, 12)} carries an SSH signature; gitmesh checks OpenPGP signatures only` });
});

test('the signed payload is the raw commit without its gpgsig and gpgsig-sha256 headers, byte for byte', () => {
  const raw = Buffer.from('tree abc\nparent def\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n AAAA\n -----END PGP SIGNATURE-----\ngpgsig-sha256 -----BEGIN PGP SIGNATURE-----\n BBBB\n -----END PGP SIGNATURE-----\nencoding ISO-8859-1\n\ncaf\xe9 \n gpgsig in the message stays\n', 'latin1');
  const { payload, signature } = splitSignature(raw);
  assert.is(Buffer.from(payload).toString('latin1'), 'tree abc\nparent def\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\nencoding ISO-8859-1\n\ncaf\xe9 \n gpgsig in the message stays\n');
  assert.is(signature, '-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n');
  assert.equal(splitSignature(Buffer.from('tree abc\n\nmsg\n')).signature, null);
});

test('trusted keys: a private key, no key, a broken block or a missing file is TrustedKeysError', async () => {
  const rejects = async (text: string | null, pattern: string) => {
    try {
      await (text === null ? loadTrustedKeys(join(scratch, 'missing.asc')) : parseTrustedKeys(text, 'keys.asc'));
    } catch (error) {
      assert.instance(error, TrustedKeysError);
      assert.match((error as Error).message, pattern);
      return;
    }
    assert.unreachable('expected TrustedKeysError');
  };
  await rejects(alice.privateKey.armor(), 'keys.asc holds a private key; give public keys only');
  await rejects('just text\n', 'keys.asc holds no ASCII-armored OpenPGP public key');
  await rejects('-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot base64 at all!\n-----END PGP PUBLIC KEY BLOCK-----\n', 'keys.asc: public key block 1 does not parse');
  await rejects(null, 'cannot read the trusted keys in');
});

const hasGpg = spawnSync('gpg', ['--version']).status === 0;

test('git and gpg agree: git verify-commit accepts what gitmesh accepts, and gitmesh verifies a commit signed by git with gpg', async () => {
  if (!hasGpg) {
    console.log('  (gpg is not installed: the cross-check with git verify-commit is skipped)');
    return;
  }
  const home = mkdtempSync(join(tmpdir(), 'gm-gpg-'));
  const gpgEnv = { ...gitEnv, GNUPGHOME: home };
  const gpg = (args: string[], input?: string) => execFileSync('gpg', ['--batch', '--quiet', ...args], { env: gpgEnv, ...(input !== undefined && { input }) }).toString();
  try {
    fs.chmodSync(home, 0o700);
    // gitmesh's signatures are git's: git verify-commit accepts the good one and rejects the tampered one.
    gpg(['--import'], alice.publicKey.armor());
    const verify = (oid: string) => spawnSync('git', ['verify-commit', oid], { cwd: dir, env: gpgEnv }).status;
    assert.is(verify(signed), 0);
    assert.is.not(verify(tampered), 0);
    assert.is.not(verify(unsigned), 0);
    // A commit signed by the git CLI with a gpg key verifies with that key's exported public key.
    gpg(['--passphrase', '', '--pinentry-mode', 'loopback', '--quick-gen-key', 'Gpg User <gpg@example.test>', 'ed25519', 'sign', 'never']);
    const exported = gpg(['--armor', '--export', 'gpg@example.test']);
    writeFileSync(join(dir, 'mesh.yaml'), 'type: Mesh\nname: gpg\n');
    sh(['add', '-A']);
    sh(['-c', 'user.name=Gpg User', '-c', 'user.email=gpg@example.test', '-c', 'user.signingkey=gpg@example.test', 'commit', '-q', '-S', '-m', 'Signed by git and gpg'], { GNUPGHOME: home });
    const byGit = sh(['rev-parse', 'HEAD']);
    const verdict = await verifyCommitSignature(dir, byGit, await parseTrustedKeys(exported, 'gpg.asc'));
    assert.ok(verdict.ok, JSON.stringify(verdict));
    assert.is((verdict as { signer: string }).signer, 'Gpg User <gpg@example.test>');
    assert.is((await verifyCommitSignature(dir, byGit, trusted)).ok, false, 'and only with it');
  } finally {
    spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env: gpgEnv });
    rmSync(home, { recursive: true, force: true });
  }
});

test.run();
