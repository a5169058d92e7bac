#!/usr/bin/env node
// Drives the official TypeScript weaviate-client (v3) through a list of actions.
//
// Input: ONE JSON document, from the file named by the first argument or from stdin; the same
// shape as weaviate_py.py reads (connection, credential, actions). Output: ONE JSON document on
// stdout, {"client": "typescript", "client_version": "...", "results": [...]}, one result per
// action: {action, ok, error_class, status, grpc_code, message, value, warnings}. Several
// documents may come at once as {"sessions": [doc, ...]}: they run one after the other in this
// process, each with its own client, and the output holds "sessions": [{"results": [...]}, ...].
//
// Every exception is data: exit 0 unless the input is unusable (exit 2). `error_class` is the
// error's `name` (the client's classes are not exported from the package root, so `name` is what
// applications match on). `status` is the error's numeric `code` when it has one (HTTP status or
// gRPC code). `grpc_code` is a gRPC status name found in the error or its message. Classes made
// by the driver itself carry `"synthetic": true`: DriverNotConnected, BatchObjectErrors,
// DriverUnknownAction.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import weaviate from 'weaviate-client';

const USAGE_EXIT = 2;
const require = createRequire(import.meta.url);
// The package does not export its package.json; find it above the resolved entry point.
function findClientVersion() {
  let dir = dirname(require.resolve('weaviate-client'));
  for (let i = 0; i < 6; i += 1) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg.name === 'weaviate-client') return pkg.version;
    } catch {
      // keep walking up
    }
    dir = dirname(dir);
  }
  return null;
}
const clientVersion = findClientVersion();

