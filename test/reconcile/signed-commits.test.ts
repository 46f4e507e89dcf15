// serve --verify-signatures: only commits signed by a trusted key go live; the others are refused with GM505/GM506 and never reach a proxy.
import * as fs from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import * as openpgp from 'openpgp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServing } from '../../src/reconcile/serve.js';
import { parseTrustedKeys } from '../../src/source/signatures.js';
import { BASE_MESH, backendTimeout } from '../helpers/cli.js';

type KeyPair = { privateKey: openpgp.PrivateKey; publicKey: openpgp.PublicKey };
const keyPair = (name: string): Promise<KeyPair> => openpgp.generateKey({ type: 'ecc', curve: 'ed25519Legacy', userIDs: [{ name, email: `${name}@example.test` }], format: 'object' });

/** Writes `files` and commits them with isomorphic-git, signed by `key` (a detached OpenPGP signature, as gpg makes) or not. */
async function commit(dir: string, files: Record<string, string>, message: string, key?: openpgp.PrivateKey): Promise<string> {
  for (const [path, text] of Object.entries(files)) await writeFile(join(dir, path), text);
  await git.add({ fs, dir, filepath: '.' });
  const who = { name: 'Ada', email: 'ada@example.test' };
  return git.commit({
    fs,
    dir,
    message,
    author: who,
    ...(key && {
      signingKey: key.armor(),
      onSign: async ({ payload }: { payload: string }) => ({
        signature: (await openpgp.sign({ message: await openpgp.createMessage({ binary: new TextEncoder().encode(payload) }), signingKeys: key, detached: true, format: 'armored' })) as string,
      }),
    }),
  });
}

test('with trusted keys, a signed commit goes live; unsigned and untrusted commits are refused and the proxies keep the last signed one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gitmesh-signed-'));
  await mkdir(dir, { recursive: true });
  const [alice, eve] = [await keyPair('alice'), await keyPair('eve')];
  await git.init({ fs, dir, defaultBranch: 'main' });
  const signed = await commit(dir, { 'mesh.yaml': BASE_MESH }, 'a mesh, signed', alice.privateKey);
  const serving = await startServing({ repo: dir, xdsPort: 0, host: '127.0.0.1', ref: 'main', trustedKeys: await parseTrustedKeys(alice.publicKey.armor()) });
  try {
    assert.is(serving.first.outcome, 'applied');
    assert.is(serving.status().live?.commit, signed);

    const unsigned = await commit(dir, { 'timeout.yaml': backendTimeout('5s') }, 'unsigned');
    await serving.reload().then(
      () => assert.unreachable('an unsigned commit must be refused'),
      (error: { diagnostics?: { code: string }[] }) => assert.equal(error.diagnostics?.map((d) => d.code), ['GM505']),
    );
    assert.is(serving.status().rejected?.commit, unsigned);
    assert.is(serving.status().live?.commit, signed);

    const untrusted = await commit(dir, { 'timeout.yaml': backendTimeout('6s') }, 'signed by a key nobody trusts', eve.privateKey);
    await serving.reload().catch(() => undefined);
    assert.is(serving.status().rejected?.commit, untrusted);
    assert.equal(serving.status().rejected?.diagnostics.map((d) => d.code), ['GM506']);
    assert.is(serving.cache.get('default.backend-1')?.commit, signed, 'the proxies are served the last signed commit');

    const good = await commit(dir, { 'timeout.yaml': backendTimeout('7s') }, 'signed again', alice.privateKey);
    await serving.reload();
    assert.is(serving.status().live?.commit, good);
  } finally {
    await serving.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
