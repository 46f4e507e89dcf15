// The GitHub webhook: signature verification (GitHub's published vector), and what POST /webhook answers over real HTTP.
import { request as httpRequest } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startAdminServer, type AdminModel, type AdminServer } from '../../src/reconcile/admin.js';
import { answerDelivery, signatureHeader, verifySignature, type PushEvent } from '../../src/reconcile/webhook.js';

/** GitHub's test values (docs: "Validating webhook deliveries" → "Testing the webhook payload validation"). */
const GITHUB_SECRET = "It's a Secret to Everybody";
const GITHUB_PAYLOAD = 'Hello, World!';
const GITHUB_SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

const SECRET = 'webhook-test-secret';
const PUSH = JSON.stringify({ ref: 'refs/heads/main', before: '1'.repeat(40), after: 'a'.repeat(40), repository: { full_name: 'o/policies' } });

const MODEL: AdminModel = {
  ready: () => true,
  status: () => ({ state: 'serving', live: null, lastSeen: null, rejected: null, lastError: null, rolledBack: null }),
  proxies: () => [],
  snapshot: () => ({ commit: null, proxies: {} }),
  metrics: { text: async () => '', contentType: 'text/plain; version=0.0.4; charset=utf-8' },
};

/** An admin server whose webhook records the pushes it is handed. */
async function serverWith(secret: string | undefined, maxBodyBytes?: number): Promise<{ server: AdminServer; pushes: PushEvent[]; url: string }> {
  const pushes: PushEvent[] = [];
  const server = await startAdminServer({
    model: MODEL,
    webhook: { secret, onPush: (event) => void pushes.push(event), ...(maxBodyBytes !== undefined && { maxBodyBytes }) },
  });
  return { server, pushes, url: `http://${server.address}/webhook` };
}

function post(url: string, body: string | Buffer, headers: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
}

const deliveryHeaders = (event: string, body: string | Buffer, secret = SECRET) => ({
  'x-github-event': event,
  'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
  'x-hub-signature-256': signatureHeader(secret, body),
});

test("GitHub's published test vector verifies, and any change to it does not", () => {
  assert.ok(verifySignature(GITHUB_SECRET, Buffer.from(GITHUB_PAYLOAD), GITHUB_SIGNATURE));
  assert.is(signatureHeader(GITHUB_SECRET, GITHUB_PAYLOAD), GITHUB_SIGNATURE);
  assert.ok(verifySignature(Buffer.from(GITHUB_SECRET), Buffer.from(GITHUB_PAYLOAD), GITHUB_SIGNATURE.toUpperCase().replace('SHA256=', 'sha256=')));
  assert.not.ok(verifySignature(GITHUB_SECRET, Buffer.from('Hello, World?'), GITHUB_SIGNATURE));
  assert.not.ok(verifySignature('another secret', Buffer.from(GITHUB_PAYLOAD), GITHUB_SIGNATURE));
});

test('a malformed or missing signature header is false, never a throw', () => {
  const body = Buffer.from(GITHUB_PAYLOAD);
  for (const header of [undefined, '', 'sha256=', 'sha256=abc', 'sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17', `${GITHUB_SIGNATURE}00`, GITHUB_SIGNATURE.replace('7', 'z'), `${GITHUB_SIGNATURE}, ${GITHUB_SIGNATURE}`]) {
    assert.not.ok(verifySignature(GITHUB_SECRET, body, header), String(header));
  }
  assert.not.ok(verifySignature('', body, signatureHeader('', body)), 'an empty secret never verifies');
});

test('answerDelivery: the JSON is parsed only after the signature is verified', () => {
  // given a body that is not JSON, with a bad signature
  const bad = answerDelivery(SECRET, { 'x-github-event': 'push', 'x-hub-signature-256': signatureHeader('wrong', 'nope') }, Buffer.from('nope'));
  // then the answer is 401, not 400
  assert.is(bad.status, 401);
  assert.is(bad.push, undefined);
  // and a form-encoded push (GitHub's other content type) is read from its payload field
  const form = `payload=${encodeURIComponent(PUSH)}`;
  const answer = answerDelivery(SECRET, { 'content-type': 'application/x-www-form-urlencoded', ...deliveryHeaders('push', form) }, Buffer.from(form));
  assert.is(answer.status, 202);
  assert.equal(answer.push, { delivery: '72d3162e-cc78-11e3-81ab-4c9367dc0958', ref: 'refs/heads/main', after: 'a'.repeat(40) });
});

