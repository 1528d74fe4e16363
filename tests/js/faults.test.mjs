// Fault injection (--faults) as the stock JS SDK meets it: with its default
// retry strategy (3 attempts) it retries SlowDown and InternalError with
// backoff, and an upload whose connection was reset; ExpiredToken is not
// retried; a reset in the middle of a GET body reaches the caller, who
// reads again.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';

import {
  startServer,
  newClient,
  bucketName,
  directoryBucketConfiguration,
  bodyBytes,
  describeError,
  rejection,
  RecordingHandler,
} from './harness.mjs';

const rules = `
rules:
  - name: storm
    match: {ops: [PutObject], prefix: storm/}
    error: {status: 503, code: SlowDown}
    first: 2
  - name: ie
    match: {ops: [PutObject], prefix: ie/}
    error: {status: 500, code: InternalError}
    first: 2
  - name: cut-put
    match: {ops: [PutObject], prefix: rp/}
    reset: {after_request_bytes: 65536}
    first: 1
  - name: expired
    match: {ops: [PutObject], prefix: exp/, session: session}
    error: {status: 400, code: ExpiredToken, message: The provided token has expired.}
    first: 1
  - name: cut-get
    match: {ops: [GetObject], prefix: big/}
    reset: {after_response_bytes: 1048576}
    first: 1
`;

describe('fault injection', () => {
  let server;
  let client;
  let recorder;
  let dir;
  const Bucket = bucketName('jsfault');

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'zonal-js-faults-'));
    const file = path.join(dir, 'faults.yaml');
    writeFileSync(file, rules);
    server = await startServer({ extraArgs: ['--faults', file] });
    recorder = new RecordingHandler();
    // The SDK's defaults: 3 attempts, standard retry strategy.
    client = newClient(server.endpoint, { requestHandler: recorder, maxAttempts: undefined });
    await client.send(new CreateBucketCommand({ Bucket, CreateBucketConfiguration: directoryBucketConfiguration }));
  });

  after(async () => {
    client?.destroy();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function faultCounts() {
    const res = await fetch(`${server.endpoint}/_zonal/faults`);
    const { rules } = await res.json();
    return Object.fromEntries(rules.map((r) => [r.name, r.fired]));
  }

  function attemptsFor(key) {
    return recorder.requests
      .filter((r) => r.method === 'PUT' && r.path.endsWith('/' + key))
      .map((r) => `${r.status ?? 'no response'} ${r.responseHeaders?.['x-zonal-fault'] ?? ''}`.trim());
  }

  for (const [rule, status] of [
    ['storm', 503],
    ['ie', 500],
  ]) {
    test(`${rule}: retried with backoff, succeeds on the third attempt`, async (t) => {
      const Key = `${rule}/obj`;
      const out = await client.send(new PutObjectCommand({ Bucket, Key, Body: 'payload' }));
      t.diagnostic(`attempts ${out.$metadata.attempts}, total retry delay ${out.$metadata.totalRetryDelay} ms`);
      assert.equal(out.$metadata.attempts, 3);
      assert.ok(out.$metadata.totalRetryDelay > 0, `totalRetryDelay ${out.$metadata.totalRetryDelay}`);
      assert.deepEqual(attemptsFor(Key), [`${status} ${rule}`, `${status} ${rule}`, '200']);
      assert.equal((await faultCounts())[rule], 2);
      const got = await client.send(new GetObjectCommand({ Bucket, Key }));
      assert.equal((await bodyBytes(got.Body)).toString(), 'payload');
    });
  }

  // Like the Go SDK, the JS SDK neither retries ExpiredToken nor drops its
  // cached session for it (sessions are refreshed by expiry time): the call
  // fails, and the next one signs with the same session.
  test('ExpiredToken on a session-signed request: not retried, session kept', async () => {
    const Key = 'exp/obj';
    recorder.requests.length = 0;
    const err = await rejection(() => client.send(new PutObjectCommand({ Bucket, Key, Body: 'x' })));
    assert.equal(err.name, 'ExpiredToken', describeError(err));
    assert.equal(err.$metadata?.attempts, 1, describeError(err));
    await client.send(new PutObjectCommand({ Bucket, Key, Body: 'x' }));
    assert.deepEqual(attemptsFor(Key), ['400 expired', '200']);
    const tokens = recorder.requests.filter((r) => r.method === 'PUT').map((r) => r.headers['x-amz-s3session-token']);
    assert.ok(tokens[0] && tokens[0] === tokens[1], 'the second PUT used another session');
    assert.equal(recorder.requests.filter((r) => 'session' in r.query).length, 0, 'a CreateSession followed the ExpiredToken');
    assert.equal((await faultCounts()).expired, 1);
  });

  test('a reset upload is retried on a new connection', async (t) => {
    const Key = 'rp/obj';
    const Body = Buffer.alloc(1 << 20, 'q');
    const out = await client.send(new PutObjectCommand({ Bucket, Key, Body }));
    t.diagnostic(`attempts ${out.$metadata.attempts}, total retry delay ${out.$metadata.totalRetryDelay} ms`);
    assert.equal(out.$metadata.attempts, 2);
    assert.deepEqual(attemptsFor(Key), ['no response', '200']);
    assert.equal((await faultCounts())['cut-put'], 1);
    const got = await client.send(new GetObjectCommand({ Bucket, Key }));
    assert.ok((await bodyBytes(got.Body)).equals(Body));
  });

  test('a reset in the middle of a GET body reaches the caller; reading again works', async (t) => {
    const Key = 'big/obj';
    const Body = Buffer.alloc(4 << 20, 'z');
    await client.send(new PutObjectCommand({ Bucket, Key, Body }));
    const out = await client.send(new GetObjectCommand({ Bucket, Key }));
    let err;
    try {
      await bodyBytes(out.Body);
    } catch (e) {
      err = e;
    }
    assert.ok(err, 'the body read to its end despite the reset');
    t.diagnostic(`the body failed with ${err.code}: ${err.message}`);
    assert.match(`${err.code} ${err.message}`, /ECONNRESET|aborted|socket hang up/, describeError(err));
    assert.equal((await faultCounts())['cut-get'], 1);
    const again = await client.send(new GetObjectCommand({ Bucket, Key }));
    assert.ok((await bodyBytes(again.Body)).equals(Body));
  });
});
