// The console's administration pages, to the UI contract: bucket settings
// (policy with its error's position, encryption, lifecycle), identities
// (users, access keys, inline and managed policies), the policy simulator
// and the activity page. Every change is checked through S3 or IAM as the
// root; the simulator's answers are checked against what S3 itself does.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
  GetBucketPolicyCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  CreateSessionCommand,
} from '@aws-sdk/client-s3';

import {
  CONSOLE,
  REGION,
  ACCOUNT,
  bucket,
  openPage,
  signedIn,
  shot,
  signInOK,
  visit,
  errorText,
  s3,
  createBucket,
  putObject,
  createUser,
  readOnlyPolicy,
  iam,
  xmlValue,
  xmlValues,
} from './harness.mjs';

const BUCKET = bucket('settings');
const BUCKET_ARN = `arn:aws:s3express:${REGION}:${ACCOUNT}:bucket/${BUCKET}`;

/** The S3 error name of a call that must fail (fails when it succeeds). */
async function s3Error(promise) {
  try {
    await promise;
  } catch (err) {
    return err.name;
  }
  assert.fail('expected the S3 call to fail');
}

/**
 * Sets a form control: a <select> to the option whose value or text is
 * want (or, failing that, contains it), any other input to want.
 */
async function setField(control, want) {
  if ((await control.evaluate((el) => el.tagName)) !== 'SELECT') {
    await control.fill(want);
    return;
  }
  const value = await control.evaluate((el, want) => {
    const opts = [...el.options];
    const o =
      opts.find((o) => o.value === want || o.text.trim() === want) ?? opts.find((o) => o.value.includes(want) || o.text.includes(want));
    return o?.value;
  }, want);
  assert.ok(value !== undefined, `no option ${want}`);
  await control.selectOption(value);
}

/** Follows the nav link named name; the page it leads to must answer 200. */
async function navTo(page, name) {
  const [resp] = await Promise.all([page.waitForNavigation(), page.locator('nav').getByRole('link', { name, exact: true }).click()]);
  assert.equal(resp.status(), 200, `the ${name} page answered ${resp.status()}`);
}

/** Clicks a button that submits a form and waits for the page it loads. */
async function submit(page, name) {
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name, exact: true }).click()]);
}

