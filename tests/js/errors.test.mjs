// Errors as the JS SDK surfaces them: the error's `name` is the S3 error code
// and `$metadata.httpStatusCode` the HTTP status.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
  CreateBucketCommand,
  DeleteBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  ListDirectoryBucketsCommand,
} from '@aws-sdk/client-s3';

import {
  startServer,
  newClient,
  bucketName,
  directoryBucketConfiguration,
  rejection,
  describeError,
  ACCESS_KEY,
} from './harness.mjs';

describe('errors', () => {
  let server;
  let client;
  const Bucket = bucketName('jserr');

  before(async () => {
    server = await startServer();
    client = newClient(server.endpoint);
    await client.send(new CreateBucketCommand({ Bucket, CreateBucketConfiguration: directoryBucketConfiguration }));
  });

  after(async () => {
    client?.destroy();
    await server?.stop();
  });

  test('GetObject of a missing key rejects with NoSuchKey 404', async () => {
    const err = await rejection(() => client.send(new GetObjectCommand({ Bucket, Key: 'no/such/key.txt' })));
    assert.equal(err.name, 'NoSuchKey', describeError(err));
    assert.equal(err.$metadata?.httpStatusCode, 404, describeError(err));
    assert.equal(err.Code ?? err.name, 'NoSuchKey');
  });

  test('HeadObject of a missing key rejects with 404 (NotFound: HEAD has no body)', async () => {
    const err = await rejection(() => client.send(new HeadObjectCommand({ Bucket, Key: 'no/such/key.txt' })));
    assert.equal(err.$metadata?.httpStatusCode, 404, describeError(err));
    assert.equal(err.name, 'NotFound', describeError(err));
  });

  test("ListObjectsV2 with a prefix not ending in '/' rejects with InvalidRequest 400", async () => {
    await client.send(new PutObjectCommand({ Bucket, Key: 'dir/file.txt', Body: 'x' }));
    for (const input of [
      { Bucket, Prefix: 'dir', Delimiter: '/' },
      { Bucket, Prefix: 'dir/fi' },
    ]) {
      const err = await rejection(() => client.send(new ListObjectsV2Command(input)));
      assert.equal(err.name, 'InvalidRequest', `${JSON.stringify(input)}: ${describeError(err)}`);
      assert.equal(err.$metadata?.httpStatusCode, 400, `${JSON.stringify(input)}: ${describeError(err)}`);
    }
    await client.send(new DeleteObjectCommand({ Bucket, Key: 'dir/file.txt' }));
  });

  test('CreateBucket twice rejects with BucketAlreadyOwnedByYou 409', async () => {
    const err = await rejection(() =>
      client.send(new CreateBucketCommand({ Bucket, CreateBucketConfiguration: directoryBucketConfiguration })),
    );
    assert.equal(err.name, 'BucketAlreadyOwnedByYou', describeError(err));
    assert.equal(err.$metadata?.httpStatusCode, 409, describeError(err));
  });

  test('GetObject in a bucket that does not exist rejects with NoSuchBucket 404', async () => {
    const missing = bucketName('jsnone');
    const err = await rejection(() => client.send(new GetObjectCommand({ Bucket: missing, Key: 'k' })));
    assert.equal(err.name, 'NoSuchBucket', describeError(err));
    assert.equal(err.$metadata?.httpStatusCode, 404, describeError(err));
  });

  test('DeleteBucket of a non-empty bucket rejects with BucketNotEmpty 409', async () => {
    const b = bucketName('jsfull');
    await client.send(new CreateBucketCommand({ Bucket: b, CreateBucketConfiguration: directoryBucketConfiguration }));
    await client.send(new PutObjectCommand({ Bucket: b, Key: 'keep.txt', Body: 'x' }));
    const err = await rejection(() => client.send(new DeleteBucketCommand({ Bucket: b })));
    assert.equal(err.name, 'BucketNotEmpty', describeError(err));
    assert.equal(err.$metadata?.httpStatusCode, 409, describeError(err));
    await client.send(new DeleteObjectCommand({ Bucket: b, Key: 'keep.txt' }));
    await client.send(new DeleteBucketCommand({ Bucket: b }));
  });

  test('a wrong secret key rejects with SignatureDoesNotMatch 403', async () => {
    const bad = newClient(server.endpoint, {
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: 'x'.repeat(40) },
    });
    try {
      const err = await rejection(() => bad.send(new ListDirectoryBucketsCommand({})));
      assert.equal(err.name, 'SignatureDoesNotMatch', describeError(err));
      assert.equal(err.$metadata?.httpStatusCode, 403, describeError(err));
      // On a bucket the SDK's implicit CreateSession is refused, and the call fails with it.
      const err2 = await rejection(() => bad.send(new GetObjectCommand({ Bucket, Key: 'k' })));
      assert.equal(err2.name, 'SignatureDoesNotMatch', describeError(err2));
      assert.equal(err2.$metadata?.httpStatusCode, 403, describeError(err2));
    } finally {
      bad.destroy();
    }
  });

  test('an unknown access key rejects with InvalidAccessKeyId 403', async () => {
    const bad = newClient(server.endpoint, {
      credentials: { accessKeyId: 'AKIAUNKNOWNJS0000000', secretAccessKey: 'y'.repeat(40) },
    });
    try {
      const err = await rejection(() => bad.send(new ListDirectoryBucketsCommand({})));
      assert.equal(err.name, 'InvalidAccessKeyId', describeError(err));
      assert.equal(err.$metadata?.httpStatusCode, 403, describeError(err));
    } finally {
      bad.destroy();
    }
  });
});
