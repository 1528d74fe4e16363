// Wire checks: a recording request handler captures what the stock JS SDK
// sends (after signing), and the tests assert the shapes the wire reference
// documents (§1, §2b, §3): one implicit CreateSession per bucket signed with
// the root key, then session-signed requests carrying x-amz-s3session-token;
// base-key requests for ListDirectoryBuckets, explicit CreateSession and
// CopyObject; the `//` path form; aws-chunked stream uploads.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';

import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  DeleteBucketCommand,
  ListDirectoryBucketsCommand,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  CopyObjectCommand,
  CreateSessionCommand,
} from '@aws-sdk/client-s3';

import {
  startServer,
  newClient,
  bucketName,
  directoryBucketConfiguration,
  bodyBytes,
  loopbackAgent,
  RecordingHandler,
  ACCESS_KEY,
  REGION,
} from './harness.mjs';

// The server answers 501 NotImplemented for CopyObject while it is being built.
// The test still runs (the request shape is checked first) and reports.

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Parsed Authorization header: { akid, date, region, service, signedHeaders }. */
function auth(req) {
  const h = req.headers.authorization;
  assert.ok(h, `${req.method} ${req.path}: no Authorization header`);
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=[0-9a-f]{64}$/.exec(h);
  assert.ok(m, `${req.method} ${req.path}: unexpected Authorization ${h}`);
  return { akid: m[1], date: m[2], region: m[3], service: m[4], signedHeaders: m[5].split(';') };
}

const isCreateSession = (r) => r.method === 'GET' && 'session' in r.query;
const describeReq = (r) => `${r.method} ${r.hostname}${r.path}?${new URLSearchParams(r.query)}`;

/** A request signed with the root key: s3express scope, no session token. */
function assertBaseSigned(req) {
  const a = auth(req);
  assert.equal(a.akid, ACCESS_KEY, `${describeReq(req)} is signed with the root key`);
  assert.equal(a.service, 's3express', `${describeReq(req)} scope service`);
  assert.equal(a.region, REGION);
  assert.equal(req.headers['x-amz-s3session-token'], undefined, `${describeReq(req)} carries no session token`);
  assert.equal(req.headers['x-amz-security-token'], undefined);
}

/** A request signed with a session: session key, signed x-amz-s3session-token. */
function assertSessionSigned(req, session) {
  const a = auth(req);
  const token = req.headers['x-amz-s3session-token'];
  assert.ok(token, `${describeReq(req)} carries x-amz-s3session-token`);
  assert.ok(a.signedHeaders.includes('x-amz-s3session-token'), `${describeReq(req)} signs the token header`);
  assert.notEqual(a.akid, ACCESS_KEY, `${describeReq(req)} is signed with the session key, not the root key`);
  assert.equal(a.service, 's3express');
  assert.equal(req.headers['x-amz-security-token'], undefined, 'x-amz-security-token is never sent on session requests');
  if (session) {
    assert.equal(a.akid, session.akid, `${describeReq(req)} uses the session key from CreateSession`);
    assert.equal(token, session.token, `${describeReq(req)} uses the token from CreateSession`);
  }
}

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