describe('bucket settings', () => {
  let browser, page, client;

  before(async () => {
    client = s3();
    await createBucket(client, BUCKET);
    ({ browser, page } = await signedIn());
  });

  after(async () => {
    client?.destroy();
    await browser?.close();
  });

  test('linked as "Settings" from the buckets list and the objects browser', async () => {
    await visit(page, 'buckets');
    const row = page.locator('tbody tr').filter({ has: page.getByRole('link', { name: BUCKET, exact: true }) });
    assert.equal(await row.getByRole('link', { name: 'Settings', exact: true }).count(), 1);
    await visit(page, `b/${BUCKET}/`);
    await Promise.all([page.waitForURL(`${CONSOLE}b/${BUCKET}/settings`), page.getByRole('link', { name: 'Settings', exact: true }).click()]);
    await shot(page, 'bucket-settings');
  });

  test('a policy with a syntax error is refused, naming its line and column; nothing changes', async () => {
    const bad = ['{', '  "Version": "2012-10-17",', '  "Statement": [', '    {"Effect": "Allow",, "Action": "s3express:CreateSession"}', '  ]', '}'].join('\n');
    // The second comma of line 4 is the error: its column, counted from 1.
    const column = bad.split('\n')[3].indexOf(',,') + 2;
    await page.getByLabel('Bucket policy').fill(bad);
    await submit(page, 'Save policy');
    const msg = await errorText(page);
    assert.match(msg, /line 4\b/i, msg);
    const col = Number(/column (\d+)/i.exec(msg)?.[1]);
    // Within one of the bad character: counting the column before or at it.
    assert.ok(Math.abs(col - column) <= 1, `column ${col} named, the error is at ${column}: ${msg}`);
    assert.equal(await s3Error(client.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))), 'NoSuchBucketPolicy');
    await shot(page, 'bucket-settings-policy-error');
  });

  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AccountSessions',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: 's3express:CreateSession',
        Resource: BUCKET_ARN,
      },
    ],
  };

  test('a valid policy is saved, and shown pretty-printed', async () => {
    await visit(page, `b/${BUCKET}/settings`);
    await page.getByLabel('Bucket policy').fill(JSON.stringify(policy));
    await submit(page, 'Save policy');
    assert.equal(await page.locator('.error').count(), 0, 'an error is shown');
    const out = await client.send(new GetBucketPolicyCommand({ Bucket: BUCKET }));
    assert.deepEqual(JSON.parse(out.Policy), policy);
    const shown = await page.getByLabel('Bucket policy').inputValue();
    assert.deepEqual(JSON.parse(shown), policy);
    assert.ok(shown.split('\n').length > 5, `not pretty-printed: ${shown}`);
    await shot(page, 'bucket-settings-policy');
  });

  test('"Delete policy" removes it', async () => {
    await submit(page, 'Delete policy');
    assert.equal(await s3Error(client.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))), 'NoSuchBucketPolicy');
  });

  test('default encryption is saved as SSE-S3', async () => {
    await setField(page.getByLabel('Default encryption'), 'AES256');
    await submit(page, 'Save encryption');
    assert.equal(await page.locator('.error').count(), 0, 'an error is shown');
    const out = await client.send(new GetBucketEncryptionCommand({ Bucket: BUCKET }));
    assert.equal(out.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm, 'AES256');
  });

  test('a lifecycle configuration is saved; a malformed one is refused; delete removes it', async () => {
    const xml =
      '<LifecycleConfiguration><Rule><ID>expire-tmp</ID><Filter><Prefix>tmp/</Prefix></Filter>' +
      '<Status>Enabled</Status><Expiration><Days>7</Days></Expiration></Rule></LifecycleConfiguration>';
    await page.getByLabel('Lifecycle configuration').fill(xml);
    await submit(page, 'Save lifecycle');
    assert.equal(await page.locator('.error').count(), 0, 'an error is shown');
    const rules = async () => (await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: BUCKET }))).Rules;
    const [rule] = await rules();
    assert.equal(rule.ID, 'expire-tmp');
    assert.equal(rule.Expiration.Days, 7);

    await page.getByLabel('Lifecycle configuration').fill('<LifecycleConfiguration><Rule>');
    await submit(page, 'Save lifecycle');
    assert.ok((await errorText(page)).length > 0);
    assert.equal((await rules())[0].ID, 'expire-tmp', 'the malformed configuration replaced the saved one');

    await visit(page, `b/${BUCKET}/settings`);
    await submit(page, 'Delete lifecycle');
    assert.equal(
      await s3Error(client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: BUCKET }))),
      'NoSuchLifecycleConfiguration',
    );
  });
});

