// Cross-site request forgery: a change without the session's CSRF token,
// with a wrong one, or sent from another origin (even with the right
// token) is refused and changes nothing; the same request with the token
// from the console's own pages goes through (so the refusals are the
// token's and the origin's doing, not a malformed request).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import {
  CONSOLE,
  COOKIE,
  ROOT,
  AZ,
  bucket,
  openPage,
  signedIn,
  shot,
  visit,
  csrfToken,
  postForm,
  s3,
  createBucket,
  putObject,
  listKeys,
  bucketNames,
  freePort,
} from './harness.mjs';

const BUCKET = bucket('csrf');
const KEEP = 'keep.txt';

/**
 * Serves, at http://HOST:PORT/, a page that posts a form to the console
 * as soon as it loads: an attacker's page on another origin.
 */
async function attackerSite(action, fields) {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`)
    .join('');
  const html = `<!doctype html><title>cute cats</title><form method="post" action="${action}">${inputs}</form>
<script>document.forms[0].submit()</script>`;
  const server = http.createServer((req, res) => res.end(html));
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('CSRF protection', () => {
  let browser, context, page, client, csrf;

  before(async () => {
    client = s3();
    await createBucket(client, BUCKET);
    await putObject(client, BUCKET, KEEP, 'keep me');
    ({ browser, context, page } = await signedIn());
    csrf = await csrfToken(page);
    assert.ok(csrf.length >= 32);
  });

  after(async () => {
    client?.destroy();
    await browser?.close();
  });

  async function unchanged() {
    assert.deepEqual(await listKeys(client, BUCKET), [KEEP]);
    const names = await bucketNames(client);
    assert.ok(names.includes(BUCKET), `buckets: ${names}`);
    assert.ok(!names.includes(bucket('forged')), `buckets: ${names}`);
  }

  const changes = () => [
    [`b/${BUCKET}/delete`, { key: KEEP }],
    [`b/${BUCKET}/delete-many`, { key: [KEEP] }],
    ['buckets/create', { name: 'forged', zone: AZ }],
    ['buckets/delete', { bucket: BUCKET }],
  ];

  test('a POST without the token is refused 403', async () => {
    for (const [rel, form] of changes()) {
      const resp = await postForm(page, rel, form);
      assert.equal(resp.status(), 403, `POST ${rel}`);
      assert.match(await resp.text(), /security token is missing or stale/, `POST ${rel}`);
    }
    await unchanged();
  });

  test('a POST with a wrong token is refused 403', async () => {
    const wrong = `${csrf.slice(0, -1)}${csrf.endsWith('A') ? 'B' : 'A'}`;
    for (const [rel, form] of changes()) {
      for (const token of [wrong, `${csrf}x`, 'x']) {
        const resp = await postForm(page, rel, { ...form, csrf: token });
        assert.equal(resp.status(), 403, `POST ${rel} with a wrong token`);
      }
    }
    await unchanged();
  });

  test('an upload without or with a wrong token is refused 403', async () => {
    for (const fields of [{}, { csrf: 'wrong' }]) {
      const resp = await page.request.post(`${CONSOLE}b/${BUCKET}/upload`, {
        multipart: { ...fields, prefix: '', file: { name: 'forged.txt', mimeType: 'text/plain', buffer: Buffer.from('forged') } },
        maxRedirects: 0,
        failOnStatusCode: false,
      });
      assert.equal(resp.status(), 403, JSON.stringify(fields));
    }
    await unchanged();
  });

  test('signing out needs the token too: without it the session lives on', async () => {
    const resp = await postForm(page, 'signout', {});
    assert.equal(resp.status(), 403);
    assert.ok((await context.cookies()).some((c) => c.name === COOKIE && c.value));
    await visit(page, 'buckets');
    assert.equal(page.url(), `${CONSOLE}buckets`);
  });

  test('the right token from another origin is refused 403', async () => {
    for (const origin of ['http://evil.example', 'null', 'http://127.0.0.1:1']) {
      const resp = await postForm(page, `b/${BUCKET}/delete`, { key: KEEP, csrf }, { origin });
      assert.equal(resp.status(), 403, `Origin ${origin}`);
      assert.match(await resp.text(), /came from another site/, `Origin ${origin}`);
    }
    // The sign-in form, which has no session yet, is guarded by Origin alone.
    const resp = await page.request.post(`${CONSOLE}signin`, {
      form: { access_key: ROOT.accessKeyId, secret: ROOT.secretAccessKey },
      headers: { origin: 'http://evil.example' },
      maxRedirects: 0,
      failOnStatusCode: false,
    });
    assert.equal(resp.status(), 403);
    assert.equal(resp.headers()['set-cookie'], undefined, 'a cross-origin sign-in set a cookie');
    await unchanged();
  });

  /**
   * A browser holding the session's cookie opens the attacker's page at
   * http://HOST:PORT/, which posts a delete of KEEP with the real token;
   * check gets the console's answer and the page it shows.
   */
  async function attack(host, check) {
    const site = await attackerSite(`${CONSOLE}b/${BUCKET}/delete`, { csrf, key: KEEP });
    const { page: victim, context: victimContext } = await openPage(browser);
    try {
      await victimContext.addCookies(await context.cookies());
      const answered = victim.waitForResponse((r) => r.url() === `${CONSOLE}b/${BUCKET}/delete`);
      await victim.goto(`http://${host}:${site.port}/`);
      const resp = await answered;
      await victim.waitForLoadState();
      await check(resp, victim);
    } finally {
      await victimContext.close();
      await site.close();
    }
    await unchanged();
  }

  test("an attacker's page on another port (same site) posting with the real token is refused", async () => {
    await attack('127.0.0.1', async (resp, victim) => {
      assert.equal(resp.status(), 403);
      assert.match(await victim.getByRole('alert').textContent(), /came from another site/);
      await shot(victim, 'error-cross-site');
    });
  });

  test("an attacker's page on another site gets no session cookie (SameSite=Strict)", async () => {
    await attack('localhost', async (resp) => {
      assert.equal(resp.status(), 403);
      assert.equal(resp.request().headers().cookie, undefined, 'the cookie went along');
    });
  });

  test('changes are GET-proof: a GET of a change URL changes nothing', async () => {
    for (const rel of [`buckets/delete?bucket=${BUCKET}&csrf=${csrf}`, `b/${BUCKET}/delete?key=${KEEP}&csrf=${csrf}`]) {
      const resp = await page.request.get(CONSOLE + rel, { maxRedirects: 0, failOnStatusCode: false });
      assert.ok(resp.status() >= 400, `GET ${rel} answered ${resp.status()}`);
    }
    await unchanged();
  });

  test('the same request with the page own token and origin goes through', async () => {
    await putObject(client, BUCKET, 'control.txt', 'delete me');
    const resp = await postForm(page, `b/${BUCKET}/delete`, { key: 'control.txt', csrf }, { origin: new URL(CONSOLE).origin });
    assert.equal(resp.status(), 303);
    await unchanged();
  });
});
