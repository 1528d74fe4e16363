// A page of 1,000 objects: the browser page of a bucket holding 1,000
// objects lists them all on one page. How long it takes is measured and
// printed (the server's time to the first byte and the browser's load
// event, from the Navigation Timing entry), never asserted: timings depend
// on the machine. The figures also go to $ZONAL_BROWSER_PERF when set.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';

import { bucket, signedIn, shot, visit, s3, createBucket, putObject } from './harness.mjs';

const BUCKET = bucket('thousand');
const N = 1000;
const LOADS = 10;

const keyOf = (i) => `object-${String(i).padStart(4, '0')}.txt`;

/** Runs fn(i) for 0..n-1, `width` at a time. */
async function pool(n, width, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x) => Math.round(x * 10) / 10;

describe('a bucket of 1,000 objects', () => {
  let browser, page, client;

  before(async () => {
    client = s3();
    await createBucket(client, BUCKET);
    await pool(N, 16, (i) => putObject(client, BUCKET, keyOf(i), `object ${i}\n`));
    ({ browser, page } = await signedIn());
  });

  after(async () => {
    client?.destroy();
    await browser?.close();
  });

  test('its page lists all 1,000; the server and load times are printed', async (t) => {
    const runs = [];
    for (let i = 0; i < LOADS; i++) {
      await visit(page, `b/${BUCKET}/`);
      // goto resolves at the load event; its end is stamped just after.
      await page.waitForFunction(() => performance.getEntriesByType('navigation')[0]?.loadEventEnd > 0);
      runs.push(
        await page.evaluate(() => {
          const nav = performance.getEntriesByType('navigation')[0];
          return {
            server: nav.responseStart - nav.requestStart,
            received: nav.responseEnd - nav.startTime,
            dcl: nav.domContentLoadedEventEnd - nav.startTime,
            load: nav.loadEventEnd - nav.startTime,
            bytes: nav.transferSize,
          };
        }),
      );
    }
    const figures = {
      objects: N,
      loads: LOADS,
      first: { serverMs: round(runs[0].server), loadMs: round(runs[0].load) },
      median: {
        serverMs: round(median(runs.map((r) => r.server))),
        receivedMs: round(median(runs.map((r) => r.received))),
        domContentLoadedMs: round(median(runs.map((r) => r.dcl))),
        loadMs: round(median(runs.map((r) => r.load))),
      },
      max: { serverMs: round(Math.max(...runs.map((r) => r.server))), loadMs: round(Math.max(...runs.map((r) => r.load))) },
      pageBytes: runs[0].bytes,
    };
    const line = `page of ${N} objects over ${LOADS} loads: server (requestStart to responseStart) median ${figures.median.serverMs} ms, max ${figures.max.serverMs} ms; last byte median ${figures.median.receivedMs} ms, DOMContentLoaded median ${figures.median.domContentLoadedMs} ms, load event median ${figures.median.loadMs} ms, max ${figures.max.loadMs} ms; first load ${figures.first.serverMs} / ${figures.first.loadMs} ms; ${figures.pageBytes} bytes`;
    t.diagnostic(line);
    console.log(`perf: ${line}`);
    if (process.env.ZONAL_BROWSER_PERF) await writeFile(process.env.ZONAL_BROWSER_PERF, `${JSON.stringify(figures, null, 2)}\n`);

    // The listing (of the last load): every object, in order, and no further page.
    const names = await page.locator('tbody tr a[href*="object?key="]').allTextContents();
    assert.deepEqual(names, Array.from({ length: N }, (_, j) => keyOf(j)));
    assert.equal(await page.getByRole('link', { name: 'Next page' }).count(), 0);
    await shot(page, 'objects-1000', { fullPage: false });
    assert.equal(await page.getByLabel(/^Select object-/).count(), N);
  });
});
