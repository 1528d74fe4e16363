// Path style over an IP endpoint: the JS SDK sends /<bucket>//<key> (the `//`
// form, wire reference §1.6) and session-signs every zonal request after an
// implicit CreateSession. One server and one directory bucket for the file;
// the tests run in order and the last one deletes the bucket.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { createHash, randomBytes } from 'node:crypto';

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
  paginateListObjectsV2,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CompleteMultipartUploadCommand,
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  CreateSessionCommand,
} from '@aws-sdk/client-s3';

import {
  startServer,
  newClient,
  bucketName,
  directoryBucketConfiguration,
  bodyBytes,
  rejection,
  describeError,
  ACCESS_KEY,
} from './harness.mjs';

// The server answers 501 NotImplemented for these while they are being built.
// The tests still run and report; drop the marker once they pass.

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

async function getBytes(client, Bucket, Key) {
  const out = await client.send(new GetObjectCommand({ Bucket, Key }));
  return { out, bytes: await bodyBytes(out.Body) };
}

async function putAll(client, Bucket, keys) {
  for (const Key of keys) {
    await client.send(new PutObjectCommand({ Bucket, Key, Body: `body of ${Key}` }));
  }
}

/** Every key under prefix (no delimiter), through the SDK paginator. */
async function allKeys(client, Bucket, Prefix) {
  const keys = [];
  for await (const page of paginateListObjectsV2({ client }, { Bucket, Prefix })) {
    for (const o of page.Contents ?? []) keys.push(o.Key);
  }
  return keys.sort();
}

