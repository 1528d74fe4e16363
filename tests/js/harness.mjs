// Test harness of the JS interop suite: starts the real zonal binary on a free
// loopback port and builds stock @aws-sdk/client-s3 clients pointed at it.
//
// The binary comes from $ZONAL_BIN (run.sh builds it once); when that is unset
// the harness builds ./cmd/zonal itself, so `node --test *.test.mjs` also works.
// ZONAL_JS_VERBOSE=1 copies the servers' output to stderr; ZONAL_JS_SERVER_ARGS
// adds flags to every `zonal server` (e.g. "--log-level debug").

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

import { S3Client } from '@aws-sdk/client-s3';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export const ACCESS_KEY = 'AKIAZONALJSTEST00001';
export const SECRET_KEY = 'zonalJsTestSecretKey00000000000000000001'; // 40 chars
export const REGION = 'us-east-1';
export const AZ = 'use1-az4';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');

let builtBin; // built by this process when $ZONAL_BIN is unset

function zonalBinary() {
  if (process.env.ZONAL_BIN) {
    if (!existsSync(process.env.ZONAL_BIN)) {
      throw new Error(`ZONAL_BIN=${process.env.ZONAL_BIN} does not exist`);
    }
    return process.env.ZONAL_BIN;
  }
  if (!builtBin) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'zonal-js-bin-'));
    builtBin = path.join(dir, 'zonal');
    execFileSync('go', ['build', '-o', builtBin, './cmd/zonal'], {
      cwd: repoRoot,
      stdio: 'inherit',
      timeout: 300_000,
    });
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return builtBin;
}

/** A free TCP port on 127.0.0.1 (listen on port 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * One GET with a hard timeout; resolves to the status code (or rejects).
 * Over https the certificate is not checked: this only asks whether the
 * server is up; the tests check the certificate themselves.
 */