test('a signed push is accepted with 202 and starts one fetch with its ref and after', async () => {
  const { server, pushes, url } = await serverWith(SECRET);
  try {
    const res = await post(url, PUSH, deliveryHeaders('push', PUSH));
    assert.is(res.status, 202);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    assert.is(body.accepted, true);
    assert.is(body.ref, 'refs/heads/main');
    assert.equal(pushes, [{ delivery: '72d3162e-cc78-11e3-81ab-4c9367dc0958', ref: 'refs/heads/main', after: 'a'.repeat(40) }]);
  } finally {
    await server.close();
  }
});

test('a bad or missing signature is refused with 401 and nothing is fetched', async () => {
  const { server, pushes, url } = await serverWith(SECRET);
  try {
    const wrongSecret = await post(url, PUSH, deliveryHeaders('push', PUSH, 'not-the-secret'));
    assert.is(wrongSecret.status, 401);
    const tampered = await post(url, PUSH.replace('main', 'evil'), deliveryHeaders('push', PUSH));
    assert.is(tampered.status, 401);
    const { 'x-hub-signature-256': _signature, ...unsigned } = deliveryHeaders('push', PUSH);
    const missing = await post(url, PUSH, unsigned);
    assert.is(missing.status, 401);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'Unauthorized');
    assert.is(pushes.length, 0);
  } finally {
    await server.close();
  }
});

test('without a secret the endpoint answers 404, whatever is sent', async () => {
  for (const secret of [undefined, '']) {
    const { server, pushes, url } = await serverWith(secret);
    try {
      assert.is((await post(url, PUSH, deliveryHeaders('push', PUSH))).status, 404);
      assert.is((await fetch(url)).status, 404);
      assert.is(pushes.length, 0);
    } finally {
      await server.close();
    }
  }
});

test('a body over the cap is refused with 413 (declared or streamed), and the server goes on', async () => {
  const { server, pushes, url } = await serverWith(SECRET, 1024);
  try {
    // given a signed body of 4 KiB against a 1 KiB cap
    const big = JSON.stringify({ ref: 'refs/heads/main', after: 'a'.repeat(40), padding: 'x'.repeat(4096) });
    const declared = await post(url, big, deliveryHeaders('push', big));
    assert.is(declared.status, 413);
    // and the same without a content-length (chunked): the cap is enforced while reading
    const chunked = await chunkedPost(server.port, big, deliveryHeaders('push', big));
    assert.is(chunked, 413);
    assert.is(pushes.length, 0);
    // then a good delivery still goes through
    assert.is((await post(url, PUSH, deliveryHeaders('push', PUSH))).status, 202);
  } finally {
    await server.close();
  }
});

test('ping answers 200, other events 204, a bad push 400, and only POST is allowed', async () => {
  const { server, pushes, url } = await serverWith(SECRET);
  try {
    const ping = await post(url, '{"zen":"Keep it logically awesome."}', deliveryHeaders('ping', '{"zen":"Keep it logically awesome."}'));
    assert.is(ping.status, 200);
    assert.is(((await ping.json()) as { event: string }).event, 'ping');
    const issues = await post(url, '{}', deliveryHeaders('issues', '{}'));
    assert.is(issues.status, 204);
    assert.is(await issues.text(), '');
    assert.is((await post(url, 'not json', deliveryHeaders('push', 'not json'))).status, 400);
    assert.is((await post(url, '{"ref":1}', deliveryHeaders('push', '{"ref":1}'))).status, 400);
    const { 'x-github-event': _event, ...noEvent } = deliveryHeaders('push', PUSH);
    assert.is((await post(url, PUSH, noEvent)).status, 400);
    const get = await fetch(url);
    assert.is(get.status, 405);
    assert.is(get.headers.get('allow'), 'POST');
    assert.is(pushes.length, 0);
  } finally {
    await server.close();
  }
});

test('a push whose fetch fails later still answered 202, and a throwing onPush answers 500', async () => {
  let calls = 0;
  const failing = await startAdminServer({ model: MODEL, webhook: { secret: SECRET, onPush: async () => void (calls++, await Promise.reject(new Error('remote down'))) } });
  const throwing = await startAdminServer({ model: MODEL, webhook: { secret: SECRET, onPush: () => { throw new Error('no'); } } });
  try {
    assert.is((await post(`http://${failing.address}/webhook`, PUSH, deliveryHeaders('push', PUSH))).status, 202);
    assert.is(calls, 1);
    assert.is((await post(`http://${throwing.address}/webhook`, PUSH, deliveryHeaders('push', PUSH))).status, 500);
    assert.is((await fetch(`http://${throwing.address}/healthz`)).status, 200);
  } finally {
    await failing.close();
    await throwing.close();
  }
});

/** POSTs `body` with chunked transfer encoding (no content-length) and resolves with the status. */
function chunkedPost(port: number, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/webhook', method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    for (let i = 0; i < body.length; i += 512) req.write(body.slice(i, i + 512));
    req.end();
  });
}

test.run();
