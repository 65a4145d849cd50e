"""Verifies Gatehouse tokens with PyJWT against the JWKS the server publishes.

Nothing here shares code with Gatehouse: it is what an application team would write.
Usage: verify_tokens.py JWKS_URL ISSUER CLIENT_ID ID_TOKEN ACCESS_TOKEN
Prints the verified claims as JSON and exits 0, or prints the failure and exits 1.
"""

import json
import sys

import jwt


def main() -> int:
    jwks_url, issuer, client_id, id_token, access_token = sys.argv[1:6]
    keys = jwt.PyJWKClient(jwks_url, cache_keys=False)
    try:
        id_key = keys.get_signing_key_from_jwt(id_token)
        id_claims = jwt.decode(
            id_token,
            id_key.key,
            algorithms=["RS256"],
            audience=client_id,
            issuer=issuer,
            options={"require": ["exp", "iat", "iss", "sub", "aud"]},
        )
        if id_claims.get("token_use") != "id":
            raise ValueError("ID token has token_use %r" % id_claims.get("token_use"))

        access_key = keys.get_signing_key_from_jwt(access_token)
        # Cognito access tokens have no aud: bind them with client_id and token_use instead.
        access_claims = jwt.decode(
            access_token,
            access_key.key,
            algorithms=["RS256"],
            issuer=issuer,
            options={"require": ["exp", "iat", "iss", "sub"], "verify_aud": False},
        )
        if access_claims.get("token_use") != "access":
            raise ValueError("access token has token_use %r" % access_claims.get("token_use"))
        if access_claims.get("client_id") != client_id:
            raise ValueError("access token is for client %r" % access_claims.get("client_id"))
        if "aud" in access_claims:
            raise ValueError("access token carries aud")
    except Exception as error:  # noqa: BLE001 - any failure is the answer
        print("verification failed: %s: %s" % (type(error).__name__, error))
        return 1
    print(json.dumps({"id": id_claims, "access": access_claims}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
