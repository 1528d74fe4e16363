// Virtual-hosted style: a hostname endpoint (http://localhost:PORT) makes the
// JS SDK send every directory-bucket request to <bucket>.localhost:PORT,
// whatever forcePathStyle says (wire reference §1.2, §7b). `*.localhost` does
// not resolve everywhere, so the HTTP agent's lookup sends every name to
// 127.0.0.1; the Host header stays <bucket>.localhost:PORT.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
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
  HeadObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';

import {
  startServer,
  newClient,
  bucketName,
  directoryBucketConfiguration,
  bodyBytes,
  rejection,
  describeError,
  loopbackAgent,
  RecordingHandler,
} from './harness.mjs';

describe('virtual-hosted style over http://localhost:PORT with a custom lookup', () => {
  let server;
  let client;
  let agent;
  let recorder;
  const Bucket = bucketName('jsvhost');

  before(async () => {
    server = await startServer();
    agent = loopbackAgent();
    recorder = new RecordingHandler(
      new NodeHttpHandler({ httpAgent: agent, requestTimeout: 30_000, connectionTimeout: 5_000 }),
    );
    // forcePathStyle is set on purpose: directory buckets ignore it (pitfall P1).
    client = newClient(server.hostEndpoint, { requestHandler: recorder, forcePathStyle: true });
  });

  after(async () => {
    client?.destroy();
    agent?.destroy();
    await server?.stop();
  });

  test('the lookup handles both callback forms', async () => {
    const lookup = agent.options.lookup;
    const single = await new Promise((resolve, reject) =>
      lookup('x--use1-az4--x-s3.localhost', {}, (err, address, family) =>
        err ? reject(err) : resolve({ address, family }),
      ),
    );
    assert.deepEqual(single, { address: '127.0.0.1', family: 4 });
    const all = await new Promise((resolve, reject) =>
      lookup('x--use1-az4--x-s3.localhost', { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))),
    );
    assert.deepEqual(all, [{ address: '127.0.0.1', family: 4 }]);
  });

  test('CreateBucket and HeadBucket go to <bucket>.localhost', async () => {
    await client.send(new CreateBucketCommand({ Bucket, CreateBucketConfiguration: directoryBucketConfiguration }));
    await client.send(new HeadBucketCommand({ Bucket }));
    const create = recorder.requests.find((r) => r.method === 'PUT');
    assert.ok(create, 'a PUT (CreateBucket) was sent');
    assert.equal(create.hostname, `${Bucket}.localhost`, 'CreateBucket is virtual-hosted');
    assert.equal(create.path, '/', 'no bucket in the path');
  });

  test('ListDirectoryBuckets goes to the bare localhost host', async () => {
    const n = recorder.requests.length;
    const out = await client.send(new ListDirectoryBucketsCommand({}));
    assert.ok((out.Buckets ?? []).some((b) => b.Name === Bucket));
    const req = recorder.requests.slice(n).find((r) => 'x-id' in r.query);
    assert.equal(req?.hostname, 'localhost');
  });

  test('PutObject, GetObject, HeadObject, ListObjectsV2, DeleteObject', async () => {
    const Body = randomBytes(40 * 1024);
    const put = await client.send(
      new PutObjectCommand({ Bucket, Key: 'v/dir/one.bin', Body, ContentType: 'application/x-one', Metadata: { a: 'b' } }),
    );
    assert.ok(put.ETag);
    await client.send(
      new PutObjectCommand({
        Bucket,
        Key: 'v/two.txt',
        Body: Readable.from([Buffer.from('streamed '), Buffer.from('through vhost')]),
        ContentLength: 22,
      }),
    );

    const got = await client.send(new GetObjectCommand({ Bucket, Key: 'v/dir/one.bin' }));
    assert.ok(Body.equals(await bodyBytes(got.Body)), 'GetObject returns the bytes put');
    assert.equal(got.ETag, put.ETag);
    const got2 = await client.send(new GetObjectCommand({ Bucket, Key: 'v/two.txt' }));
    assert.equal((await bodyBytes(got2.Body)).toString(), 'streamed through vhost');

    const head = await client.send(new HeadObjectCommand({ Bucket, Key: 'v/dir/one.bin' }));
    assert.equal(head.ContentType, 'application/x-one');
    assert.equal(head.ContentLength, Body.length);
    assert.deepEqual(head.Metadata, { a: 'b' });

    const list = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'v/', Delimiter: '/' }));
    assert.deepEqual((list.Contents ?? []).map((o) => o.Key), ['v/two.txt']);
    assert.deepEqual((list.CommonPrefixes ?? []).map((p) => p.Prefix), ['v/dir/']);

    await client.send(new DeleteObjectCommand({ Bucket, Key: 'v/dir/one.bin' }));
    const err = await rejection(() => client.send(new GetObjectCommand({ Bucket, Key: 'v/dir/one.bin' })));
    assert.equal(err.name, 'NoSuchKey', describeError(err));
    const del = await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: 'v/two.txt' }] } }));
    assert.deepEqual((del.Deleted ?? []).map((d) => d.Key), ['v/two.txt']);

    // Every object request was virtual-hosted: Host <bucket>.localhost, key in the path.
    const objectReqs = recorder.requests.filter((r) => r.path.startsWith('/v/'));
    assert.ok(objectReqs.length >= 6, `saw ${objectReqs.length} object requests`);
    for (const r of objectReqs) {
      assert.equal(r.hostname, `${Bucket}.localhost`, `${r.method} ${r.path}`);
      assert.equal(r.headers.host, `${Bucket}.localhost:${server.port}`);
    }
    for (const r of recorder.requests.filter((r) => r.hostname !== 'localhost')) {
      assert.ok(!r.path.includes(Bucket), `bucket name in a virtual-hosted path: ${r.method} ${r.path}`);
    }
  });

  test('DeleteBucket', async () => {
    await client.send(new DeleteBucketCommand({ Bucket }));
    const err = await rejection(() => client.send(new HeadBucketCommand({ Bucket })));
    assert.equal(err.$metadata?.httpStatusCode, 404, describeError(err));
  });
});
