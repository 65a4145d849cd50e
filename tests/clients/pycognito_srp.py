"""pycognito's SRP sign-in (AWSSRP.authenticate_user) through boto3, unchanged, against
Gatehouse: a client without a secret and one with a secret (SECRET_HASH in both steps), a
wrong password, and an unknown user.

Usage: python pycognito_srp.py ENDPOINT POOL_ID CLIENT_ID SECRET_CLIENT_ID CLIENT_SECRET
The pool holds alice with password Correct-Horse-9.
"""

import sys

import boto3
from botocore.config import Config
from pycognito.aws_srp import AWSSRP

endpoint, pool_id, client_id, secret_client_id, client_secret = sys.argv[1:6]
PASSWORD = "Correct-Horse-9"

idp = boto3.client(
    "cognito-idp",
    endpoint_url=endpoint,
    region_name=pool_id.split("_")[0],
    aws_access_key_id="unused",
    aws_secret_access_key="unused",
    config=Config(retries={"max_attempts": 1}),
)


def sign_in(username, password, client=client_id, secret=None):
    return AWSSRP(
        username=username,
        password=password,
        pool_id=pool_id,
        client_id=client,
        client_secret=secret,
        client=idp,
    ).authenticate_user()


tokens = sign_in("alice", PASSWORD)["AuthenticationResult"]
assert tokens["TokenType"] == "Bearer", tokens
user = idp.get_user(AccessToken=tokens["AccessToken"])
assert user["Username"] == "alice", user
print("ok: pycognito signs in by SRP")

tokens = sign_in("alice", PASSWORD, secret_client_id, client_secret)["AuthenticationResult"]
assert tokens["TokenType"] == "Bearer", tokens
print("ok: pycognito signs in by SRP with a client secret")

for username, password in [("alice", "Wrong-Horse-9"), ("nobody", PASSWORD)]:
    try:
        sign_in(username, password)
    except idp.exceptions.NotAuthorizedException as error:
        assert error.response["Error"]["Message"] == "Incorrect username or password.", error
    else:
        raise AssertionError(f"{username} signed in with {password}")
print("ok: wrong password and unknown user are refused alike")
print("pycognito: all checks passed")
