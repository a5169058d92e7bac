#!/usr/bin/env python3
"""Drives the official Python weaviate-client (v4) through a list of actions.

Input: ONE JSON document, from the file named by the first argument or from stdin:

    {
      "connection": {"rest_url": "http://127.0.0.1:8080", "grpc": "127.0.0.1:50051",
                     "grpc_secure": false, "skip_init_checks": false,
                     "timeouts": {"init": 10, "query": 30, "insert": 90}},
      "credential": {"kind": "none"}
                  | {"kind": "api_key", "key": "..."}
                  | {"kind": "bearer", "access_token": "...", "refresh_token": null, "expires_in": 60}
                  | {"kind": "password", "username": "...", "password": "...", "scopes": ["..."]}
                  | {"kind": "client_credentials", "client_secret": "...", "scopes": ["..."]},
      "actions": [{"action": "connect"}, {"action": "meta"},
                  {"action": "create_collection", "name": "C"}, ...]
    }

Several such documents may come at once as {"sessions": [doc, doc, ...]}: they run one after
the other in this one process (one interpreter start for many connections), each with its own
client, and the output is {"client": ..., "client_version": ..., "sessions": [{"results":
[...]}, ...]}.

Output: ONE JSON document on stdout:

    {"client": "python", "client_version": "4.23.1", "results": [
       {"action": "connect", "ok": true, "error_class": null, "status": null, "message": null,
        "grpc_code": null, "value": ..., "warnings": [...]}, ...]}

Every exception is data: the driver exits 0 unless the input itself is unusable (exit 2).
`error_class` is the client's exception class name; `status` is the HTTP status (or the
numeric gRPC code) when the client exposes one; `grpc_code` is the gRPC status name found in
the exception's cause chain. Two classes are made by the driver, not the client, and say so
with `"synthetic": true`: `DriverNotConnected` (an action before a successful connect) and
`BatchObjectErrors` (insert_many returned per-object errors without raising).
"""

import json
import logging
import sys
import traceback
import warnings
from urllib.parse import urlparse

USAGE_EXIT = 2


def fail_input(why):
    print(f"weaviate_py: unusable input: {why}", file=sys.stderr)
    sys.exit(USAGE_EXIT)


def read_input():
    try:
        if len(sys.argv) > 1 and sys.argv[1] != "-":
            with open(sys.argv[1], encoding="utf-8") as f:
                doc = json.load(f)
        else:
            doc = json.load(sys.stdin)
    except (OSError, ValueError) as e:
        fail_input(e)
    if isinstance(doc, dict) and isinstance(doc.get("sessions"), list):
        for session in doc["sessions"]:
            check_session(session)
        return doc
    check_session(doc)
    return doc


def check_session(doc):
    if not isinstance(doc, dict) or not isinstance(doc.get("connection"), dict):
        fail_input("expected an object with a `connection` object")
    if not isinstance(doc.get("actions", []), list):
        fail_input("`actions` must be a list")


def split_host_port(value, what):
    host, sep, port = str(value).rpartition(":")
    if not sep or not port.isdigit():
        fail_input(f"{what} must be host:port, got {value!r}")
    return host.strip("[]"), int(port)


# Imported after input checks so a bad document fails fast and cheaply.
def load_client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import weaviate  # noqa: F401
        import weaviate.classes as wvc  # noqa: F401
    return weaviate


def grpc_status_of(exc):
    """The gRPC status (numeric code, name) found in the exception's cause chain."""
    seen = set()
    cur = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        code = getattr(cur, "code", None)
        if callable(code):
            try:
                c = code()
                value = getattr(c, "value", None)
                if isinstance(value, tuple) and value and isinstance(value[0], int):
                    return value[0], c.name
            except Exception:  # noqa: BLE001 - best effort only
                pass
        cur = cur.__cause__ or cur.__context__
    return None, None


def describe(exc):
    status = getattr(exc, "status_code", None)
    if not isinstance(status, int):
        status = None
    grpc_num, grpc_name = grpc_status_of(exc)
    if status is None and grpc_num is not None:
        status = grpc_num
    cause = exc.__cause__ or exc.__context__
    return {
        "ok": False,
        "error_class": type(exc).__name__,
        "error_module": type(exc).__module__,
        "status": status,
        "grpc_code": grpc_name,
        "message": str(exc),
        "cause_class": type(cause).__name__ if cause is not None else None,
        "cause_message": str(cause) if cause is not None else None,
    }


def credentials(weaviate, cred):
    from weaviate.classes.init import Auth

    kind = (cred or {}).get("kind", "none")
    if kind == "none":
        return None
    if kind == "api_key":
        return Auth.api_key(cred["key"])
    if kind == "bearer":
        args = {"access_token": cred["access_token"]}
        if cred.get("expires_in") is not None:
            args["expires_in"] = int(cred["expires_in"])
        if cred.get("refresh_token") is not None:
            args["refresh_token"] = cred["refresh_token"]
        return Auth.bearer_token(**args)
    if kind == "password":
        return Auth.client_password(
            username=cred["username"], password=cred["password"], scope=cred.get("scopes")
        )
    if kind == "client_credentials":
        return Auth.client_credentials(client_secret=cred["client_secret"], scope=cred.get("scopes"))
    fail_input(f"unknown credential kind {kind!r}")


