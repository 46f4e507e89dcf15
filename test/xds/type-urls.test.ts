// The resource type table: five types, each a message in protos/, pushed in one fixed order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findMessageType } from '../../src/xds/protos.js';
import { messageNameOf, PUSH_ORDER, RESOURCE_KEYS, TYPE_URL_PREFIX, TYPE_URLS, typeNameOf } from '../../src/xds/type-urls.js';

test('every resource type URL names a message in protos/', () => {
  for (const url of Object.values(TYPE_URLS)) {
    assert.ok(url.startsWith(TYPE_URL_PREFIX), url);
    assert.is(findMessageType(url)?.fullName, `.${messageNameOf(url)}`);
  }
});

test('the push order holds each type once, secrets first, then CDS, EDS, LDS, RDS', () => {
  assert.equal(PUSH_ORDER, ['sds', 'cds', 'eds', 'lds', 'rds']);
  assert.equal([...PUSH_ORDER].sort(), Object.keys(TYPE_URLS).sort());
  assert.equal(Object.keys(RESOURCE_KEYS).sort(), Object.keys(TYPE_URLS).sort());
});

test('a type URL maps back to its short name, anything else to nothing', () => {
  assert.is(typeNameOf(TYPE_URLS.eds), 'eds');
  assert.is(typeNameOf('type.googleapis.com/envoy.config.core.v3.Node'), undefined);
  assert.is(messageNameOf('example.com/a/b.C'), 'b.C');
});

test.run();
