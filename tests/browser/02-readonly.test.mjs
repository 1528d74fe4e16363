// An IAM user whose policy allows listing buckets and ReadOnly sessions
// only: the console shows it no control that changes anything, and every
// change it forges (with its own real CSRF token) is refused 403 and
// changes nothing, as S3 confirms to the root.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

import {
  CONSOLE,
  ROOT,
  AZ,
  bucket,
  sha256,
  launch,
  openPage,
  shot,
  signInOK,
  visit,
  csrfToken,
  postForm,
  s3,
  createBucket,
  putObject,
  listKeys,
  bucketNames,
  getBytes,
  createUser,
  readOnlyPolicy,
  folderLink,
} from './harness.mjs';

const BUCKET = bucket('shared');
const KEY = 'report.txt';
const BODY = Buffer.from('quarterly report\n');

describe('a read-only IAM user', () => {
  let browser, page, client, reader, rootPage, renameForm;

  before(async () => {
    client = s3();
    await createBucket(client, BUCKET);
    await putObject(client, BUCKET, KEY, BODY);
    await putObject(client, BUCKET, 'sub/inner.txt', 'inner');
    reader = await createUser('reader', { 'read-only': readOnlyPolicy });
    browser = await launch();
    ({ page } = await openPage(browser));
    ({ page: rootPage } = await openPage(browser));
  });

  after(async () => {
    client?.destroy();
    await browser?.close();
  });

  /** Everything the root can see is unchanged. */
  async function unchanged() {
    const names = await bucketNames(client);
    assert.ok(names.includes(BUCKET) && !names.includes(bucket('forged')), `buckets: ${names}`);
    assert.deepEqual(await listKeys(client, BUCKET), [KEY, 'sub/inner.txt']);
    assert.equal(sha256(await getBytes(client, BUCKET, KEY)), sha256(BODY));
  }

  test('the root sees the controls the reader must not (so their absence below means something)', async () => {
    await signInOK(rootPage, ROOT);
    await visit(rootPage, `b/${BUCKET}/object?key=${KEY}`);
    assert.equal(await rootPage.getByRole('button', { name: 'Delete', exact: true }).count(), 1);
    const newKey = rootPage.getByLabel('New key');
    assert.equal(await newKey.count(), 1);
    // Where the rename form posts and what it sends, to forge it below.
    renameForm = await newKey.evaluate((input) => ({
      action: input.form.action, // absolute
      fields: Object.fromEntries([...new FormData(input.form)].filter(([k]) => k !== 'csrf')),
      keyField: input.name,
    }));
    await visit(rootPage, `b/${BUCKET}/`);
    assert.equal(await rootPage.getByLabel(`Select ${KEY}`, { exact: true }).count(), 1);
    assert.equal(await rootPage.getByRole('button', { name: 'Delete selected' }).count(), 1);
    assert.equal(await rootPage.getByRole('button', { name: 'Upload', exact: true }).count(), 1);
  });

  test('it signs in and sees the buckets, without create or delete controls', async () => {
    await signInOK(page, reader);
    assert.match(await page.locator('.who').textContent(), /:user\/reader$/);
    await page.getByRole('link', { name: BUCKET, exact: true }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Delete', exact: true }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Create', exact: true }).count(), 0);
    assert.equal(await page.getByLabel('Name', { exact: true }).count(), 0);
    assert.equal(await page.getByRole('heading', { name: 'Create a bucket' }).count(), 0);
    await shot(page, 'buckets-readonly');
  });

  test('it browses and downloads, without upload, delete or select controls', async () => {
    await visit(page, `b/${BUCKET}/`);
    await page.getByRole('link', { name: KEY, exact: true }).waitFor();
    await folderLink(page, 'sub/').waitFor();
    for (const name of ['Delete', 'Delete selected', 'Upload']) {
      assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, `a ${name} button`);
    }
    assert.equal(await page.locator('input[type="file"]').count(), 0);
    assert.equal(await page.locator('input[type="checkbox"][name="key"]').count(), 0);
    await shot(page, 'objects-readonly');

    await visit(page, `b/${BUCKET}/object?key=${KEY}`);
    assert.equal(await page.locator('h2.key').textContent(), KEY);
    assert.equal(await page.getByRole('button', { name: 'Delete', exact: true }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Rename', exact: true }).count(), 0);
    assert.equal(await page.getByLabel('New key').count(), 0);
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download', exact: true }).click()]);
    assert.equal(dl.suggestedFilename(), KEY);
    assert.equal(sha256(await readFile(await dl.path())), sha256(BODY));
    await shot(page, 'object-details-readonly');
  });

  test('its forged changes, with its own valid CSRF token, are refused 403 and change nothing', async () => {
    await visit(page, 'buckets');
    const csrf = await csrfToken(page);
    assert.ok(csrf.length >= 32, 'no CSRF token on the page');
    const forged = [
      ['buckets/create', { csrf, name: 'forged', zone: AZ }, /not allow you to create this bucket/],
      ['buckets/delete', { csrf, bucket: BUCKET }, /not allow you to delete/],
      [`b/${BUCKET}/delete`, { csrf, key: KEY }, /not allow you to change objects/],
      [`b/${BUCKET}/delete-many`, { csrf, key: [KEY, 'sub/inner.txt'] }],
    ];
    if (renameForm) {
      const rel = renameForm.action.slice(CONSOLE.length);
      forged.push([rel, { ...renameForm.fields, csrf, [renameForm.keyField]: 'renamed.txt' }]);
    }
    for (const [rel, form, why] of forged) {
      const resp = await postForm(page, rel, form);
      assert.equal(resp.status(), 403, `POST ${rel} answered ${resp.status()}`);
      if (why) assert.match(await resp.text(), why, `POST ${rel}`);
    }
    const upload = await page.request.post(`${CONSOLE}b/${BUCKET}/upload`, {
      multipart: { csrf, prefix: '', file: { name: 'forged.txt', mimeType: 'text/plain', buffer: Buffer.from('forged') } },
      maxRedirects: 0,
      failOnStatusCode: false,
    });
    assert.equal(upload.status(), 403, 'the forged upload');
    await unchanged();
    assert.ok(renameForm, 'the rename was not forged: the root saw no rename form');
  });

  test('the refusal page says why', async () => {
    // The browser itself submitting a forged form: the page it gets explains.
    await visit(page, `b/${BUCKET}/`);
    await page.evaluate(
      ({ action, csrf, key }) => {
        const f = document.createElement('form');
        f.method = 'post';
        f.action = action;
        for (const [name, value] of Object.entries({ csrf, key })) {
          const i = document.createElement('input');
          i.type = 'hidden';
          i.name = name;
          i.value = value;
          f.append(i);
        }
        document.body.append(f);
        f.submit();
      },
      { action: `${CONSOLE}b/${BUCKET}/delete`, csrf: await csrfToken(page), key: KEY },
    );
    await page.waitForURL(`${CONSOLE}b/${BUCKET}/delete`);
    assert.match(await page.getByRole('alert').textContent(), new RegExp(`not allow you to change objects in ${BUCKET}`));
    await shot(page, 'error-403');
    await unchanged();
  });
});