class Driver:
    def __init__(self, weaviate, doc):
        self.weaviate = weaviate
        self.doc = doc
        self.client = None
        self.connected = False

    def build_client(self):
        from weaviate.classes.init import AdditionalConfig, Timeout
        from weaviate.connect import ConnectionParams

        conn = self.doc["connection"]
        rest = urlparse(conn.get("rest_url", ""))
        if rest.scheme not in ("http", "https") or not rest.hostname:
            fail_input("connection.rest_url must be an http(s) URL")
        grpc_host, grpc_port = split_host_port(conn.get("grpc", ""), "connection.grpc")
        t = conn.get("timeouts") or {}
        timeout = Timeout(
            init=t.get("init", 10), query=t.get("query", 30), insert=t.get("insert", 90)
        )
        params = ConnectionParams.from_params(
            http_host=rest.hostname,
            http_port=rest.port or (443 if rest.scheme == "https" else 80),
            http_secure=rest.scheme == "https",
            grpc_host=grpc_host,
            grpc_port=grpc_port,
            grpc_secure=bool(conn.get("grpc_secure", False)),
        )
        return self.weaviate.WeaviateClient(
            connection_params=params,
            auth_client_secret=credentials(self.weaviate, self.doc.get("credential")),
            additional_config=AdditionalConfig(timeout=timeout),
            skip_init_checks=bool(conn.get("skip_init_checks", False)),
        )

    def need_client(self):
        if not self.connected:
            return {
                "ok": False,
                "error_class": "DriverNotConnected",
                "synthetic": True,
                "status": None,
                "grpc_code": None,
                "message": "no successful connect before this action",
            }
        return None

    def run(self, act):
        name = act.get("action")
        if name == "connect":
            self.client = self.build_client()
            self.client.connect()
            self.connected = True
            return {"value": None}
        missing = self.need_client()
        if missing:
            return missing
        c = self.client
        if name == "is_ready":
            return {"value": c.is_ready()}
        if name == "meta":
            return {"value": c.get_meta().get("version")}
        if name == "create_collection":
            c.collections.create(act["name"])
            return {"value": act["name"]}
        if name == "insert":
            uid = c.collections.use(act["collection"]).data.insert(act.get("properties") or {})
            return {"value": str(uid)}
        if name == "query":
            res = c.collections.use(act["collection"]).query.fetch_objects(limit=act.get("limit", 100))
            return {"value": len(res.objects)}
        if name == "fetch":
            res = c.collections.use(act["collection"]).query.fetch_objects(limit=act.get("limit", 100))
            return {"value": canonical_properties(o.properties for o in res.objects)}
        if name == "count":
            res = c.collections.use(act["collection"]).aggregate.over_all(total_count=True)
            return {"value": res.total_count}
        if name == "batch_dynamic":
            n = int(act.get("n", 1))
            coll = c.collections.use(act["collection"])
            with coll.batch.dynamic() as batch:
                for i in range(n):
                    batch.add_object({"m": i})
            failed = coll.batch.failed_objects
            if failed:
                return batch_object_errors(failed[0].message, len(failed))
            return {"value": n}
        if name == "batch_insert":
            n = int(act.get("n", 1))
            objs = [{"n": i} for i in range(n)]
            res = c.collections.use(act["collection"]).data.insert_many(objs)
            if res.has_errors:
                first = next(iter(res.errors.values()))
                return batch_object_errors(getattr(first, "message", str(first)), len(res.errors))
            return {"value": len(res.uuids)}
        if name == "delete_collection":
            c.collections.delete(act.get("name") or act.get("collection"))
            return {"value": None}
        if name == "own_info":
            user = c.users.get_my_user()
            return {"value": getattr(user, "user_id", None)}
        return {
            "ok": False,
            "error_class": "DriverUnknownAction",
            "synthetic": True,
            "status": None,
            "grpc_code": None,
            "message": f"unknown action {name!r}",
        }


def canonical_properties(objects):
    """Each object's properties without unset (None) values, whole floats as integers (Python
    reads a `number` property as float, TypeScript as number), sorted by their JSON text."""

    def clean(v):
        return int(v) if isinstance(v, float) and v.is_integer() else v

    props = [{k: clean(v) for k, v in p.items() if v is not None} for p in objects]
    return sorted(props, key=lambda p: json.dumps(p, sort_keys=True, default=str))


def batch_object_errors(message, count):
    """The synthetic result of a batch whose objects failed without the client raising."""
    return {
        "ok": False,
        "error_class": "BatchObjectErrors",
        "synthetic": True,
        "status": None,
        "grpc_code": None,
        "message": message,
        "value": count,
    }


def run_session(weaviate, doc):
    """Runs one connection's actions and closes its client; returns the results."""
    driver = Driver(weaviate, doc)
    results = []
    for act in doc.get("actions", []):
        if not isinstance(act, dict):
            fail_input("each action must be an object")
        entry = {
            "action": act.get("action"),
            "ok": True,
            "error_class": None,
            "status": None,
            "grpc_code": None,
            "message": None,
        }
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                entry.update(driver.run(act))
            except SystemExit:
                raise
            except BaseException as exc:  # noqa: BLE001 - every exception is data
                entry.update(describe(exc))
                entry["traceback"] = traceback.format_exc(limit=3, chain=False)
        entry["warnings"] = [
            str(w.message) for w in caught if not issubclass(w.category, DeprecationWarning)
        ]
        results.append(entry)
    if driver.client is not None:
        try:
            driver.client.close()
        except Exception:  # noqa: BLE001
            pass
    return results


def main():
    doc = read_input()
    # The client logs through `logging`; keep stdout for our one JSON document.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    weaviate = load_client()
    out = {"client": "python", "client_version": weaviate.__version__}
    if "sessions" in doc:
        out["sessions"] = [{"results": run_session(weaviate, d)} for d in doc["sessions"]]
    else:
        out["results"] = run_session(weaviate, doc)
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
