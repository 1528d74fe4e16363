// The console end to end as the account root, in one browser session:
// sign in (a wrong secret first), create a bucket through the form, upload
// a small file and a 20 MiB one (multipart, with progress), browse into a
// folder, rename, download and compare bytes, delete one and a selection,
// delete the bucket (refused while it holds objects), sign out. Each step
// is checked in the page and, for changes, through S3.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { HeadBucketCommand } from '@aws-sdk/client-s3';

import {
  CONSOLE,
  COOKIE,
  ROOT,
  AZ,
  bucket,
  sha256,
  launch,
  openPage,
  shot,
  signIn,
  visit,
  s3,
  putObject,
  listKeys,
  bucketNames,
  getBytes,
  headObject,
  folderLink,
} from './harness.mjs';

const BASE = 'photos';
const BUCKET = bucket(BASE);
const small = { name: 'notes.txt', buffer: Buffer.from('zonal console notes\nline two\n') };
const big = { name: 'big.bin', buffer: randomBytes(20 << 20) };

/**
 * Records what the upload shows as it happens: every <progress> and its
 * changes, and the lines of #upload-status. The page reloads when the
 * uploads finish, so the records go to Node as they happen.
 */
async function recordUploads(page) {
  const events = [];
  await page.exposeFunction('__zonalRecord', (ev) => events.push(ev));
  await page.addInitScript(() => {
    const progress = (el) =>
      window.__zonalRecord({
        kind: 'progress',
        label: el.getAttribute('aria-label'),
        value: el.value,
        max: el.max,
      });
    let lastStatus = '';
    const observer = new MutationObserver((mutations) => {
      for (const m of mutations) {
        if (m.target.tagName === 'PROGRESS') progress(m.target);
        for (const n of m.addedNodes) {
          if (n.nodeType !== 1) continue;
          if (n.tagName === 'PROGRESS') progress(n);
          n.querySelectorAll?.('progress').forEach(progress);
        }
      }
      const st = document.getElementById('upload-status');
      if (st && st.textContent !== lastStatus) {
        lastStatus = st.textContent;
        window.__zonalRecord({ kind: 'status', role: st.getAttribute('role'), text: st.innerText });
      }
    });
    document.addEventListener('DOMContentLoaded', () =>
      observer.observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
        attributeFilter: ['value', 'max'],
      }),
    );
  });
  return events;
}

/** Clicks a link whose response is a download; resolves to {name, bytes}. */
async function download(page, link) {
  const [dl] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const file = await dl.path();
  return { name: dl.suggestedFilename(), bytes: await readFile(file) };
}

/** The <tr> of the browser's listing whose link is named name. */
function row(page, name) {
  return page.locator('tbody tr').filter({ has: page.getByRole('link', { name, exact: true }) });
}