// Each object's properties without unset (null/undefined) values, keys sorted, the list sorted
// by JSON text; the Python driver prints the same shape.
function canonicalProperties(list) {
  const clean = (p) => Object.fromEntries(
    Object.entries(p ?? {}).filter(([, v]) => v !== null && v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return list.map(clean).sort((a, b) => {
    const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

function failInput(why) {
  process.stderr.write(`weaviate_ts: unusable input: ${why}\n`);
  process.exit(USAGE_EXIT);
}

function readInput() {
  const arg = process.argv[2];
  let text;
  try {
    text = arg && arg !== '-' ? readFileSync(arg, 'utf8') : readFileSync(0, 'utf8');
  } catch (e) {
    failInput(e.message);
  }
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    failInput(e.message);
  }
  if (doc && typeof doc === 'object' && Array.isArray(doc.sessions)) {
    doc.sessions.forEach(checkSession);
  } else {
    checkSession(doc);
  }
  return doc;
}

function checkSession(doc) {
  if (!doc || typeof doc !== 'object' || typeof doc.connection !== 'object' || !doc.connection) {
    failInput('expected an object with a `connection` object');
  }
  if (doc.actions !== undefined && !Array.isArray(doc.actions)) failInput('`actions` must be a list');
}

function splitHostPort(value, what) {
  const s = String(value ?? '');
  const i = s.lastIndexOf(':');
  const port = Number(s.slice(i + 1));
  if (i < 0 || !Number.isInteger(port)) failInput(`${what} must be host:port, got ${JSON.stringify(s)}`);
  return [s.slice(0, i).replace(/^\[|\]$/g, ''), port];
}

function credentials(cred) {
  const kind = cred?.kind ?? 'none';
  switch (kind) {
    case 'none':
      return undefined;
    case 'api_key':
      return new weaviate.ApiKey(cred.key);
    case 'bearer':
      return new weaviate.AuthAccessTokenCredentials({
        accessToken: cred.access_token,
        expiresIn: cred.expires_in ?? 60,
        refreshToken: cred.refresh_token ?? undefined,
      });
    case 'password':
      return new weaviate.AuthUserPasswordCredentials({
        username: cred.username,
        password: cred.password,
        // A list of several scopes arrives comma-joined; the client wants one spaced string.
        scopes: cred.scopes ? [cred.scopes.join(' ')] : undefined,
      });
    case 'client_credentials':
      return new weaviate.AuthClientCredentials({
        clientSecret: cred.client_secret,
        scopes: cred.scopes ? [cred.scopes.join(' ')] : undefined,
      });
    default:
      failInput(`unknown credential kind ${JSON.stringify(kind)}`);
  }
}

const GRPC_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND',
  'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED',
  'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
];

function grpcCodeOf(err) {
  for (let e = err, depth = 0; e && depth < 5; e = e.cause, depth += 1) {
    if (e.name === 'ClientError' && Number.isInteger(e.code)) return GRPC_NAMES[e.code] ?? String(e.code);
    const m = /\b(CANCELLED|UNKNOWN|INVALID_ARGUMENT|DEADLINE_EXCEEDED|NOT_FOUND|ALREADY_EXISTS|PERMISSION_DENIED|RESOURCE_EXHAUSTED|FAILED_PRECONDITION|ABORTED|OUT_OF_RANGE|UNIMPLEMENTED|INTERNAL|UNAVAILABLE|DATA_LOSS|UNAUTHENTICATED):/.exec(
      String(e.message ?? ''),
    );
    if (m) return m[1];
  }
  return null;
}

function describe(err) {
  const e = err ?? {};
  const cause = e.cause;
  return {
    ok: false,
    error_class: e.name ?? e.constructor?.name ?? typeof err,
    status: Number.isInteger(e.code) ? e.code : null,
    grpc_code: grpcCodeOf(e),
    message: e.message ?? String(err),
    cause_class: cause ? cause.name ?? null : null,
    cause_message: cause ? cause.message ?? String(cause) : null,
  };
}

class Driver {
  constructor(doc) {
    this.doc = doc;
    this.client = null;
  }

  options() {
    const conn = this.doc.connection;
    let rest;
    try {
      rest = new URL(conn.rest_url);
    } catch {
      failInput('connection.rest_url must be an http(s) URL');
    }
    if (rest.protocol !== 'http:' && rest.protocol !== 'https:') failInput('connection.rest_url must be an http(s) URL');
    const secure = rest.protocol === 'https:';
    const [grpcHost, grpcPort] = splitHostPort(conn.grpc, 'connection.grpc');
    const t = conn.timeouts ?? {};
    return {
      httpHost: rest.hostname.replace(/^\[|\]$/g, ''),
      httpPort: rest.port ? Number(rest.port) : secure ? 443 : 80,
      httpSecure: secure,
      grpcHost,
      grpcPort,
      grpcSecure: Boolean(conn.grpc_secure),
      authCredentials: credentials(this.doc.credential),
      skipInitChecks: Boolean(conn.skip_init_checks),
      timeout: { init: t.init ?? 10, query: t.query ?? 30, insert: t.insert ?? 90 },
    };
  }

  async run(act) {
    const name = act.action;
    if (name === 'connect') {
      this.client = await weaviate.connectToCustom(this.options());
      return { value: null };
    }
    const c = this.client;
    if (!c) {
      return {
        ok: false, error_class: 'DriverNotConnected', synthetic: true, status: null, grpc_code: null,
        message: 'no successful connect before this action',
      };
    }
    switch (name) {
      case 'is_ready':
        return { value: await c.isReady() };
      case 'meta':
        return { value: (await c.getMeta()).version ?? null };
      case 'create_collection':
        await c.collections.create({ name: act.name });
        return { value: act.name };
      case 'insert':
        return { value: String(await c.collections.use(act.collection).data.insert(act.properties ?? {})) };
      case 'query': {
        const res = await c.collections.use(act.collection).query.fetchObjects({ limit: act.limit ?? 100 });
        return { value: res.objects.length };
      }
      case 'fetch': {
        const res = await c.collections.use(act.collection).query.fetchObjects({ limit: act.limit ?? 100 });
        return { value: canonicalProperties(res.objects.map((o) => o.properties)) };
      }
      case 'count':
        return { value: (await c.collections.use(act.collection).aggregate.overAll()).totalCount };
      case 'batch_insert': {
        const n = Number(act.n ?? 1);
        const objs = Array.from({ length: n }, (_, i) => ({ n: i }));
        const res = await c.collections.use(act.collection).data.insertMany(objs);
        if (res.hasErrors) {
          const errs = Object.values(res.errors);
          return {
            ok: false, error_class: 'BatchObjectErrors', synthetic: true, status: null, grpc_code: null,
            message: errs[0]?.message ?? null, value: errs.length,
          };
        }
        return { value: Object.keys(res.uuids).length };
      }
      case 'delete_collection':
        await c.collections.delete(act.name ?? act.collection);
        return { value: null };
      case 'own_info':
        return { value: (await c.users.getMyUser()).id ?? null };
      default:
        return {
          ok: false, error_class: 'DriverUnknownAction', synthetic: true, status: null, grpc_code: null,
          message: `unknown action ${JSON.stringify(name)}`,
        };
    }
  }

  stop() {
    try {
      this.client?.oidcAuth?.stopTokenRefresh();
    } catch {
      // best effort
    }
  }
}

// Runs one connection's actions and closes its client; returns the results. `caught` collects
// what the client printed during one action.
async function runSession(doc, console_) {
  const driver = new Driver(doc);
  const results = [];
  for (const act of doc.actions ?? []) {
    if (!act || typeof act !== 'object') failInput('each action must be an object');
    const entry = { action: act.action, ok: true, error_class: null, status: null, grpc_code: null, message: null };
    console_.caught = [];
    try {
      Object.assign(entry, await driver.run(act));
    } catch (err) {
      Object.assign(entry, describe(err));
    }
    entry.warnings = console_.caught;
    results.push(entry);
  }
  driver.stop();
  try {
    await driver.client?.close();
  } catch {
    // closing is not an action
  }
  return results;
}

async function main() {
  const doc = readInput();
  // The client warns through console.warn/console.log; keep stdout for our one JSON document.
  const console_ = { caught: [] };
  const keep = (...args) => {
    console_.caught.push(args.map(String).join(' '));
  };
  console.warn = keep;
  console.log = keep;
  console.info = keep;
  // A failure inside the client's silent-refresh timer is an unhandled rejection.
  const background = [];
  process.on('unhandledRejection', (err) => background.push(describe(err)));

  const out = { client: 'typescript', client_version: clientVersion };
  if (Array.isArray(doc.sessions)) {
    out.sessions = [];
    for (const session of doc.sessions) out.sessions.push({ results: await runSession(session, console_) });
  } else {
    out.results = await runSession(doc, console_);
  }
  if (background.length) out.background_errors = background;
  process.stdout.write(`${JSON.stringify(out)}\n`, () => process.exit(0));
}

main().catch((err) => {
  process.stderr.write(`weaviate_ts: driver bug: ${err?.stack ?? err}\n`);
  process.exit(1);
});