describe('wire: path style (IP endpoint)', () => {
  let client;
  let rec;
  const Bucket = bucketName('jswire');
  let session; // { akid, token } of the implicit session, read from a session-signed request

  before(() => {
    rec = new RecordingHandler();
    client = newClient(server.endpoint, { requestHandler: rec });
  });
  after(() => client?.destroy());

  /** Requests sent while fn runs. */
  async function during(fn) {
    const n = rec.requests.length;
    await fn();
    return rec.requests.slice(n);
  }

  test('CreateBucket: a root-signed CreateSession (GET /B//?session) first, then a session-signed PUT /B//', async () => {
    const reqs = await during(() =>
      client.send(new CreateBucketCommand({ Bucket, CreateBucketConfiguration: directoryBucketConfiguration })),
    );
    assert.equal(reqs.length, 2, reqs.map(describeReq).join('\n'));
    const [cs, put] = reqs;
    assert.ok(isCreateSession(cs), `first request is CreateSession: ${describeReq(cs)}`);
    assert.equal(cs.path, `/${Bucket}//`, 'JS + IP endpoint: the // form');
    assert.equal(cs.hostname, '127.0.0.1');
    assert.equal(cs.headers['x-amz-create-session-mode'], undefined, 'implicit sessions are ReadWrite (no mode header)');
    assertBaseSigned(cs);
    assert.equal(cs.status, 200, 'the server issues a session for a bucket that does not exist yet');

    assert.equal(put.method, 'PUT');
    assert.equal(put.path, `/${Bucket}//`);
    assertSessionSigned(put);
    assert.equal(put.status, 200);
    session = { akid: auth(put).akid, token: put.headers['x-amz-s3session-token'] };
  });

  test('object requests carry x-amz-s3session-token and reuse the one session', async () => {
    const reqs = await during(async () => {
      await client.send(new HeadBucketCommand({ Bucket }));
      await client.send(new PutObjectCommand({ Bucket, Key: 'w/a.txt', Body: 'hello world' }));
      await client.send(new PutObjectCommand({ Bucket, Key: 'w/b.txt', Body: Buffer.from('buffer body') }));
      const got = await client.send(new GetObjectCommand({ Bucket, Key: 'w/a.txt' }));
      assert.equal((await bodyBytes(got.Body)).toString(), 'hello world');
      await client.send(new HeadObjectCommand({ Bucket, Key: 'w/a.txt' }));
      await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'w/', Delimiter: '/' }));
      await client.send(new DeleteObjectCommand({ Bucket, Key: 'w/a.txt' }));
      await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: 'w/b.txt' }] } }));
    });
    assert.equal(reqs.filter(isCreateSession).length, 0, 'no new CreateSession while the session is valid (TTL 5m)');
    assert.equal(reqs.length, 8, reqs.map(describeReq).join('\n'));
    for (const r of reqs) {
      assertSessionSigned(r, session);
      assert.ok(r.status >= 200 && r.status < 300, `${describeReq(r)} answered ${r.status}`);
    }
    const [headBucket, put, putBuf, get, head, list, del, delMany] = reqs;
    assert.equal(headBucket.method, 'HEAD');
    assert.equal(headBucket.path, `/${Bucket}//`);

    assert.equal(put.path, `/${Bucket}//w/a.txt`);
    assert.equal(put.query['x-id'], 'PutObject');
    assert.ok(put.headers['x-amz-checksum-crc32'], 'PutObject sends a CRC32 by default');
    assert.equal(put.headers['x-amz-sdk-checksum-algorithm'], 'CRC32');
    assert.match(put.headers['x-amz-content-sha256'], /^[0-9a-f]{64}$/, 'a Buffer/string body is SHA-256 signed');
    assert.equal(put.responseHeaders['x-amz-checksum-crc32'], put.headers['x-amz-checksum-crc32'], 'the server echoes the CRC32');
    assert.equal(putBuf.path, `/${Bucket}//w/b.txt`);

    assert.equal(get.path, `/${Bucket}//w/a.txt`);
    assert.equal(get.query['x-id'], 'GetObject');
    assert.equal(get.headers['x-amz-checksum-mode'], 'ENABLED');
    assert.equal(get.headers['x-amz-content-sha256'], EMPTY_SHA256);
    assert.equal(head.method, 'HEAD');
    assert.equal(head.path, `/${Bucket}//w/a.txt`);
    assert.equal(list.path, `/${Bucket}//`);
    assert.equal(list.query['list-type'], '2');
    assert.equal(del.method, 'DELETE');
    assert.equal(del.path, `/${Bucket}//w/a.txt`);
    assert.equal(delMany.method, 'POST');
    assert.ok('delete' in delMany.query);
    assert.ok(delMany.headers['x-amz-checksum-crc32'], 'DeleteObjects sends a CRC32');
  });

  test('a Readable body is sent aws-chunked with a trailer and no Content-Length', async () => {
    const reqs = await during(() =>
      client.send(
        new PutObjectCommand({
          Bucket,
          Key: 'w/stream.txt',
          Body: Readable.from([Buffer.from('hello '), Buffer.from('world')]),
          ContentLength: 11,
        }),
      ),
    );
    assert.equal(reqs.length, 1);
    const [put] = reqs;
    assertSessionSigned(put, session);
    assert.equal(put.status, 200);
    assert.equal(put.headers['x-amz-content-sha256'], 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
    assert.match(put.headers['content-encoding'], /aws-chunked/);
    assert.equal(put.headers['x-amz-decoded-content-length'], '11');
    assert.equal(put.headers['x-amz-trailer'], 'x-amz-checksum-crc32');
    assert.equal(put.headers['content-length'], undefined, 'no Content-Length: HTTP chunked transfer');
    assert.equal(put.headers['transfer-encoding'], 'chunked');

    const got = await client.send(new GetObjectCommand({ Bucket, Key: 'w/stream.txt' }));
    assert.equal((await bodyBytes(got.Body)).toString(), 'hello world');
    await client.send(new DeleteObjectCommand({ Bucket, Key: 'w/stream.txt' }));
  });

  test('ListDirectoryBuckets is root-signed GET /?x-id=ListDirectoryBuckets with no CreateSession', async () => {
    const reqs = await during(() => client.send(new ListDirectoryBucketsCommand({})));
    assert.equal(reqs.length, 1, reqs.map(describeReq).join('\n'));
    const [r] = reqs;
    assert.equal(r.method, 'GET');
    assert.equal(r.path, '/');
    assert.equal(r.query['x-id'], 'ListDirectoryBuckets');
    assertBaseSigned(r);
    assert.equal(r.status, 200);
  });

  test("explicit CreateSession 'ReadOnly' is root-signed with a signed x-amz-create-session-mode", async () => {
    const reqs = await during(async () => {
      const out = await client.send(new CreateSessionCommand({ Bucket, SessionMode: 'ReadOnly' }));
      assert.ok(out.Credentials?.SessionToken);
      assert.ok(out.Credentials.Expiration > new Date());
    });
    assert.equal(reqs.length, 1, reqs.map(describeReq).join('\n'));
    const [r] = reqs;
    assert.ok(isCreateSession(r));
    assert.equal(r.path, `/${Bucket}//`);
    assert.equal(r.headers['x-amz-create-session-mode'], 'ReadOnly');
    assert.ok(auth(r).signedHeaders.includes('x-amz-create-session-mode'), 'the mode header is signed');
    assertBaseSigned(r);
    assert.equal(r.status, 200);

    // An explicit call does not replace the cached session (wire reference §5).
    const after = await during(() => client.send(new HeadBucketCommand({ Bucket })));
    assertSessionSigned(after[0], session);
  });

  test('CopyObject is root-signed (no session token)', async () => {
    try {
      await client.send(new PutObjectCommand({ Bucket, Key: 'w/src.txt', Body: 'copy me' }));
      let sendErr;
      const reqs = await during(() =>
        client
          .send(new CopyObjectCommand({ Bucket, Key: 'w/dst.txt', CopySource: `${Bucket}/w/src.txt` }))
          .catch((err) => {
            sendErr = err;
          }),
      );
      // What the SDK sent is checked even when the server refuses it.
      assert.equal(reqs.length, 1, reqs.map(describeReq).join('\n'));
      const [r] = reqs;
      assert.equal(r.method, 'PUT');
      assert.equal(r.path, `/${Bucket}//w/dst.txt`);
      assert.equal(r.query['x-id'], 'CopyObject');
      assert.equal(r.headers['x-amz-copy-source'], `${Bucket}/w/src.txt`);
      assertBaseSigned(r);
      if (sendErr) throw sendErr;
      assert.equal(r.status, 200);
      const got = await client.send(new GetObjectCommand({ Bucket, Key: 'w/dst.txt' }));
      assert.equal((await bodyBytes(got.Body)).toString(), 'copy me');
    } finally {
      await client.send(
        new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: 'w/src.txt' }, { Key: 'w/dst.txt' }] } }),
      );
    }
  });

  test('DeleteBucket is session-signed DELETE /B//; one CreateSession in the whole run', async () => {
    const reqs = await during(() => client.send(new DeleteBucketCommand({ Bucket })));
    assert.equal(reqs.length, 1, reqs.map(describeReq).join('\n'));
    assert.equal(reqs[0].method, 'DELETE');
    assert.equal(reqs[0].path, `/${Bucket}//`);
    assertSessionSigned(reqs[0], session);
    assert.equal(reqs[0].status, 204);

    const implicit = rec.requests.filter((r) => isCreateSession(r) && !r.headers['x-amz-create-session-mode']);
    assert.equal(implicit.length, 1, 'exactly one implicit CreateSession for the bucket');
  });
});

