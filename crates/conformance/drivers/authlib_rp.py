#!/usr/bin/env python3
"""A relying party written with Python's authlib, driven against a running `oidc-harness idp`.

Usage: authlib_rp.py ISSUER [--user admin --password admin-pass --client weaviate
                             --cc-client ci-runner --cc-secret ci-runner-secret]

It reads discovery, runs the password grant (public client, auth method `none`) and the
client credentials grant (client_secret_basic), and verifies every token's signature with
authlib's jose against the provider's JWKS, restricted to the advertised algorithms. It also
checks that a wrong password gets `invalid_grant` and that a tampered signature is refused, so
a verifier that accepted anything could not pass. One JSON line per check on stdout; exit 0
only when every check passed, 1 when one failed, 2 when authlib is missing.
"""

import argparse
import json
import sys
import warnings

# authlib.jose announces its move to joserfc; the API used here still exists in authlib 1.x.
warnings.filterwarnings("ignore", message="authlib.jose module is deprecated")

try:
    import requests
    from authlib.integrations.requests_client import OAuth2Session, OAuthError
    from authlib.jose import JsonWebKey, JsonWebToken
    from authlib.jose.errors import BadSignatureError
    from authlib.oidc.core import CodeIDToken
except ImportError as e:  # the Rust test turns this into "skipped: ..."
    print(json.dumps({"check": "import", "ok": False, "missing": str(e)}))
    sys.exit(2)

FAILED = False


def report(check, ok, **detail):
    global FAILED
    FAILED = FAILED or not ok
    print(json.dumps({"check": check, "ok": ok, **detail}, sort_keys=True), flush=True)


def b64_flip(segment):
    """Changes one character of a base64url segment, keeping it valid base64url."""
    last = segment[-2]
    return segment[:-2] + ("A" if last != "A" else "B") + segment[-1]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("issuer")
    p.add_argument("--user", default="admin")
    p.add_argument("--password", default="admin-pass")
    p.add_argument("--client", default="weaviate")
    p.add_argument("--cc-client", default="ci-runner")
    p.add_argument("--cc-secret", default="ci-runner-secret")
    a = p.parse_args()

    discovery_url = a.issuer.rstrip("/") + "/.well-known/openid-configuration"
    meta = requests.get(discovery_url, timeout=10).json()
    report("discovery", meta.get("issuer") == a.issuer, issuer=meta.get("issuer"))
    jwks = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    algs = meta["id_token_signing_alg_values_supported"]
    jwt = JsonWebToken(algs)
    token_url = meta["token_endpoint"]

    # Password grant through the public client.
    sess = OAuth2Session(client_id=a.client, scope="openid profile email", token_endpoint_auth_method="none")
    tok = sess.fetch_token(token_url, grant_type="password", username=a.user, password=a.password)
    id_token = tok["id_token"]
    claims = jwt.decode(
        id_token,
        jwks,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": a.issuer}, "aud": {"essential": True, "value": a.client}},
        claims_params={"client_id": a.client, "access_token": tok["access_token"]},
    )
    claims.validate()  # iss, aud, exp, iat, azp, at_hash (when present)
    report(
        "password",
        "at_hash" in claims and "nonce" not in claims,
        alg=claims.header["alg"],
        sub=claims["sub"],
        preferred_username=claims.get("preferred_username"),
        has_refresh_token="refresh_token" in tok,
        token_type=tok.get("token_type"),
    )

    # A wrong password must be refused with invalid_grant (the right one just worked).
    try:
        OAuth2Session(client_id=a.client, token_endpoint_auth_method="none").fetch_token(
            token_url, grant_type="password", username=a.user, password=a.password + "-wrong"
        )
        report("password_wrong", False, error=None)
    except OAuthError as e:
        report("password_wrong", e.error == "invalid_grant", error=e.error)

    # A tampered signature must fail verification with the same key set.
    h, pl, sig = id_token.split(".")
    try:
        jwt.decode(".".join([h, pl, b64_flip(sig)]), jwks)
        report("tampered_signature", False)
    except BadSignatureError:
        report("tampered_signature", True)

    # Client credentials with HTTP Basic.
    cc = OAuth2Session(client_id=a.cc_client, client_secret=a.cc_secret, token_endpoint_auth_method="client_secret_basic")
    tok = cc.fetch_token(token_url, grant_type="client_credentials")
    at = jwt.decode(tok["access_token"], jwks, claims_options={"iss": {"essential": True, "value": a.issuer}})
    at.validate()
    aud = at["aud"] if isinstance(at["aud"], list) else [at["aud"]]
    report(
        "client_credentials",
        a.cc_client in aud and "refresh_token" not in tok and "id_token" not in tok,
        alg=at.header["alg"],
        sub=at["sub"],
        aud=aud,
        has_refresh_token="refresh_token" in tok,
    )
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