describe('the console as the root, end to end', () => {
  let browser, context, page, dialogs, client, events, dir;

  before(async () => {
    // The files to upload are on disk: the browser reads them as a user's
    // would (a 20 MiB buffer through the driver's protocol is slow).
    dir = await mkdtemp(path.join(os.tmpdir(), 'zonal-browser-files-'));
    for (const f of [small, big]) {
      f.path = path.join(dir, f.name);
      await writeFile(f.path, f.buffer);
    }
    browser = await launch();
    ({ context, page, dialogs } = await openPage(browser));
    events = await recordUploads(page);
    client = s3();
  });

  after(async () => {
    client?.destroy();
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('signed out, the console sends the browser to the sign-in page', async () => {
    await page.goto(CONSOLE);
    assert.equal(page.url(), `${CONSOLE}signin`);
    await page.goto(`${CONSOLE}buckets`);
    assert.equal(page.url(), `${CONSOLE}signin`);
    await shot(page, 'signin');
  });

  test('a wrong secret is refused with a message, and no session', async () => {
    const resp = await signIn(page, { ...ROOT, secretAccessKey: `${ROOT.secretAccessKey}x` });
    assert.equal(resp.status(), 401);
    assert.equal(page.url(), `${CONSOLE}signin`);
    const alert = page.getByRole('alert');
    assert.match(await alert.textContent(), /access key id or the secret is wrong/);
    // The key id typed stays; the secret does not.
    assert.equal(await page.getByLabel('Access key id').inputValue(), ROOT.accessKeyId);
    assert.equal(await page.getByLabel('Secret access key').inputValue(), '');
    assert.equal((await context.cookies()).filter((c) => c.name === COOKIE && c.value).length, 0);
    await shot(page, 'signin-refused');
  });

  test('the right secret signs in: an HttpOnly, SameSite=Strict session cookie', async () => {
    const resp = await signIn(page, ROOT);
    assert.equal(resp.status(), 303);
    assert.equal(page.url(), `${CONSOLE}buckets`);
    const cookie = (await context.cookies()).find((c) => c.name === COOKIE);
    assert.ok(cookie?.value, 'no session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/_zonal/console/');
    assert.equal(await page.evaluate(() => document.cookie), '', 'the cookie is readable by scripts');
    await page.getByRole('heading', { name: 'Directory buckets' }).waitFor();
    assert.match(await page.locator('.who').textContent(), /:root$/);
    for (const name of ['Buckets', 'Identities', 'Policy simulator', 'Activity']) {
      assert.equal(await page.locator('nav').getByRole('link', { name, exact: true }).count(), 1, `nav link ${name}`);
    }
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  });

  test('the create form previews the full name and explains a name that breaks the rules', async () => {
    const name = page.getByLabel('Name', { exact: true });
    const zone = page.getByLabel('Availability zone id');
    const preview = page.locator('#full-name');
    await zone.fill(AZ);
    await name.fill('abc');
    assert.equal(await preview.textContent(), `abc--${AZ}--x-s3 (${`abc--${AZ}--x-s3`.length} characters)`);
    // 50 letters: the full name is 66 characters, over the limit of 63.
    const long = 'a'.repeat(50);
    await name.fill(long);
    const full = `${long}--${AZ}--x-s3`;
    assert.equal(await preview.textContent(), `${full} (66 characters)`);
    await shot(page, 'buckets-create-preview');
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/buckets/create')),
      page.getByRole('button', { name: 'Create', exact: true }).click(),
    ]);
    await page.waitForLoadState();
    assert.equal(resp.status(), 400);
    const msg = await page.getByRole('alert').textContent();
    assert.match(msg, /between 3 and 63 characters/);
    assert.ok(msg.includes(full), `the message does not name the full name: ${msg}`);
    // The form keeps what was typed, and nothing was created.
    assert.equal(await name.inputValue(), long);
    assert.deepEqual(await bucketNames(client), []);
    await shot(page, 'buckets-create-refused');
  });

  test('creating a bucket opens its (empty) folder', async () => {
    await page.getByLabel('Name', { exact: true }).fill(BASE);
    await page.getByLabel('Availability zone id').fill(AZ);
    await Promise.all([page.waitForURL(`${CONSOLE}b/${BUCKET}/`), page.getByRole('button', { name: 'Create', exact: true }).click()]);
    await page.getByRole('heading', { name: BUCKET }).waitFor();
    await page.getByText('This folder is empty.').waitFor();
    await client.send(new HeadBucketCommand({ Bucket: BUCKET }));
    assert.deepEqual(await bucketNames(client), [BUCKET]);
    await shot(page, 'objects-empty');
  });

  test('uploading two files at once: progress per file, multipart for 20 MiB, status lines', async () => {
    const files = page.getByLabel('Files', { exact: true });
    assert.equal(await files.getAttribute('multiple'), '', 'the file input does not take several files');
    await files.setInputFiles([small.path, big.path]);
    // Slow uploads down (to 10 MiB/s) so that the progress is there to see.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 10 << 20,
    });
    const requests = [];
    const onRequest = (r) => r.method() === 'POST' && requests.push(r.url());
    page.on('request', onRequest);
    const reloaded = page.waitForEvent('load', { timeout: 30_000 });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();

    const bigProgress = page.getByLabel(`Upload progress ${big.name}`, { exact: true });
    await bigProgress.waitFor();
    assert.equal(await bigProgress.evaluate((el) => el.tagName), 'PROGRESS');
    // The screenshot once the big file is a third of the way.
    for (let i = 0; i < 100 && !events.some((e) => e.label === `Upload progress ${big.name}` && e.value > e.max / 3); i++) await page.waitForTimeout(50);
    await shot(page, 'upload-progress');
    await reloaded;
    page.off('request', onRequest);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();

    const progressOf = (name) => events.filter((e) => e.kind === 'progress' && e.label === `Upload progress ${name}`);
    for (const f of [small, big]) {
      const p = progressOf(f.name);
      assert.ok(p.length > 0, `no progress element for ${f.name}`);
      const last = p.at(-1);
      assert.ok(last.max > 0 && last.value === last.max, `${f.name}'s progress ended at ${last.value}/${last.max}`);
    }
    const between = progressOf(big.name).filter((e) => e.value > 0 && e.value < e.max);
    assert.ok(between.length > 0, `the big file's progress never showed a step between 0 and done: ${JSON.stringify(progressOf(big.name))}`);
    const status = events.filter((e) => e.kind === 'status');
    assert.ok(status.length > 0, 'no #upload-status region');
    assert.equal(status[0].role, 'status');
    const lines = status.at(-1).text.split('\n').map((l) => l.trim()).filter(Boolean);
    assert.ok(lines.includes(`Uploaded ${small.name}`), `status lines: ${JSON.stringify(lines)}`);
    assert.ok(lines.includes(`Uploaded ${big.name}`), `status lines: ${JSON.stringify(lines)}`);
    assert.ok(!lines.some((l) => l.startsWith('Failed')), `status lines: ${JSON.stringify(lines)}`);
    // 20 MiB in 8 MiB parts is three part uploads, plus a create and a complete.
    assert.ok(requests.length >= 5, `only ${requests.length} POSTs for the two uploads: ${requests.join(' ')}`);

    // After the reload the listing shows both, and S3 has their bytes.
    await row(page, small.name).waitFor();
    await row(page, big.name).waitFor();
    assert.deepEqual(await listKeys(client, BUCKET), [big.name, small.name].sort());
    assert.equal(sha256(await getBytes(client, BUCKET, small.name)), sha256(small.buffer));
    assert.equal((await headObject(client, BUCKET, big.name)).ContentLength, big.buffer.length);
    await shot(page, 'objects');
  });

  test('the buckets list shows the bucket, its zone and a Settings link', async () => {
    await visit(page, 'buckets');
    const bucketRow = page.locator('tbody tr').filter({ has: page.getByRole('link', { name: BUCKET, exact: true }) });
    assert.equal(await bucketRow.count(), 1);
    assert.equal((await bucketRow.locator('td').nth(1).textContent()).trim(), AZ);
    assert.equal(await bucketRow.getByRole('link', { name: 'Settings', exact: true }).count(), 1);
    await shot(page, 'buckets');
    await visit(page, `b/${BUCKET}/`);
  });

  test('object details show the record; Parts is 3 for the multipart upload', async () => {
    await row(page, big.name).getByRole('link', { name: big.name, exact: true }).click();
    await page.waitForURL(`${CONSOLE}b/${BUCKET}/object?key=${big.name}`);
    assert.equal(await page.locator('h2.key').textContent(), big.name);
    const prop = (name) => page.locator('dl.props dt', { hasText: new RegExp(`^${name}$`) }).locator('xpath=following-sibling::dd[1]');
    assert.equal(await prop('Parts').textContent(), '3');
    assert.match(await prop('Size').textContent(), /\(20971520 bytes\)/);
    const head = await headObject(client, BUCKET, big.name);
    assert.equal(`"${await prop('ETag').textContent()}"`, head.ETag);
    await shot(page, 'object-details');
  });

  test('renaming the small object into a folder opens the new key, and S3 agrees', async () => {
    await visit(page, `b/${BUCKET}/object?key=${small.name}`);
    await page.getByLabel('New key').fill(`docs/${small.name}`);
    await Promise.all([
      page.waitForURL((u) => u.searchParams.get('key') === `docs/${small.name}`),
      page.getByRole('button', { name: 'Rename', exact: true }).click(),
    ]);
    assert.equal(await page.locator('h2.key').textContent(), `docs/${small.name}`);
    assert.equal(await headObject(client, BUCKET, small.name), null, 'the old key is still there');
    assert.equal(sha256(await getBytes(client, BUCKET, `docs/${small.name}`)), sha256(small.buffer));
    await shot(page, 'object-renamed');
  });

  test('browsing into the docs/ folder', async () => {
    await visit(page, `b/${BUCKET}/`);
    const folder = folderLink(page, 'docs/');
    await Promise.all([page.waitForURL((u) => u.searchParams.get('prefix') === 'docs/'), folder.click()]);
    await row(page, small.name).waitFor();
    assert.equal(await page.locator('tbody tr').count(), 1);
    // The crumbs lead back to the bucket and to this folder.
    const h1 = page.getByRole('heading', { level: 1 });
    assert.equal((await h1.textContent()).replace(/\s+/g, ' ').trim(), `${BUCKET} / docs/`);
    await shot(page, 'objects-folder');
  });

  test('downloads through the Download links are the bytes uploaded', async () => {
    const a = await download(page, row(page, small.name).getByRole('link', { name: 'Download', exact: true }));
    assert.equal(a.name, small.name);
    assert.equal(sha256(a.bytes), sha256(small.buffer));
    await visit(page, `b/${BUCKET}/object?key=${big.name}`);
    const b = await download(page, page.getByRole('link', { name: 'Download', exact: true }));
    assert.equal(b.name, big.name);
    assert.equal(b.bytes.length, big.buffer.length);
    assert.equal(sha256(b.bytes), sha256(big.buffer));
  });

  test('deleting one object (after a confirmation) goes back to its folder', async () => {
    await visit(page, `b/${BUCKET}/object?key=docs/${small.name}`);
    const before = dialogs.length;
    await Promise.all([
      page.waitForURL((u) => u.pathname.endsWith(`/b/${BUCKET}/`) && u.searchParams.get('prefix') === 'docs/'),
      page.getByRole('button', { name: 'Delete', exact: true }).click(),
    ]);
    assert.deepEqual(dialogs.slice(before), [{ type: 'confirm', message: `Delete docs/${small.name}?` }]);
    await page.getByText('This folder is empty.').waitFor();
    assert.deepEqual(await listKeys(client, BUCKET), [big.name]);
  });

  test('"Delete selected" deletes the checked objects only', async () => {
    for (const k of ['a.txt', 'b.txt', 'c.txt']) await putObject(client, BUCKET, k, `body of ${k}`);
    await visit(page, `b/${BUCKET}/`);
    for (const k of [big.name, 'a.txt', 'b.txt']) await page.getByLabel(`Select ${k}`, { exact: true }).check();
    assert.equal(await page.getByLabel('Select c.txt', { exact: true }).isChecked(), false);
    await shot(page, 'objects-selected');
    const before = dialogs.length;
    await Promise.all([page.waitForURL(`${CONSOLE}b/${BUCKET}/`), page.getByRole('button', { name: 'Delete selected' }).click()]);
    assert.equal(dialogs.length, before + 1, 'no confirmation');
    assert.equal(dialogs.at(-1).type, 'confirm');
    await row(page, 'c.txt').waitFor();
    assert.equal(await page.locator('tbody tr').count(), 1);
    assert.deepEqual(await listKeys(client, BUCKET), ['c.txt']);
  });

  test('deleting the bucket is refused while it holds an object, saying why', async () => {
    await visit(page, 'buckets');
    const bucketRow = page.locator('tbody tr').filter({ has: page.getByRole('link', { name: BUCKET, exact: true }) });
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/buckets/delete')),
      bucketRow.getByRole('button', { name: 'Delete', exact: true }).click(),
    ]);
    await page.waitForLoadState();
    assert.equal(resp.status(), 409);
    assert.equal(dialogs.at(-1).message, `Delete the bucket ${BUCKET}?`);
    assert.match(await page.getByRole('alert').textContent(), /was not deleted: it is not empty/);
    assert.deepEqual(await bucketNames(client), [BUCKET]);
    await shot(page, 'buckets-delete-refused');
  });

  test('once empty, the bucket is deleted', async () => {
    await visit(page, `b/${BUCKET}/`);
    await page.getByLabel('Select c.txt', { exact: true }).check();
    await Promise.all([page.waitForURL(`${CONSOLE}b/${BUCKET}/`), page.getByRole('button', { name: 'Delete selected' }).click()]);
    await page.getByText('This folder is empty.').waitFor();
    await visit(page, 'buckets');
    const bucketRow = page.locator('tbody tr').filter({ has: page.getByRole('link', { name: BUCKET, exact: true }) });
    await Promise.all([page.waitForURL(`${CONSOLE}buckets`), bucketRow.getByRole('button', { name: 'Delete', exact: true }).click()]);
    await page.getByText('No directory buckets yet.').waitFor();
    assert.deepEqual(await bucketNames(client), []);
  });

  test('signing out ends the session: the cookie is gone and pages go to sign-in', async () => {
    const old = (await context.cookies()).find((c) => c.name === COOKIE).value;
    await Promise.all([page.waitForURL(`${CONSOLE}signin`), page.getByRole('button', { name: 'Sign out' }).click()]);
    assert.equal((await context.cookies()).filter((c) => c.name === COOKIE && c.value).length, 0);
    for (const rel of ['buckets', `b/${BUCKET}/`, `b/${BUCKET}/object?key=x`, 'iam/users']) {
      await page.goto(CONSOLE + rel);
      assert.equal(page.url(), `${CONSOLE}signin`, `${rel} did not go to sign-in`);
    }
    // The old session id is dead on the server too, not only forgotten.
    const resp = await page.request.get(`${CONSOLE}buckets`, { headers: { cookie: `${COOKIE}=${old}` }, maxRedirects: 0 });
    assert.equal(resp.status(), 303);
    assert.equal(resp.headers().location, '/_zonal/console/signin');
  });
});