describe('wire: virtual-hosted style (hostname endpoint)', () => {
  let client;
  let rec;
  let agent;
  const Bucket = bucketName('jswirev');

  before(() => {
    agent = loopbackAgent();
    rec = new RecordingHandler(new NodeHttpHandler({ httpAgent: agent, requestTimeout: 30_000, connectionTimeout: 5_000 }));
    client = newClient(server.hostEndpoint, { requestHandler: rec });
  });
  after(() => {
    client?.destroy();
    agent?.destroy();
  });

  test('CreateSession is GET /?session on <bucket>.localhost; later requests carry the token', async () => {
    await client.send(new CreateBucketCommand({ Bucket, CreateBucketConfiguration: directoryBucketConfiguration }));
    await client.send(new PutObjectCommand({ Bucket, Key: 'k.txt', Body: 'v' }));
    const got = await client.send(new GetObjectCommand({ Bucket, Key: 'k.txt' }));
    assert.equal((await bodyBytes(got.Body)).toString(), 'v');
    await client.send(new DeleteObjectCommand({ Bucket, Key: 'k.txt' }));
    await client.send(new DeleteBucketCommand({ Bucket }));

    const [cs, ...rest] = rec.requests;
    assert.ok(isCreateSession(cs), `first request is CreateSession: ${describeReq(cs)}`);
    assert.equal(cs.hostname, `${Bucket}.localhost`);
    assert.equal(cs.path, '/');
    assertBaseSigned(cs);
    assert.equal(cs.status, 200);

    assert.equal(rest.length, 5, rest.map(describeReq).join('\n'));
    const session = { akid: auth(rest[0]).akid, token: rest[0].headers['x-amz-s3session-token'] };
    const paths = rest.map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(paths, ['PUT /', 'PUT /k.txt', 'GET /k.txt', 'DELETE /k.txt', 'DELETE /']);
    for (const r of rest) {
      assert.equal(r.hostname, `${Bucket}.localhost`);
      assertSessionSigned(r, session);
      assert.ok(r.status >= 200 && r.status < 300, `${describeReq(r)} answered ${r.status}`);
    }
  });
});