describe('path style over http://127.0.0.1:PORT', () => {
  let server;
  let client;
  const Bucket = bucketName('jspath');

  before(async () => {
    server = await startServer();
    client = newClient(server.endpoint);
  });

  after(async () => {
    client?.destroy();
    await server?.stop();
  });

  test('CreateBucket makes a directory bucket; HeadBucket sees it', async () => {
    const out = await client.send(
      new CreateBucketCommand({ Bucket, CreateBucketConfiguration: directoryBucketConfiguration }),
    );
    assert.equal(out.$metadata.httpStatusCode, 200);
    const head = await client.send(new HeadBucketCommand({ Bucket }));
    assert.equal(head.$metadata.httpStatusCode, 200);
  });

  test('ListDirectoryBuckets lists the bucket (no session auth needed in JS)', async () => {
    const out = await client.send(new ListDirectoryBucketsCommand({}));
    const names = (out.Buckets ?? []).map((b) => b.Name);
    assert.ok(names.includes(Bucket), `ListDirectoryBuckets returned ${JSON.stringify(names)}`);
    const entry = out.Buckets.find((b) => b.Name === Bucket);
    assert.ok(entry.CreationDate instanceof Date, 'CreationDate is a date');
    assert.ok(Math.abs(entry.CreationDate.getTime() - Date.now()) < 10 * 60_000, 'CreationDate is recent');
  });

  test('PutObject with a string and a Buffer body; GetObject returns the same bytes', async () => {
    const text = 'hello, zonal — ünïcödé\n';
    const put1 = await client.send(
      new PutObjectCommand({ Bucket, Key: 'docs/hello.txt', Body: text, ContentType: 'text/plain; charset=utf-8' }),
    );
    assert.ok(put1.ETag, 'PutObject returns an ETag');
    assert.ok(put1.ChecksumCRC32, 'PutObject echoes the CRC32 the SDK sent');

    const bin = randomBytes(200 * 1024);
    const put2 = await client.send(new PutObjectCommand({ Bucket, Key: 'docs/bin.dat', Body: bin }));
    assert.ok(put2.ETag);

    const got1 = await getBytes(client, Bucket, 'docs/hello.txt');
    assert.equal(got1.bytes.toString('utf8'), text);
    assert.equal(got1.out.ContentType, 'text/plain; charset=utf-8');
    assert.equal(got1.out.ETag, put1.ETag);
    assert.equal(got1.out.ContentLength, Buffer.byteLength(text));

    const got2 = await getBytes(client, Bucket, 'docs/bin.dat');
    assert.equal(got2.bytes.length, bin.length);
    assert.equal(sha256(got2.bytes), sha256(bin));
    assert.equal(got2.out.ETag, put2.ETag);
  });

  test('PutObject with a Readable stream body (aws-chunked, trailer, no Content-Length)', async () => {
    // Small stream: the shape probed in the wire reference (ContentLength: 11).
    // ContentLength is required: without it SDK 3.1175.0 fails on the client
    // (TypeError: Invalid value "undefined" for header "x-amz-decoded-content-length").
    const small = await client.send(
      new PutObjectCommand({
        Bucket,
        Key: 'stream/small.txt',
        Body: Readable.from([Buffer.from('hello '), Buffer.from('world')]),
        ContentLength: 11,
      }),
    );
    assert.ok(small.ETag);
    const gotSmall = await getBytes(client, Bucket, 'stream/small.txt');
    assert.equal(gotSmall.bytes.toString(), 'hello world');

    // Bigger stream in many pieces, so the body spans several aws-chunks.
    const pieces = Array.from({ length: 20 }, () => randomBytes(17 * 1024 + 3));
    const whole = Buffer.concat(pieces);
    await client.send(
      new PutObjectCommand({
        Bucket,
        Key: 'stream/big.bin',
        Body: Readable.from(pieces),
        ContentLength: whole.length,
        ContentType: 'application/x-test',
      }),
    );
    const gotBig = await getBytes(client, Bucket, 'stream/big.bin');
    assert.equal(gotBig.bytes.length, whole.length);
    assert.equal(sha256(gotBig.bytes), sha256(whole));
    assert.equal(gotBig.out.ContentType, 'application/x-test');
  });

  test('HeadObject returns user metadata, ContentType, length and ETag', async () => {
    const Body = 'metadata carrier';
    const put = await client.send(
      new PutObjectCommand({
        Bucket,
        Key: 'docs/meta.json',
        Body,
        ContentType: 'application/json',
        Metadata: { owner: 'js-suite', 'mixed-case': 'Value With Spaces' },
        CacheControl: 'no-cache',
      }),
    );
    const head = await client.send(new HeadObjectCommand({ Bucket, Key: 'docs/meta.json' }));
    assert.equal(head.ContentType, 'application/json');
    assert.equal(head.ContentLength, Buffer.byteLength(Body));
    assert.equal(head.ETag, put.ETag);
    assert.equal(head.CacheControl, 'no-cache');
    assert.deepEqual(head.Metadata, { owner: 'js-suite', 'mixed-case': 'Value With Spaces' });
    assert.equal(head.StorageClass ?? 'EXPRESS_ONEZONE', 'EXPRESS_ONEZONE');
    assert.ok(head.LastModified instanceof Date);
  });

  test("ListObjectsV2 with Delimiter '/' returns Contents and CommonPrefixes", async () => {
    await putAll(client, Bucket, ['tree/a.txt', 'tree/b.txt', 'tree/sub1/c.txt', 'tree/sub2/deep/d.txt']);

    const out = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'tree/', Delimiter: '/' }));
    const contents = (out.Contents ?? []).map((o) => o.Key).sort();
    const prefixes = (out.CommonPrefixes ?? []).map((p) => p.Prefix).sort();
    assert.deepEqual(contents, ['tree/a.txt', 'tree/b.txt']);
    assert.deepEqual(prefixes, ['tree/sub1/', 'tree/sub2/']);
    assert.equal(out.KeyCount, 4);
    assert.equal(out.IsTruncated, false);
    assert.equal(out.Prefix, 'tree/');
    assert.equal(out.Delimiter, '/');
    for (const o of out.Contents) {
      assert.equal(o.Size, Buffer.byteLength(`body of ${o.Key}`));
      assert.ok(o.ETag);
    }

    // One level down, and at the bucket root.
    const sub2 = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'tree/sub2/', Delimiter: '/' }));
    assert.equal(sub2.Contents, undefined);
    assert.deepEqual((sub2.CommonPrefixes ?? []).map((p) => p.Prefix), ['tree/sub2/deep/']);

    const root = await client.send(new ListObjectsV2Command({ Bucket, Delimiter: '/' }));
    const rootPrefixes = (root.CommonPrefixes ?? []).map((p) => p.Prefix);
    assert.ok(rootPrefixes.includes('tree/'), `root prefixes ${JSON.stringify(rootPrefixes)}`);
    assert.ok(rootPrefixes.includes('docs/'));

    // Without a delimiter: everything under the prefix, recursively.
    assert.deepEqual(await allKeys(client, Bucket, 'tree/'), [
      'tree/a.txt',
      'tree/b.txt',
      'tree/sub1/c.txt',
      'tree/sub2/deep/d.txt',
    ]);
  });

  test('ListObjectsV2 pages with MaxKeys and continuation tokens', async () => {
    const keys = Array.from({ length: 7 }, (_, i) => `paged/k${i}.txt`);
    await putAll(client, Bucket, keys);

    const seen = [];
    let token;
    let pages = 0;
    do {
      const out = await client.send(
        new ListObjectsV2Command({ Bucket, Prefix: 'paged/', MaxKeys: 3, ContinuationToken: token }),
      );
      pages++;
      assert.ok(pages <= 10, 'paging does not end');
      const got = (out.Contents ?? []).map((o) => o.Key);
      assert.ok(got.length <= 3, `page of ${got.length} keys exceeds MaxKeys`);
      assert.equal(out.KeyCount, got.length);
      assert.equal(out.MaxKeys, 3);
      seen.push(...got);
      if (out.IsTruncated) assert.ok(out.NextContinuationToken, 'truncated page has a NextContinuationToken');
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    assert.ok(pages >= 3, `expected at least 3 pages for 7 keys with MaxKeys 3, got ${pages}`);
    assert.deepEqual([...seen].sort(), keys, 'pages cover every key exactly once');
    assert.equal(new Set(seen).size, seen.length, 'no key is returned twice');

    // The SDK's own paginator agrees.
    const viaPaginator = [];
    for await (const page of paginateListObjectsV2({ client, pageSize: 2 }, { Bucket, Prefix: 'paged/' })) {
      viaPaginator.push(...(page.Contents ?? []).map((o) => o.Key));
    }
    assert.deepEqual(viaPaginator.sort(), keys);
  });

  test('DeleteObject removes a key; deleting a missing key succeeds', async () => {
    await client.send(new PutObjectCommand({ Bucket, Key: 'gone/x.txt', Body: 'x' }));
    const del = await client.send(new DeleteObjectCommand({ Bucket, Key: 'gone/x.txt' }));
    assert.equal(del.$metadata.httpStatusCode, 204);
    const err = await rejection(() => client.send(new HeadObjectCommand({ Bucket, Key: 'gone/x.txt' })));
    assert.equal(err.$metadata?.httpStatusCode, 404, describeError(err));
    assert.equal(err.name, 'NotFound', describeError(err));

    const again = await client.send(new DeleteObjectCommand({ Bucket, Key: 'gone/x.txt' }));
    assert.equal(again.$metadata.httpStatusCode, 204);

    // The now-empty directory disappears from delimited listings.
    const root = await client.send(new ListObjectsV2Command({ Bucket, Delimiter: '/' }));
    const rootPrefixes = (root.CommonPrefixes ?? []).map((p) => p.Prefix);
    assert.ok(!rootPrefixes.includes('gone/'), `empty directory still listed: ${JSON.stringify(rootPrefixes)}`);
  });

  test('DeleteObjects removes several keys in one request', async () => {
    const keys = ['batch/1.txt', 'batch/2.txt', 'batch/sub/3.txt'];
    await putAll(client, Bucket, keys);
    const out = await client.send(
      new DeleteObjectsCommand({
        Bucket,
        Delete: { Objects: [...keys, 'batch/never-existed.txt'].map((Key) => ({ Key })) },
      }),
    );
    assert.deepEqual(out.Errors ?? [], []);
    assert.deepEqual(
      (out.Deleted ?? []).map((d) => d.Key).sort(),
      [...keys, 'batch/never-existed.txt'].sort(),
    );
    assert.deepEqual(await allKeys(client, Bucket, 'batch/'), []);

    const quiet = await client.send(
      new DeleteObjectsCommand({ Bucket, Delete: { Quiet: true, Objects: [{ Key: 'batch/1.txt' }] } }),
    );
    assert.deepEqual(quiet.Deleted ?? [], [], 'Quiet mode reports no successful deletes');
    assert.deepEqual(quiet.Errors ?? [], []);
  });

  test('multipart upload: 5 MiB part + small part, complete, read back', async () => {
    const Key = 'mpu/big.bin';
    const part1 = randomBytes(5 * 1024 * 1024);
    const part2 = randomBytes(123 * 1024 + 7);
    const create = await client.send(
      new CreateMultipartUploadCommand({ Bucket, Key, ContentType: 'application/octet-stream', Metadata: { kind: 'mpu' } }),
    );
    assert.ok(create.UploadId, 'CreateMultipartUpload returns an UploadId');
    assert.equal(create.Key, Key);
    let completed = false;
    try {
      const up1 = await client.send(
        new UploadPartCommand({ Bucket, Key, UploadId: create.UploadId, PartNumber: 1, Body: part1 }),
      );
      const up2 = await client.send(
        new UploadPartCommand({ Bucket, Key, UploadId: create.UploadId, PartNumber: 2, Body: part2 }),
      );
      assert.ok(up1.ETag && up2.ETag, 'UploadPart returns ETags');
      const done = await client.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key,
          UploadId: create.UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: up1.ETag, ChecksumCRC32: up1.ChecksumCRC32 },
              { PartNumber: 2, ETag: up2.ETag, ChecksumCRC32: up2.ChecksumCRC32 },
            ],
          },
        }),
      );
      completed = true;
      assert.ok(done.ETag, 'CompleteMultipartUpload returns an ETag');
      assert.equal(done.Key, Key);

      const whole = Buffer.concat([part1, part2]);
      const got = await getBytes(client, Bucket, Key);
      assert.equal(got.bytes.length, whole.length);
      assert.equal(sha256(got.bytes), sha256(whole));
      assert.equal(got.out.ETag, done.ETag);
      const head = await client.send(new HeadObjectCommand({ Bucket, Key }));
      assert.equal(head.ContentLength, whole.length);
      assert.equal(head.ContentType, 'application/octet-stream');
      assert.deepEqual(head.Metadata, { kind: 'mpu' });
    } finally {
      if (!completed) {
        await client
          .send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: create.UploadId }))
          .catch(() => {});
      }
    }
  });

  test('CopyObject copies bytes and metadata within the bucket', async () => {
    const Body = randomBytes(64 * 1024);
    const src = await client.send(
      new PutObjectCommand({
        Bucket,
        Key: 'copy/src.bin',
        Body,
        ContentType: 'application/x-src',
        Metadata: { origin: 'src' },
      }),
    );
    const out = await client.send(
      new CopyObjectCommand({ Bucket, Key: 'copy/dst.bin', CopySource: `${Bucket}/copy/src.bin` }),
    );
    assert.ok(out.CopyObjectResult?.ETag, 'CopyObject returns CopyObjectResult.ETag');
    const got = await getBytes(client, Bucket, 'copy/dst.bin');
    assert.equal(sha256(got.bytes), sha256(Body));
    assert.equal(got.out.ContentType, 'application/x-src');
    assert.deepEqual(got.out.Metadata, { origin: 'src' });
    assert.equal(got.out.ETag, out.CopyObjectResult.ETag);
    // The source is untouched.
    const srcHead = await client.send(new HeadObjectCommand({ Bucket, Key: 'copy/src.bin' }));
    assert.equal(srcHead.ETag, src.ETag);
  });

  test("explicit CreateSession with SessionMode 'ReadOnly' returns full credentials", async () => {
    for (const SessionMode of ['ReadOnly', 'ReadWrite']) {
      const before = Date.now();
      const out = await client.send(new CreateSessionCommand({ Bucket, SessionMode }));
      const c = out.Credentials;
      assert.ok(c, `${SessionMode}: Credentials present`);
      assert.ok(c.AccessKeyId, `${SessionMode}: AccessKeyId`);
      assert.ok(c.SecretAccessKey, `${SessionMode}: SecretAccessKey`);
      assert.ok(c.SessionToken, `${SessionMode}: SessionToken`);
      assert.notEqual(c.AccessKeyId, ACCESS_KEY, 'the session key is not the root key');
      assert.ok(c.Expiration instanceof Date, `${SessionMode}: Expiration parsed as a Date`);
      // The server runs with --session-ttl 5m; allow some clock slack.
      assert.ok(c.Expiration.getTime() > before + 60_000, `Expiration ${c.Expiration.toISOString()} is > 60 s ahead`);
      assert.ok(c.Expiration.getTime() < before + 6 * 60_000, `Expiration ${c.Expiration.toISOString()} is ≈ 5 min ahead`);
    }
  });

  test('DeleteBucket after emptying it; the bucket is gone', async () => {
    const keys = await allKeys(client, Bucket, undefined);
    if (keys.length > 0) {
      const out = await client.send(
        new DeleteObjectsCommand({ Bucket, Delete: { Quiet: true, Objects: keys.map((Key) => ({ Key })) } }),
      );
      assert.deepEqual(out.Errors ?? [], []);
    }
    const del = await client.send(new DeleteBucketCommand({ Bucket }));
    assert.equal(del.$metadata.httpStatusCode, 204);

    const err = await rejection(() => client.send(new HeadBucketCommand({ Bucket })));
    assert.equal(err.$metadata?.httpStatusCode, 404, describeError(err));
    const list = await client.send(new ListDirectoryBucketsCommand({}));
    assert.ok(!(list.Buckets ?? []).some((b) => b.Name === Bucket), 'bucket still listed');
  });
});
