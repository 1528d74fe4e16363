// Harness of the console's browser suite: headless Chromium (Debian's
// chromium, driven by playwright-core) against one zonal server that run.sh
// starts with --console, plus S3 and IAM clients signed as the account root
// to set up and to check what the console did.
//
// run.sh exports what the tests need:
//   ZONAL_BROWSER_ENDPOINT  http://127.0.0.1:PORT of the server
//   ZONAL_BROWSER_ACCESS_KEY / ZONAL_BROWSER_SECRET_KEY  its root key
//   ZONAL_BROWSER_CHROMIUM  the browser binary (default /usr/bin/chromium)
//   ZONAL_BROWSER_SHOTS     folder for the screenshots (absent: none taken)
// The test files share the server and run one after another
// (--test-concurrency=1): each uses buckets of its own.

import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { chromium } from 'playwright-core';
import {
  S3Client,
  CreateBucketCommand,
  HeadObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  ListDirectoryBucketsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the suite with tests/browser/run.sh`);
  return v;
}

export const ENDPOINT = env('ZONAL_BROWSER_ENDPOINT');
export const CONSOLE = `${ENDPOINT}/_zonal/console/`;
export const ROOT = {
  accessKeyId: env('ZONAL_BROWSER_ACCESS_KEY'),
  secretAccessKey: env('ZONAL_BROWSER_SECRET_KEY'),
};
export const REGION = 'us-east-1';
export const ACCOUNT = '000000000000';
export const AZ = 'use1-az4';
export const COOKIE = 'zonal_console';

/** The full directory-bucket name of base in the test zone. */
export const bucket = (base) => `${base}--${AZ}--x-s3`;

export const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ---- the browser ----

/** Launches Debian's Chromium headless with the flags the issue names. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.ZONAL_BROWSER_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    timeout: 30_000,
  });
}

/**
 * A fresh browser context (its own cookies) and page at 1280x800. The
 * page accepts the console's confirm() dialogs and records every dialog
 * in `dialogs` ({type, message}), so a test can assert which appeared.
 */
export async function openPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const dialogs = [];
  page.on('dialog', async (d) => {
    dialogs.push({ type: d.type(), message: d.message() });
    if (d.type() === 'confirm') await d.accept();
    else await d.dismiss();
  });
  return { context, page, dialogs };
}

const shotsDir = process.env.ZONAL_BROWSER_SHOTS;
if (shotsDir) mkdirSync(shotsDir, { recursive: true });

/** Saves a full-page PNG of the page as NAME.png in the screenshots folder. */
export async function shot(page, name, { fullPage = true } = {}) {
  if (!shotsDir) return;
  await page.screenshot({ path: path.join(shotsDir, `${name}.png`), fullPage, animations: 'disabled' });
}

/**
 * Signs in through the form; resolves to the response of the form's POST
 * (its status: 303 on success, 401 when refused).
 */
export async function signIn(page, { accessKeyId, secretAccessKey }) {
  await page.goto(`${CONSOLE}signin`);
  await page.getByLabel('Access key id').fill(accessKeyId);
  await page.getByLabel('Secret access key').fill(secretAccessKey);
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${CONSOLE}signin` && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  await page.waitForLoadState();
  return resp;
}

/** Signs in and asserts the console accepted the key (the buckets page). */
export async function signInOK(page, creds) {
  const resp = await signIn(page, creds);
  assert.equal(resp.status(), 303, 'the sign-in was refused');
  assert.equal(page.url(), `${CONSOLE}buckets`);
}

/** A browser of its own with a page signed in as creds (the root by default). */
export async function signedIn(creds = ROOT) {
  const browser = await launch();
  const opened = await openPage(browser);
  await signInOK(opened.page, creds);
  return { browser, ...opened };
}

/** The session's CSRF token, read from the sign-out form every page has. */
export function csrfToken(page) {
  return page.locator('form.signout input[name="csrf"]').inputValue();
}

/**
 * POSTs a urlencoded form with the page's cookies, as a forged request
 * would (an array value sends its field once per item). Redirects are not
 * followed, so a change shows as its 303.
 */
export function postForm(page, rel, form, headers = {}) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const item of [v].flat()) body.append(k, item);
  return page.request.post(CONSOLE + rel, {
    data: body.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    maxRedirects: 0,
    failOnStatusCode: false,
  });
}

/** Goes to a console page and asserts the HTTP status it answered with. */
export async function visit(page, rel, status = 200) {
  const resp = await page.goto(CONSOLE + rel);
  assert.equal(resp.status(), status, `GET ${rel}`);
  return resp;
}

/** The text of the page's error message (the .error element). */
export function errorText(page) {
  return page.locator('.error').first().textContent();
}

// ---- S3 and IAM as the root ----

