// Access points for directory buckets through the stock JS SDK:
// @aws-sdk/client-s3-control's CreateAccessPoint, GetAccessPoint,
// ListAccessPointsForDirectoryBuckets, the scope and DeleteAccessPoint;
// and @aws-sdk/client-s3's data access through the access point's name and
// ARN (the SDK's own CreateSession on the access point), with a scope that
// refuses keys outside its prefixes.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import {
  CreateBucketCommand,
  DeleteBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  DeleteObjectCommand,
} from '@aws-sdk/client-s3';
import {
  CreateAccessPointCommand,
  GetAccessPointCommand,
  DeleteAccessPointCommand,
  ListAccessPointsForDirectoryBucketsCommand,
  PutAccessPointScopeCommand,
  GetAccessPointScopeCommand,
} from '@aws-sdk/client-s3-control';

import {
  startServer,
  newClient,
  newControlClient,
  bucketName,
  bodyBytes,
  directoryBucketConfiguration,
  rejection,
  describeError,
  REGION,
  AZ,
} from './harness.mjs';

const ACCOUNT = '000000000000';
const apName = (tag) => `${tag}-${randomBytes(5).toString('hex')}--${AZ}--xa-s3`;
const apArn = (name) => `arn:aws:s3express:${REGION}:${ACCOUNT}:accesspoint/${name}`;

describe('access points for directory buckets', () => {
  let server;
  let s3;
  let control;

  before(async () => {
    server = await startServer();
    s3 = newClient(server.endpoint);
    control = newControlClient(server.endpoint);
  });

  after(async () => {
    s3?.destroy();
    control?.destroy();
    await server?.stop();
  });

  test('create, get, list and delete', async () => {
    const Bucket = bucketName('jsap');
    await s3.send(new CreateBucketCommand({ Bucket, CreateBucketConfiguration: directoryBucketConfiguration }));
    const Name = apName('jsctl');
    const created = await control.send(new CreateAccessPointCommand({ AccountId: ACCOUNT, Name, Bucket }));
    assert.equal(created.AccessPointArn, apArn(Name));

    const got = await control.send(new GetAccessPointCommand({ AccountId: ACCOUNT, Name }));
    assert.equal(got.Bucket, Bucket);
    assert.equal(got.NetworkOrigin, 'Internet');

    const listed = await control.send(
      new ListAccessPointsForDirectoryBucketsCommand({ AccountId: ACCOUNT, DirectoryBucket: Bucket }),
    );
    assert.deepEqual(
      (listed.AccessPointList ?? []).map((a) => [a.Name, a.Bucket]),
      [[Name, Bucket]],
    );

    const again = await rejection(() => control.send(new CreateAccessPointCommand({ AccountId: ACCOUNT, Name, Bucket })));
    assert.equal(again.name, 'AccessPointAlreadyOwnedByYou', describeError(again));

    const busy = await rejection(() => s3.send(new DeleteBucketCommand({ Bucket })));
    assert.equal(busy.$metadata?.httpStatusCode, 409, describeError(busy));

    await control.send(new DeleteAccessPointCommand({ AccountId: ACCOUNT, Name }));
    const gone = await rejection(() => control.send(new GetAccessPointCommand({ AccountId: ACCOUNT, Name })));
    assert.equal(gone.name, 'NoSuchAccessPoint', describeError(gone));
    await s3.send(new DeleteBucketCommand({ Bucket }));
  });

  test('data access by name and by ARN, within the scope', async () => {
    const Bucket = bucketName('jsapdata');
    await s3.send(new CreateBucketCommand({ Bucket, CreateBucketConfiguration: directoryBucketConfiguration }));
    const Name = apName('jsdata');
    await control.send(new CreateAccessPointCommand({ AccountId: ACCOUNT, Name, Bucket }));

    for (const via of [Name, apArn(Name)]) {
      const Key = `dir/${randomBytes(3).toString('hex')}`;
      await s3.send(new PutObjectCommand({ Bucket: via, Key, Body: 'through' }));
      const out = await s3.send(new GetObjectCommand({ Bucket: via, Key }));
      assert.equal((await bodyBytes(out.Body)).toString(), 'through');
      const direct = await s3.send(new GetObjectCommand({ Bucket, Key }));
      assert.equal((await bodyBytes(direct.Body)).toString(), 'through', 'the object is the bucket’s');
      const list = await s3.send(new ListObjectsV2Command({ Bucket: via, Prefix: 'dir/' }));
      assert.ok((list.Contents ?? []).some((o) => o.Key === Key), `listing through ${via} lacks ${Key}`);
      await s3.send(new DeleteObjectCommand({ Bucket: via, Key }));
    }

    await control.send(
      new PutAccessPointScopeCommand({
        AccountId: ACCOUNT,
        Name,
        Scope: { Prefixes: ['allowed/'], Permissions: ['PutObject', 'GetObject'] },
      }),
    );
    const scope = await control.send(new GetAccessPointScopeCommand({ AccountId: ACCOUNT, Name }));
    assert.deepEqual(scope.Scope?.Prefixes, ['allowed/']);
    await s3.send(new PutObjectCommand({ Bucket: Name, Key: 'allowed/k', Body: 'in' }));
    const outside = await rejection(() => s3.send(new PutObjectCommand({ Bucket: Name, Key: 'other/k', Body: 'out' })));
    assert.equal(outside.name, 'AccessDenied', describeError(outside));
    assert.equal(outside.$metadata?.httpStatusCode, 403, describeError(outside));
    const del = await rejection(() => s3.send(new DeleteObjectCommand({ Bucket: Name, Key: 'allowed/k' })));
    assert.equal(del.name, 'AccessDenied', describeError(del));
  });
});