describe('identities', () => {
  let browser, page;
  const USER = 'alice';
  const doc = { Version: '2012-10-17', Statement: [{ Sid: 'List', Effect: 'Allow', Action: 's3express:ListAllMyDirectoryBuckets', Resource: '*' }] };

  before(async () => {
    ({ browser, page } = await signedIn());
  });

  after(async () => {
    await browser?.close();
  });

  const keys = async () => {
    const { body } = await iam('ListAccessKeys', { UserName: USER });
    return xmlValues(body, 'AccessKeyId').map((id, i) => ({ id, status: xmlValues(body, 'Status')[i] }));
  };

  test('the nav leads to the identities pages', async () => {
    await navTo(page, 'Identities');
    assert.ok(new URL(page.url()).pathname.startsWith('/_zonal/console/iam/'), page.url());
    await shot(page, 'identities');
  });

  test('creating a user', async () => {
    await visit(page, 'iam/users');
    await page.getByLabel('User name').fill(USER);
    await submit(page, 'Create user');
    assert.equal(xmlValue((await iam('GetUser', { UserName: USER })).body, 'UserName'), USER);
    await visit(page, 'iam/users');
    await page.getByRole('link', { name: USER, exact: true }).waitFor();
    await shot(page, 'identities-users');
  });

  test('an access key: its secret shown once, and it signs in', async () => {
    await visit(page, `iam/users/${USER}`);
    await submit(page, 'Create access key');
    const id = (await page.locator('#new-access-key-id').textContent()).trim();
    const secret = (await page.locator('#new-secret-access-key').textContent()).trim();
    assert.match(id, /^AKIA[A-Z0-9]{16}$/);
    assert.equal(secret.length, 40);
    assert.match(await page.locator('main').textContent(), /only once/i);
    assert.deepEqual(await keys(), [{ id, status: 'Active' }]);
    await shot(page, 'identities-user-new-key');

    // Not shown again.
    await visit(page, `iam/users/${USER}`);
    assert.equal(await page.locator('#new-secret-access-key').count(), 0);
    assert.ok(!(await page.content()).includes(secret), 'the secret is on the page again');

    const { page: alice, context } = await openPage(browser);
    await signInOK(alice, { accessKeyId: id, secretAccessKey: secret });
    assert.match(await alice.locator('.who').textContent(), new RegExp(`:user/${USER}$`));
    // No policy yet: the buckets page says why it is refused.
    assert.match(await alice.getByRole('alert').textContent(), /do not allow you to list/);
    const users = await alice.goto(`${CONSOLE}iam/users`);
    assert.equal(users.status(), 403, 'a user without IAM permissions sees the users page');
    await context.close();
  });

  test('deactivate, activate and delete the key', async () => {
    const [{ id }] = await keys();
    const keyRow = page.locator('tr').filter({ hasText: id });
    await submit(page, 'Deactivate');
    assert.deepEqual(await keys(), [{ id, status: 'Inactive' }]);
    await keyRow.getByRole('button', { name: 'Activate', exact: true }).waitFor();
    await submit(page, 'Activate');
    assert.deepEqual(await keys(), [{ id, status: 'Active' }]);
    await Promise.all([page.waitForNavigation(), keyRow.getByRole('button', { name: 'Delete', exact: true }).click()]);
    assert.deepEqual(await keys(), []);
  });

  test('inline policies: an invalid one is refused, a valid one saved, then deleted', async () => {
    await visit(page, `iam/users/${USER}`);
    await page.getByLabel('Policy name').fill('list');
    await page.getByLabel('Policy document').fill('{"Version": "2012-10-17", "Statement": [{"Effect": "Perhaps"}]}');
    await submit(page, 'Save inline policy');
    assert.ok((await errorText(page)).length > 0);
    assert.deepEqual(xmlValues((await iam('ListUserPolicies', { UserName: USER })).body, 'member'), []);

    await page.getByLabel('Policy name').fill('list');
    await page.getByLabel('Policy document').fill(JSON.stringify(doc));
    await submit(page, 'Save inline policy');
    const got = await iam('GetUserPolicy', { UserName: USER, PolicyName: 'list' });
    assert.deepEqual(JSON.parse(decodeURIComponent(xmlValue(got.body, 'PolicyDocument'))), doc);
    await shot(page, 'identities-user');

    // The user has no access key left: the one "Delete" is the policy's.
    const del = page.getByRole('button', { name: 'Delete', exact: true });
    assert.equal(await del.count(), 1);
    await Promise.all([page.waitForNavigation(), del.click()]);
    assert.deepEqual(xmlValues((await iam('ListUserPolicies', { UserName: USER })).body, 'member'), []);
  });

  test('managed policies: create, attach, detach, delete', async () => {
    const arn = `arn:aws:iam::${ACCOUNT}:policy/list-buckets`;
    await visit(page, 'iam/policies');
    await page.getByLabel('Policy name').fill('list-buckets');
    await page.getByLabel('Policy document').fill(JSON.stringify(doc));
    await submit(page, 'Create policy');
    assert.equal(xmlValue((await iam('GetPolicy', { PolicyArn: arn })).body, 'PolicyName'), 'list-buckets');
    await shot(page, 'identities-policies');

    const attached = async () => xmlValues((await iam('ListAttachedUserPolicies', { UserName: USER })).body, 'PolicyArn');
    await visit(page, `iam/users/${USER}`);
    await setField(page.getByLabel('Managed policy'), 'list-buckets');
    await submit(page, 'Attach policy');
    assert.deepEqual(await attached(), [arn]);
    await submit(page, 'Detach');
    assert.deepEqual(await attached(), []);

    await visit(page, 'iam/policies');
    const row = page.locator('tr').filter({ hasText: 'list-buckets' });
    await Promise.all([page.waitForNavigation(), row.getByRole('button', { name: 'Delete', exact: true }).click()]);
    assert.equal((await iam('GetPolicy', { PolicyArn: arn }, { allowError: true })).status, 404);
  });

  test('deleting the user', async () => {
    await visit(page, `iam/users/${USER}`);
    await submit(page, 'Delete user');
    assert.equal((await iam('GetUser', { UserName: USER }, { allowError: true })).status, 404);
  });
});