function httpStatus(url, timeoutMs) {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(url, { timeout: timeoutMs, agent: false, rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** The hostname endpoint a --tls-self-signed certificate covers, with its subdomains. */
export const TLS_HOST = 's3.localhost';

/**
 * Start a zonal server in a fresh data folder. Returns
 * { port, endpoint, hostEndpoint, output(), stop() }, and with `tls` also
 * { ca, caFile }. `extraArgs` are appended to `zonal server`. `tls` serves
 * HTTPS with --tls-self-signed; hostEndpoint is then https://s3.localhost:PORT.
 */
export async function startServer({ extraArgs = [], readyTimeoutMs = 15_000, tls = false } = {}) {
  const bin = zonalBinary();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'zonal-js-data-'));

  // A port picked by listen(0) can be taken by someone else before the server
  // binds it; retry a few times with a new port if the process dies early.
  let lastErr;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const scheme = tls ? 'https' : 'http';
    const env = { ...process.env };
    for (const k of Object.keys(env)) {
      if (k.startsWith('AWS_') || k.startsWith('ZONAL_')) delete env[k];
    }
    env.ZONAL_ROOT_ACCESS_KEY = ACCESS_KEY;
    env.ZONAL_ROOT_SECRET_KEY = SECRET_KEY;

    const child = spawn(
      bin,
      [
        'server',
        '--addr',
        `127.0.0.1:${port}`,
        '--data',
        dataDir,
        '--session-ttl',
        '5m',
        ...(process.env.ZONAL_JS_SERVER_ARGS ?? '').split(/\s+/).filter(Boolean),
        ...(tls ? ['--tls-self-signed'] : []),
        ...extraArgs,
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    const keep = (chunk) => {
      out += chunk.toString();
      if (out.length > 1_000_000) out = out.slice(-500_000);
      if (process.env.ZONAL_JS_VERBOSE) process.stderr.write(chunk);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let exited = null;
    const exitPromise = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        exited = { code, signal };
        resolve(exited);
      });
    });

    const deadline = Date.now() + readyTimeoutMs;
    let ready = false;
    while (Date.now() < deadline && !exited) {
      try {
        if ((await httpStatus(`${scheme}://127.0.0.1:${port}/_zonal/health`, 1000)) === 200) {
          ready = true;
          break;
        }
      } catch {
        // not listening yet
      }
      await sleep(50);
    }

    const stop = async () => {
      if (!exited) {
        child.kill('SIGTERM');
        const killTimer = setTimeout(() => {
          if (!exited) child.kill('SIGKILL');
        }, 5_000);
        await exitPromise;
        clearTimeout(killTimer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    };

    if (ready) {
      const caFile = path.join(dataDir, 'tls', 'cert.pem');
      return {
        port,
        endpoint: `${scheme}://127.0.0.1:${port}`,
        hostEndpoint: tls ? `https://${TLS_HOST}:${port}` : `http://localhost:${port}`,
        ...(tls ? { caFile, ca: readFileSync(caFile) } : {}),
        output: () => out,
        stop,
      };
    }
    lastErr = new Error(
      `zonal did not become ready on port ${port} within ${readyTimeoutMs} ms` +
        (exited ? ` (exited: ${JSON.stringify(exited)})` : '') +
        `\n--- server output ---\n${out}`,
    );
    if (!exited) {
      await stop();
      break; // it ran but never got healthy: a new port will not help
    }
    // exited early (port taken?): try again with another port
  }
  rmSync(dataDir, { recursive: true, force: true });
  throw lastErr;
}

/** A unique directory-bucket name in the test AZ. */
export function bucketName(tag = 'js') {
  return `${tag}-${randomBytes(5).toString('hex')}--${AZ}--x-s3`;
}

export const directoryBucketConfiguration = {
  Location: { Type: 'AvailabilityZone', Name: AZ },
  Bucket: { DataRedundancy: 'SingleAvailabilityZone', Type: 'Directory' },
};

/** An agent whose lookup sends every name to 127.0.0.1 (both callback forms). */
export function loopbackAgent() {
  return new http.Agent({
    keepAlive: true,
    lookup: (hostname, options, cb) => {
      if (typeof options === 'function') {
        cb = options;
        options = {};
      }
      if (options && options.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
      else cb(null, '127.0.0.1', 4);
    },
  });
}

/**
 * A dns.lookup that answers 127.0.0.1 for s3.localhost and its subdomains
 * (the bucket hosts of virtual-hosted style, which the system resolver may
 * not know) and asks the system for any other name. Both callback forms.
 */
export function s3LocalhostLookup(hostname, options, cb) {
  if (typeof options === 'function') {
    cb = options;
    options = {};
  }
  const h = hostname.toLowerCase();
  if (h !== TLS_HOST && !h.endsWith(`.${TLS_HOST}`)) {
    dns.lookup(hostname, options, cb);
    return;
  }
  if (options && options.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
  else cb(null, '127.0.0.1', 4);
}

/** An https.Agent trusting only `ca` and resolving *.s3.localhost to loopback. */
export function tlsLoopbackAgent(ca) {
  return new https.Agent({ keepAlive: true, ca, lookup: s3LocalhostLookup });
}

/**
 * A request handler that records every request the SDK sends (method,
 * hostname, path, query, headers — after signing — and the response status
 * and headers) and forwards it to a stock NodeHttpHandler. It sees the SDK's
 * implicit CreateSession calls too: they go through the same client.
 */
export class RecordingHandler {
  constructor(inner = new NodeHttpHandler({ requestTimeout: 30_000, connectionTimeout: 5_000 })) {
    this.inner = inner;
    this.requests = [];
    this.metadata = inner.metadata;
  }
  handle(request, options) {
    const headers = {};
    for (const [k, v] of Object.entries(request.headers ?? {})) headers[k.toLowerCase()] = v;
    const rec = {
      protocol: request.protocol,
      method: request.method,
      hostname: request.hostname,
      port: request.port,
      path: request.path,
      query: { ...(request.query ?? {}) },
      headers,
      status: undefined, // filled in when the response arrives
      responseHeaders: undefined,
    };
    this.requests.push(rec);
    return this.inner.handle(request, options).then((out) => {
      rec.status = out.response?.statusCode;
      rec.responseHeaders = out.response?.headers;
      return out;
    });
  }
  updateHttpClientConfig(key, value) {
    this.inner.updateHttpClientConfig?.(key, value);
  }
  httpHandlerConfigs() {
    return this.inner.httpHandlerConfigs?.() ?? {};
  }
  destroy() {
    this.inner.destroy?.();
  }
}

/**
 * A stock S3Client for the endpoint. `requestHandler` is optional; the
 * default is the SDK's own, with timeouts so no test can hang.
 */
export function newClient(endpoint, { requestHandler, ...rest } = {}) {
  return new S3Client({
    region: REGION,
    endpoint,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    requestHandler:
      requestHandler ?? new NodeHttpHandler({ requestTimeout: 30_000, connectionTimeout: 5_000 }),
    maxAttempts: 1, // a failure should show as it is, not be retried away
    ...rest,
  });
}

/** A stock S3ControlClient for the endpoint, with the test keys. */
export function newControlClient(endpoint) {
  return new S3ControlClient({
    region: REGION,
    endpoint,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    maxAttempts: 1,
  });
}

/** Collect a GetObject Body (SDK stream mixin) into a Buffer. */
export async function bodyBytes(body) {
  return Buffer.from(await body.transformToByteArray());
}

/** Runs fn and returns the error it rejects with (fails when it resolves). */
export async function rejection(fn) {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** A short, readable description of an SDK error for assertion messages. */
export function describeError(err) {
  return `${err?.name} (${err?.$metadata?.httpStatusCode}): ${err?.message}`;
}
