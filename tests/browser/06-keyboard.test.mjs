// Pages work with the keyboard and have labels: signing in, creating a
// bucket and opening it with keys alone, and on every page the root can
// reach, each form control with a name a screen reader announces and each
// button with text.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { CONSOLE, ROOT, AZ, bucket, launch, openPage, s3, putObject, bucketNames, createUser } from './harness.mjs';

const BUCKET = bucket('keys');

/** The form controls and buttons of the page that have no accessible name. */
function unnamed(page) {
  return page.evaluate(() => {
    const named = (el) =>
      (el.labels && el.labels.length > 0) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    const out = [];
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (el.type === 'hidden' || el.type === 'submit') continue;
      if (!named(el)) out.push(el.outerHTML);
    }
    for (const el of document.querySelectorAll('button, input[type=submit]')) {
      if (!(el.textContent || el.value || '').trim() && !named(el)) out.push(el.outerHTML);
    }
    return out;
  });
}

describe('keyboard and labels', () => {
  let browser, page, client;

  before(async () => {
    client = s3();
    await createUser('keys-user');
    browser = await launch();
    ({ page } = await openPage(browser));
  });

  after(async () => {
    client?.destroy();
    await browser?.close();
  });

  test('signing in with the keyboard alone', async () => {
    await page.goto(`${CONSOLE}signin`);
    // The key id field has the focus; Tab leads to the secret; Enter submits.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'access_key');
    await page.keyboard.type(ROOT.accessKeyId);
    await page.keyboard.press('Tab');
    await page.keyboard.type(ROOT.secretAccessKey);
    await Promise.all([page.waitForURL(`${CONSOLE}buckets`), page.keyboard.press('Enter')]);
  });

  test('creating a bucket and opening it with the keyboard alone', async () => {
    await page.getByLabel('Name', { exact: true }).focus();
    await page.keyboard.type('keys');
    await page.keyboard.press('Tab');
    await page.keyboard.type(AZ);
    await Promise.all([page.waitForURL(`${CONSOLE}b/${BUCKET}/`), page.keyboard.press('Enter')]);
    assert.ok((await bucketNames(client)).includes(BUCKET));
    await putObject(client, BUCKET, 'a/b.txt', 'b');

    // Tab through the page until the folder link has the focus, then open it.
    await page.reload();
    let found = false;
    for (let i = 0; i < 40 && !found; i++) {
      await page.keyboard.press('Tab');
      found = await page.evaluate(() => document.activeElement?.textContent?.trim() === 'a/');
    }
    assert.ok(found, 'Tab never reached the folder link');
    await Promise.all([page.waitForURL((u) => u.searchParams.get('prefix') === 'a/'), page.keyboard.press('Enter')]);
  });

  test('every control of every page has a name', async () => {
    const pages = [
      'buckets',
      `b/${BUCKET}/`,
      `b/${BUCKET}/?prefix=a/`,
      `b/${BUCKET}/object?key=a/b.txt`,
      `b/${BUCKET}/settings`,
      'iam/users',
      'iam/users/keys-user',
      'iam/policies',
      'simulate',
      'activity',
    ];
    const missing = [];
    for (const rel of pages) {
      const resp = await page.goto(CONSOLE + rel);
      if (resp.status() === 404) {
        missing.push(`${rel}: no such page`);
        continue;
      }
      for (const html of await unnamed(page)) missing.push(`${rel}: ${html}`);
    }
    assert.deepEqual(missing, []);
  });
});
