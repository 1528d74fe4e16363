// Virtual-hosted style over HTTPS: a server started with --tls-self-signed,
// the stock SDK pointed at https://s3.localhost:PORT, so every bucket request
// goes to https://<bucket>.s3.localhost:PORT. Node checks the certificate
// itself (it refuses the *.localhost wildcard that only Go accepts), trusting
// only the generated certificate through the https.Agent's `ca`; the agent's
// lookup sends s3.localhost and its subdomains to 127.0.0.1.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';

import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  DeleteBucketCommand,
  ListDirectoryBucketsCommand,
  PutObjectCommand,
  GetObjectCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CompleteMultipartUploadCommand,
} from '@aws-sdk/client-s3';

import {
  startServer,
  newClient,
  bucketName,
  directoryBucketConfiguration,
  bodyBytes,
  rejection,
  describeError,
  tlsLoopbackAgent,
  s3LocalhostLookup,
  RecordingHandler,
  TLS_HOST,
} from './harness.mjs';

describe('virtual-hosted style over https://s3.localhost:PORT (--tls-self-signed)', () => {
  let server;
  let client;
  let agent;
  let recorder;
  const Bucket = bucketName('jstls');
  const bucketHost = `${Bucket}.${TLS_HOST}`;

  before(async () => {
    server = await startServer({ tls: true });
    agent = tlsLoopbackAgent(server.ca);
    recorder = new RecordingHandler(
      new NodeHttpHandler({ httpsAgent: agent, requestTimeout: 30_000, connectionTimeout: 5_000 }),
    );
    client = newClient(server.hostEndpoint, { requestHandler: recorder });
  });

  after(async () => {
    client?.destroy();
    agent?.destroy();
    await server?.stop();
  });

  test('Node accepts the certificate for s3.localhost and a bucket host under it', async () => {
    for (const servername of [TLS_HOST, bucketHost]) {
      const peer = await new Promise((resolve, reject) => {
        const sock = tls.connect(
          { host: servername, port: server.port, servername, ca: server.ca, lookup: s3LocalhostLookup },
          () => {
            const cert = sock.getPeerCertificate();
            sock.end();
            resolve(cert);
          },
        );
        sock.on('error', reject);
      }).catch((err) => assert.fail(`TLS handshake as ${servername}: ${err.code}: ${err.message}`));
      assert.equal(tls.checkServerIdentity(servername, peer), undefined, servername);
    }
  });

  test('CreateBucket (directory configuration) and HeadBucket go to https://<bucket>.s3.localhost', async () => {
    await client.send(new CreateBucketCommand({ Bucket, CreateBucketConfiguration: directoryBucketConfiguration }));
    await client.send(new HeadBucketCommand({ Bucket }));
    const session = recorder.requests.find((r) => 'session' in r.query);
    assert.ok(session, 'the SDK called CreateSession');
    assert.equal(session.hostname, bucketHost);
    const create = recorder.requests.find((r) => r.method === 'PUT');
    assert.equal(create?.hostname, bucketHost, 'CreateBucket is virtual-hosted');
    assert.equal(create.path, '/');
    assert.ok(create.headers['x-amz-s3session-token'], 'CreateBucket is session-signed');
  });

  test('ListDirectoryBuckets goes to s3.localhost', async () => {
    const n = recorder.requests.length;
    const out = await client.send(new ListDirectoryBucketsCommand({}));
    assert.ok((out.Buckets ?? []).some((b) => b.Name === Bucket));
    assert.equal(recorder.requests[n]?.hostname, TLS_HOST);
  });

  test('PutObject, GetObject, ListObjectsV2, DeleteObject', async () => {
    const Body = randomBytes(64 * 1024);
    const put = await client.send(new PutObjectCommand({ Bucket, Key: 'dir/one.bin', Body }));
    assert.ok(put.ETag);
    // A stream body goes out aws-chunked with a trailing checksum.
    await client.send(
      new PutObjectCommand({
        Bucket,
        Key: 'two.txt',
        Body: Readable.from([Buffer.from('over '), Buffer.from('https')]),
        ContentLength: 10,
      }),
    );
    const got = await client.send(new GetObjectCommand({ Bucket, Key: 'dir/one.bin' }));
    assert.ok(Body.equals(await bodyBytes(got.Body)), 'GetObject returns the bytes put');
    assert.equal(got.ETag, put.ETag);
    const got2 = await client.send(new GetObjectCommand({ Bucket, Key: 'two.txt' }));
    assert.equal((await bodyBytes(got2.Body)).toString(), 'over https');

    const list = await client.send(new ListObjectsV2Command({ Bucket }));
    assert.deepEqual((list.Contents ?? []).map((o) => o.Key).sort(), ['dir/one.bin', 'two.txt']);

    await client.send(new DeleteObjectCommand({ Bucket, Key: 'dir/one.bin' }));
    await client.send(new DeleteObjectCommand({ Bucket, Key: 'two.txt' }));
    const err = await rejection(() => client.send(new GetObjectCommand({ Bucket, Key: 'two.txt' })));
    assert.equal(err.name, 'NoSuchKey', describeError(err));
  });

  test('multipart upload', async () => {
    const Key = 'multi.bin';
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(123_456)];
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    assert.ok(UploadId);
    const done = [];
    for (const [i, Body] of parts.entries()) {
      const PartNumber = i + 1;
      const out = await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body }));
      done.push({ PartNumber, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32 });
    }
    await client.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: done } }),
    );
    const got = await client.send(new GetObjectCommand({ Bucket, Key }));
    assert.ok(Buffer.concat(parts).equals(await bodyBytes(got.Body)), 'the assembled object reads back');
    await client.send(new DeleteObjectCommand({ Bucket, Key }));
  });

  test('DeleteBucket', async () => {
    await client.send(new DeleteBucketCommand({ Bucket }));
    const err = await rejection(() => client.send(new HeadBucketCommand({ Bucket })));
    assert.equal(err.$metadata?.httpStatusCode, 404, describeError(err));
  });

  test('every request went over https to s3.localhost or the bucket host, session-signed on the bucket', () => {
    assert.ok(recorder.requests.length >= 15, `saw ${recorder.requests.length} requests`);
    for (const r of recorder.requests) {
      const what = `${r.method} ${r.hostname} ${r.path}`;
      assert.equal(r.protocol, 'https:', what);
      assert.ok(r.hostname === bucketHost || r.hostname === TLS_HOST, what);
      assert.equal(r.headers.host, `${r.hostname}:${server.port}`, what);
      assert.ok(!r.path.includes(Bucket), `bucket name in a virtual-hosted path: ${what}`);
      if (r.hostname === bucketHost && !('session' in r.query)) {
        assert.ok(r.headers['x-amz-s3session-token'], `not session-signed: ${what}`);
      }
    }
  });
});