describe('policy simulator', () => {
  let browser, page, reader, client;
  const denyDelete = {
    Version: '2012-10-17',
    Statement: [{ Sid: 'NoDeleteBucket', Effect: 'Deny', Action: 's3express:DeleteBucket', Resource: '*' }],
  };

  before(async () => {
    client = s3();
    await createBucket(client, bucket('sim'));
    await putObject(client, bucket('sim'), 'a.txt', 'a');
    reader = await createUser('sim-reader', { 'read-only': readOnlyPolicy, 'no-delete': denyDelete });
    ({ browser, page } = await signedIn());
  });

  after(async () => {
    client?.destroy();
    await browser?.close();
  });

  async function simulate({ principal, action, mode, key }) {
    await visit(page, 'simulate');
    await setField(page.getByLabel('Principal'), principal);
    await setField(page.getByLabel('Action'), action);
    await setField(page.getByLabel('Bucket'), bucket('sim'));
    if (key) await setField(page.getByLabel('Key'), key);
    if (mode) await setField(page.getByLabel('Session mode'), mode);
    await submit(page, 'Simulate');
    return {
      decision: (await page.locator('#decision').textContent()).trim(),
      by: (await page.locator('#decided-by').textContent()).trim(),
    };
  }

  test('the nav leads to the simulator', async () => {
    await navTo(page, 'Policy simulator');
    assert.equal(page.url(), `${CONSOLE}simulate`);
    await page.getByRole('button', { name: 'Simulate', exact: true }).waitFor();
    await shot(page, 'simulator');
  });

  test('a ReadOnly session is allowed, by the statement that allows it; S3 agrees', async () => {
    const r = await simulate({ principal: 'sim-reader', action: 's3express:CreateSession', mode: 'ReadOnly' });
    assert.equal(r.decision, 'Allowed');
    assert.match(r.by, /read-only/);
    assert.match(r.by, /ReadOnlySessions/);
    await shot(page, 'simulator-allowed');
    const c = s3(reader);
    await c.send(new CreateSessionCommand({ Bucket: bucket('sim'), SessionMode: 'ReadOnly' }));
    c.destroy();
  });

  test('a ReadWrite session is denied: no statement allowed it; S3 agrees', async () => {
    const r = await simulate({ principal: 'sim-reader', action: 's3express:CreateSession', mode: 'ReadWrite' });
    assert.equal(r.decision, 'Denied');
    assert.match(r.by, /no statement allowed it/);
    const c = s3(reader);
    const err = await s3Error(c.send(new CreateSessionCommand({ Bucket: bucket('sim'), SessionMode: 'ReadWrite' })));
    assert.equal(err, 'AccessDenied');
    c.destroy();
    await shot(page, 'simulator-denied');
  });

  test('an explicit deny names its statement', async () => {
    const r = await simulate({ principal: 'sim-reader', action: 's3express:DeleteBucket' });
    assert.equal(r.decision, 'Denied');
    assert.match(r.by, /no-delete/);
    assert.match(r.by, /NoDeleteBucket/);
  });

  test('the root is allowed', async () => {
    const r = await simulate({ principal: 'root', action: 's3express:DeleteBucket' });
    assert.equal(r.decision, 'Allowed');
  });
});

describe('activity', () => {
  let browser, page;

  before(async () => {
    ({ browser, page } = await signedIn());
  });

  after(async () => {
    await browser?.close();
  });

  test('charts of requests, errors, latency and sessions, and the server figures', async () => {
    await navTo(page, 'Activity');
    assert.equal(page.url(), `${CONSOLE}activity`);
    const labels = await page.locator('svg[role="img"]').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    for (const want of [/request/i, /error/i, /latency|p99/i, /session/i]) {
      assert.ok(labels.some((l) => want.test(l)), `no chart labelled ${want}: ${JSON.stringify(labels)}`);
    }
    const text = await page.locator('main').textContent();
    for (const figure of ['Version', 'Uptime', 'Storage used', 'GC backlog']) {
      assert.ok(text.includes(figure), `no ${figure}`);
    }
    await shot(page, 'activity');
  });
});
