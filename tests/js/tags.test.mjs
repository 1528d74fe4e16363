// Bucket tags through the stock JS SDK: @aws-sdk/client-s3-control's
// TagResource, UntagResource and ListTagsForResource on a directory bucket
// ARN, and @aws-sdk/client-s3's CreateBucket with Tags.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import {
  TagResourceCommand,
  UntagResourceCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-s3-control';

import {
  startServer,
  newClient,
  newControlClient,
  bucketName,
  directoryBucketConfiguration,
  rejection,
  describeError,
  REGION,
} from './harness.mjs';

const ACCOUNT = '000000000000';
const arnOf = (bucket) => `arn:aws:s3express:${REGION}:${ACCOUNT}:bucket/${bucket}`;

describe('bucket tags', () => {
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

  const list = async (bucket) => {
    const out = await control.send(new ListTagsForResourceCommand({ AccountId: ACCOUNT, ResourceArn: arnOf(bucket) }));
    return (out.Tags ?? []).map((t) => `${t.Key}=${t.Value ?? ''}`);
  };

  test('TagResource, ListTagsForResource and UntagResource on a directory bucket', async () => {
    const Bucket = bucketName('jstags');
    await s3.send(new CreateBucketCommand({ Bucket, CreateBucketConfiguration: directoryBucketConfiguration }));
    await control.send(
      new TagResourceCommand({
        AccountId: ACCOUNT,
        ResourceArn: arnOf(Bucket),
        Tags: [
          { Key: 'team', Value: 'data' },
          { Key: 'cost center', Value: '42' },
        ],
      }),
    );
    assert.deepEqual(await list(Bucket), ['cost center=42', 'team=data']);
    await control.send(new UntagResourceCommand({ AccountId: ACCOUNT, ResourceArn: arnOf(Bucket), TagKeys: ['cost center'] }));
    assert.deepEqual(await list(Bucket), ['team=data']);

    // A reserved key is refused with the wrapped error the SDK reads, and changes nothing.
    const err = await rejection(() =>
      control.send(new TagResourceCommand({ AccountId: ACCOUNT, ResourceArn: arnOf(Bucket), Tags: [{ Key: 'aws:x', Value: 'v' }] })),
    );
    assert.equal(err.name, 'InvalidTag', describeError(err));
    assert.equal(err.$metadata?.httpStatusCode, 400, describeError(err));
    assert.deepEqual(await list(Bucket), ['team=data']);

    const missing = await rejection(() => list(bucketName('jsnone')));
    assert.equal(missing.name, 'NoSuchBucket', describeError(missing));
    assert.equal(missing.$metadata?.httpStatusCode, 404, describeError(missing));
  });

  test('CreateBucket with Tags', async () => {
    const Bucket = bucketName('jscreatetags');
    await s3.send(
      new CreateBucketCommand({
        Bucket,
        CreateBucketConfiguration: { ...directoryBucketConfiguration, Tags: [{ Key: 'team', Value: 'data' }] },
      }),
    );
    assert.deepEqual(await list(Bucket), ['team=data']);

    const Bad = bucketName('jsbadtags');
    const err = await rejection(() =>
      s3.send(
        new CreateBucketCommand({
          Bucket: Bad,
          CreateBucketConfiguration: { ...directoryBucketConfiguration, Tags: [{ Key: 'x'.repeat(129), Value: 'v' }] },
        }),
      ),
    );
    assert.equal(err.name, 'InvalidTag', describeError(err));
    const head = await rejection(() => s3.send(new HeadBucketCommand({ Bucket: Bad })));
    assert.equal(head.$metadata?.httpStatusCode, 404, describeError(head));
  });
});
