// Whatever a user stored is shown as text: object keys (and metadata)
// written with markup, quotes and Unicode render literally in the listing
// and on the details pages, no script of theirs runs (no dialog opens, no
// element of theirs appears), and attributes built from them hold them
// exactly.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { CONSOLE, bucket, signedIn, shot, visit, s3, createBucket, putObject, folderLink } from './harness.mjs';

const BUCKET = bucket('xss');
const KEYS = ['<img src=x onerror=alert(1)>', `"quotes'`, 'ünïcødé/日本', '<script>alert(1)</script>'];
const META = '<img src=x onerror=alert(2)>';

/** What the root listing shows for key: its folder (up to the first /) or the key itself. */
function topEntry(key) {
  const i = key.indexOf('/');
  return i < 0 ? { object: key } : { folder: key.slice(0, i + 1), name: key.slice(i + 1) };
}

describe('keys and metadata render as text', () => {
  let browser, page, dialogs, client;

  before(async () => {
    client = s3();
    await createBucket(client, BUCKET);
    for (const k of KEYS) await putObject(client, BUCKET, k, `body of ${k}`, { Metadata: { note: META } });
    ({ browser, page, dialogs } = await signedIn());
  });

  after(async () => {
    client?.destroy();
    await browser?.close();
  });

  /** No markup of the keys became elements, and no dialog opened. */
  async function inert() {
    assert.deepEqual(dialogs, [], 'a dialog opened');
    assert.equal(await page.locator('img').count(), 0, 'an <img> from a key is in the page');
    // Only the console's own script files: no inline <script>, none from a key.
    const scripts = await page.locator('script').evaluateAll((els) => els.map((e) => e.src));
    assert.ok(scripts.length > 0 && scripts.every((src) => src.startsWith(`${CONSOLE}static/`)), `scripts: ${scripts}`);
  }

  test('the bucket listing shows each key, or its folder, literally', async () => {
    await visit(page, `b/${BUCKET}/`);
    for (const key of KEYS) {
      const e = topEntry(key);
      if (e.object) {
        const link = page.getByRole('link', { name: key, exact: true });
        assert.equal(await link.count(), 1, `no link named ${key}`);
        assert.equal(await link.textContent(), key);
        // The key is held exactly in attributes: the link's query and the checkbox.
        assert.equal(new URL(await link.evaluate((a) => a.href)).searchParams.get('key'), key);
        const box = page.getByLabel(`Select ${key}`, { exact: true });
        assert.equal(await box.count(), 1, `no checkbox for ${key}`);
        assert.equal(await box.inputValue(), key);
      } else {
        assert.equal(await folderLink(page, e.folder).count(), 1, `no folder ${e.folder}`);
      }
    }
    await inert();
    await shot(page, 'objects-xss');
  });

  test('each folder lists its key literally', async () => {
    for (const key of KEYS.filter((k) => topEntry(k).folder)) {
      const { folder, name } = topEntry(key);
      await visit(page, `b/${BUCKET}/`);
      await Promise.all([page.waitForURL((u) => u.searchParams.get('prefix') === folder), folderLink(page, folder).click()]);
      const link = page.getByRole('link', { name, exact: true });
      assert.equal(await link.textContent(), name);
      assert.equal(new URL(await link.evaluate((a) => a.href)).searchParams.get('key'), key);
      await inert();
    }
  });

  test('each details page shows its key and metadata literally', async () => {
    for (const [i, key] of KEYS.entries()) {
      await page.goto(`${new URL(page.url()).origin}/_zonal/console/b/${BUCKET}/object?key=${encodeURIComponent(key)}`);
      assert.equal(await page.locator('h2.key').textContent(), key);
      assert.ok((await page.title()).startsWith(key), `title: ${await page.title()}`);
      const meta = page.locator('dl.props dt', { hasText: /^x-amz-meta-note$/ }).locator('xpath=following-sibling::dd[1]');
      assert.equal(await meta.textContent(), META);
      await inert();
      if (i === 0) await shot(page, 'object-details-xss');
    }
  });
});