/** A stock S3 client signed with creds (the root's by default). */
export function s3(creds = ROOT) {
  return new S3Client({ region: REGION, endpoint: ENDPOINT, credentials: creds, maxAttempts: 1 });
}

export async function createBucket(client, name) {
  await client.send(
    new CreateBucketCommand({
      Bucket: name,
      CreateBucketConfiguration: {
        Location: { Type: 'AvailabilityZone', Name: AZ },
        Bucket: { DataRedundancy: 'SingleAvailabilityZone', Type: 'Directory' },
      },
    }),
  );
}

export async function putObject(client, Bucket, Key, Body, extra = {}) {
  await client.send(new PutObjectCommand({ Bucket, Key, Body, ...extra }));
}

/** Every key of a bucket, sorted. */
export async function listKeys(client, Bucket) {
  const keys = [];
  let ContinuationToken;
  do {
    const out = await client.send(new ListObjectsV2Command({ Bucket, ContinuationToken }));
    for (const o of out.Contents ?? []) keys.push(o.Key);
    ContinuationToken = out.NextContinuationToken;
  } while (ContinuationToken);
  return keys.sort();
}

export async function bucketNames(client) {
  const out = await client.send(new ListDirectoryBucketsCommand({}));
  return (out.Buckets ?? []).map((b) => b.Name).sort();
}

export async function getBytes(client, Bucket, Key) {
  const out = await client.send(new GetObjectCommand({ Bucket, Key }));
  return Buffer.from(await out.Body.transformToByteArray());
}

/** HeadObject, or null when the object does not exist. */
export async function headObject(client, Bucket, Key) {
  try {
    return await client.send(new HeadObjectCommand({ Bucket, Key }));
  } catch (err) {
    if (err?.$metadata?.httpStatusCode === 404) return null;
    throw err;
  }
}

/** node:crypto as the Hash the SDK's SigV4 signer wants. */
class Sha256 {
  constructor(secret) {
    this.h = secret ? createHmac('sha256', secret) : createHash('sha256');
  }
  update(data) {
    this.h.update(data);
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
}

/**
 * One IAM query API call (zonal serves IAM at the S3 endpoint, routed by
 * the signature's service), signed with creds. Resolves to {status, body};
 * throws when the call fails, unless allowError.
 */
export async function iam(action, params = {}, { creds = ROOT, allowError = false } = {}) {
  const url = new URL(ENDPOINT);
  const body = new URLSearchParams({ Action: action, Version: '2010-05-08', ...params }).toString();
  const signer = new SignatureV4({ service: 'iam', region: REGION, credentials: creds, sha256: Sha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
  });
  const resp = await fetch(`${ENDPOINT}/`, { method: 'POST', headers: signed.headers, body });
  const text = await resp.text();
  if (!resp.ok && !allowError) throw new Error(`IAM ${action}: ${resp.status} ${text}`);
  return { status: resp.status, body: text };
}

/** The text of the first <tag> in an XML document, or undefined. */
export function xmlValue(xml, tag) {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return m ? decodeXML(m[1]) : undefined;
}

/** Every <tag> text in an XML document. */
export function xmlValues(xml, tag) {
  return [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => decodeXML(m[1]));
}

function decodeXML(s) {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&');
}

/** Creates an IAM user with an access key; resolves to its credentials. */
export async function createUser(name, inline = {}) {
  await iam('CreateUser', { UserName: name });
  for (const [PolicyName, doc] of Object.entries(inline)) {
    await iam('PutUserPolicy', { UserName: name, PolicyName, PolicyDocument: JSON.stringify(doc) });
  }
  const { body } = await iam('CreateAccessKey', { UserName: name });
  return { accessKeyId: xmlValue(body, 'AccessKeyId'), secretAccessKey: xmlValue(body, 'SecretAccessKey') };
}

/**
 * A policy letting its user list directory buckets and open ReadOnly
 * sessions on every bucket of the account: read, list and download, no
 * changes.
 */
export const readOnlyPolicy = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'ListBuckets', Effect: 'Allow', Action: 's3express:ListAllMyDirectoryBuckets', Resource: '*' },
    {
      Sid: 'ReadOnlySessions',
      Effect: 'Allow',
      Action: 's3express:CreateSession',
      Resource: `arn:aws:s3express:${REGION}:${ACCOUNT}:bucket/*`,
      Condition: { StringEquals: { 's3express:SessionMode': 'ReadOnly' } },
    },
  ],
};

/**
 * The link of a sub-folder in the objects browser, by its text (its
 * accessible name also holds the folder icon the style sheet adds).
 */
export function folderLink(page, name) {
  return page.locator('tr.folder a').filter({ hasText: new RegExp(`^${name.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}$`) });
}
