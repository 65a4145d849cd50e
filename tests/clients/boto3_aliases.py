"""Sign-in names through boto3, unchanged: pools with UsernameAttributes, AliasAttributes and
UsernameConfiguration created and described, their refusals, and users signing in by e-mail
address (as their username and as an alias), by preferred_username, by phone number, and
with or without regard to case.

Usage: boto3_aliases.py ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY
Prints one line per check and `boto3 aliases: all checks passed` at the end; exits non-zero
on the first failure.
"""

import base64
import json
import re
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

PASSWORD = "Correct-Horse-9"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def expect_error(code, message, call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as error:
        actual = error.response["Error"]["Code"]
        assert actual == code, "expected %s, got %s: %s" % (code, actual, error)
        if message is not None:
            got = error.response["Error"]["Message"]
            assert got == message, "expected %r, got %r" % (message, got)
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400, error.response
        return error
    raise AssertionError("%s(%s) did not raise %s" % (call.__name__, kwargs, code))


def main():
    endpoint, key, secret = sys.argv[1:4]
    idp = boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )

    def client_of(pool_id):
        return idp.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="app",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]

    def sign_in(client_id, name, password=PASSWORD):
        result = idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": password},
        )
        return claims(result["AuthenticationResult"]["IdToken"])

    def refused(client_id, name):
        expect_error(
            "NotAuthorizedException",
            "Incorrect username or password.",
            idp.initiate_auth,
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD},
        )

    # Refusals of the settings themselves.
    expect_error(
        "InvalidParameterException",
        "Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.",
        idp.create_user_pool,
        PoolName="both",
        UsernameAttributes=["email"],
        AliasAttributes=["email"],
    )
    expect_error(
        "InvalidParameterException",
        None,
        idp.create_user_pool,
        PoolName="bad",
        UsernameAttributes=["preferred_username"],
    )
    expect_error(
        "InvalidParameterException",
        None,
        idp.create_user_pool,
        PoolName="bad",
        AliasAttributes=["nickname"],
    )
    print("ok: invalid sign-in settings are refused", flush=True)

    # E-mail address or phone number as the username.
    by_email = idp.create_user_pool(
        PoolName="by-email",
        UsernameAttributes=["email", "phone_number"],
        UsernameConfiguration={"CaseSensitive": False},
        Policies={"PasswordPolicy": {"MinimumLength": 8}},
    )["UserPool"]
    described = idp.describe_user_pool(UserPoolId=by_email["Id"])["UserPool"]
    assert described["UsernameAttributes"] == ["email", "phone_number"], described
    assert "AliasAttributes" not in described, described
    assert described["UsernameConfiguration"] == {"CaseSensitive": False}, described
    print("ok: UsernameAttributes and UsernameConfiguration are described as set", flush=True)

    pool_id = by_email["Id"]
    client_id = client_of(pool_id)
    created = idp.admin_create_user(
        UserPoolId=pool_id, Username="Bob@Example.com", MessageAction="SUPPRESS"
    )["User"]
    assert UUID.match(created["Username"]), created
    attributes = {a["Name"]: a["Value"] for a in created["Attributes"]}
    assert attributes["email"] == "Bob@Example.com", attributes
    assert attributes["sub"] == created["Username"], attributes
    got = idp.admin_get_user(UserPoolId=pool_id, Username="bob@example.com")
    assert got["Username"] == created["Username"], got
    got = idp.admin_get_user(UserPoolId=pool_id, Username=created["Username"])
    assert got["Username"] == created["Username"], got
    idp.admin_set_user_password(
        UserPoolId=pool_id, Username="bob@example.com", Password=PASSWORD, Permanent=True
    )
    token = sign_in(client_id, "BOB@example.COM")
    assert token["cognito:username"] == created["Username"], token
    assert token["sub"] == created["Username"], token
    print("ok: a user created under an e-mail address signs in by it, any case", flush=True)

    expect_error(
        "UsernameExistsException",
        "An account with the given email already exists.",
        idp.admin_create_user,
        UserPoolId=pool_id,
        Username="bob@example.com",
        MessageAction="SUPPRESS",
    )
    expect_error(
        "InvalidParameterException",
        "Username should be either an email or a phone number.",
        idp.admin_create_user,
        UserPoolId=pool_id,
        Username="bob",
        MessageAction="SUPPRESS",
    )
    phone = idp.admin_create_user(
        UserPoolId=pool_id,
        Username="+15551234567",
        TemporaryPassword=PASSWORD,
        MessageAction="SUPPRESS",
    )["User"]
    assert UUID.match(phone["Username"]), phone
    idp.admin_set_user_password(
        UserPoolId=pool_id, Username="+15551234567", Password=PASSWORD, Permanent=True
    )
    assert sign_in(client_id, "+15551234567")["sub"] == phone["Username"]
    refused(client_id, "nobody@example.com")
    print("ok: taken and malformed usernames are refused; phone numbers sign in", flush=True)

    # Aliases: a verified e-mail address and a preferred_username, case-insensitive.
    aliased = idp.create_user_pool(
        PoolName="aliases",
        AliasAttributes=["email", "preferred_username"],
        UsernameConfiguration={"CaseSensitive": False},
    )["UserPool"]
    described = idp.describe_user_pool(UserPoolId=aliased["Id"])["UserPool"]
    assert described["AliasAttributes"] == ["email", "preferred_username"], described
    assert "UsernameAttributes" not in described, described
    pool_id = aliased["Id"]
    client_id = client_of(pool_id)

    def create(name, email, verified, force=None):
        extra = {} if force is None else {"ForceAliasCreation": force}
        idp.admin_create_user(
            UserPoolId=pool_id,
            Username=name,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": verified},
            ],
            MessageAction="SUPPRESS",
            **extra,
        )
        idp.admin_set_user_password(
            UserPoolId=pool_id, Username=name, Password=PASSWORD, Permanent=True
        )

    create("carol", "carol@example.com", "true")
    assert sign_in(client_id, "Carol@Example.com")["cognito:username"] == "carol"
    assert idp.admin_get_user(UserPoolId=pool_id, Username="carol@example.com")["Username"] == "carol"
    create("unverified", "u@example.com", "false")
    refused(client_id, "u@example.com")
    print("ok: a verified e-mail alias signs in; an unverified one does not", flush=True)

    expect_error(
        "AliasExistsException",
        "An account with the email already exists.",
        idp.admin_create_user,
        UserPoolId=pool_id,
        Username="dave",
        UserAttributes=[
            {"Name": "email", "Value": "carol@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )
    create("dave", "carol@example.com", "true", force=True)
    assert sign_in(client_id, "carol@example.com")["cognito:username"] == "dave"
    assert sign_in(client_id, "carol")["cognito:username"] == "carol"
    print("ok: a taken alias is AliasExistsException; ForceAliasCreation moves it", flush=True)

    idp.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username="carol",
        UserAttributes=[{"Name": "preferred_username", "Value": "CaptainCarol"}],
    )
    assert sign_in(client_id, "captaincarol")["cognito:username"] == "carol"
    expect_error(
        "AliasExistsException",
        "An account with the preferred_username already exists.",
        idp.admin_update_user_attributes,
        UserPoolId=pool_id,
        Username="dave",
        UserAttributes=[{"Name": "preferred_username", "Value": "captaincarol"}],
    )
    idp.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username="carol",
        UserAttributes=[{"Name": "preferred_username", "Value": "carol2"}],
    )
    refused(client_id, "captaincarol")
    assert sign_in(client_id, "carol2")["cognito:username"] == "carol"
    print("ok: preferred_username is an alias, unique, and follows its changes", flush=True)

    # Cognito's API default: case-sensitive usernames.
    strict = idp.create_user_pool(PoolName="strict")["UserPool"]
    described = idp.describe_user_pool(UserPoolId=strict["Id"])["UserPool"]
    assert described["UsernameConfiguration"] == {"CaseSensitive": True}, described
    client_id = client_of(strict["Id"])
    idp.admin_create_user(UserPoolId=strict["Id"], Username="Erin", MessageAction="SUPPRESS")
    idp.admin_set_user_password(
        UserPoolId=strict["Id"], Username="Erin", Password=PASSWORD, Permanent=True
    )
    assert sign_in(client_id, "Erin")["cognito:username"] == "Erin"
    refused(client_id, "erin")
    idp.admin_create_user(UserPoolId=strict["Id"], Username="erin", MessageAction="SUPPRESS")
    print("ok: without UsernameConfiguration, usernames are case-sensitive", flush=True)

    print("boto3 aliases: all checks passed", flush=True)


main()
