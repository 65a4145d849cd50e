"""pycognito's SRP sign-in (AWSSRP.authenticate_user) through boto3, unchanged, by e-mail
address: as a verified alias of the username, and as the username itself (stored as a UUID).

Usage: python pycognito_aliases.py ENDPOINT ALIAS_POOL ALIAS_CLIENT EMAIL_POOL EMAIL_CLIENT
    SECRET_CLIENT CLIENT_SECRET
The alias pool holds alice with verified email alice@example.com; the e-mail pool holds a
user created as bob@example.com, and SECRET_CLIENT (with CLIENT_SECRET) is one of its
clients. Passwords are Correct-Horse-9.
"""

import re
import sys

import boto3
from botocore.config import Config
from pycognito.aws_srp import AWSSRP

endpoint, alias_pool, alias_client, email_pool, email_client, secret_client, client_secret = (
    sys.argv[1:8]
)
PASSWORD = "Correct-Horse-9"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

idp = boto3.client(
    "cognito-idp",
    endpoint_url=endpoint,
    region_name=alias_pool.split("_")[0],
    aws_access_key_id="unused",
    aws_secret_access_key="unused",
    config=Config(retries={"max_attempts": 1}),
)


def sign_in(pool, client, username, password=PASSWORD, secret=None):
    return AWSSRP(
        username=username,
        password=password,
        pool_id=pool,
        client_id=client,
        client_secret=secret,
        client=idp,
    ).authenticate_user()["AuthenticationResult"]


def refused(pool, client, username, password):
    try:
        sign_in(pool, client, username, password)
    except idp.exceptions.NotAuthorizedException as error:
        assert error.response["Error"]["Message"] == "Incorrect username or password.", error
    else:
        raise AssertionError(f"{username} signed in with {password}")


tokens = sign_in(alias_pool, alias_client, "alice@example.com")
assert idp.get_user(AccessToken=tokens["AccessToken"])["Username"] == "alice"
refused(alias_pool, alias_client, "alice@example.com", "Wrong-Horse-9")
refused(alias_pool, alias_client, "nobody@example.com", PASSWORD)
print("ok: pycognito signs in by e-mail alias")

tokens = sign_in(email_pool, email_client, "bob@example.com")
user = idp.get_user(AccessToken=tokens["AccessToken"])
assert UUID.match(user["Username"]), user
attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
assert attributes["sub"] == user["Username"], attributes
assert attributes["email"] == "bob@example.com", attributes
tokens = sign_in(email_pool, secret_client, "bob@example.com", secret=client_secret)
assert tokens["TokenType"] == "Bearer", tokens
refused(email_pool, email_client, "bob@example.com", "Wrong-Horse-9")
refused(email_pool, email_client, "nobody@example.com", PASSWORD)
print("ok: pycognito signs in by e-mail as the username, with and without a client secret")
print("pycognito aliases: all checks passed")
