"""Pool names, clients and users as Cognito has them, through boto3 (issue #13, items 4 and 6).

Two pools may share a name and get no app client nobody asked for; a pool tagged
`gatehouse:tenant` is reachable by the login API under that name; AdminGetUser and ListUsers
show each UserStatus with Cognito's members and types.

Usage: boto3_pool_names.py ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY
Prints one line per check; exits non-zero on the first failure.
"""

import base64
import datetime
import json
import sys
import urllib.error
import urllib.request

import boto3
from botocore.exceptions import ClientError

PASSWORD = "Correct-Horse-9"
USER_MEMBERS = {"Username", "UserAttributes", "UserCreateDate", "UserLastModifiedDate",
                "Enabled", "UserStatus"}


def expect_error(code, call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as error:
        actual = error.response["Error"]["Code"]
        assert actual == code, "expected %s, got %s: %s" % (code, actual, error)
        print("ok: %s raises %s" % (call.__name__, code), flush=True)
        return error
    raise AssertionError("%s did not raise %s" % (call.__name__, code))


def login(endpoint, tenant, username, password):
    """POST /Login, the login API (not part of Cognito, so plain HTTP)."""
    body = json.dumps({"TenantName": tenant, "UserName": username, "Password": password})
    request = urllib.request.Request(endpoint + "/Login", data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def check_user(idp, pool_id, username, status, enabled=True):
    """AdminGetUser and ListUsers agree, with Cognito's members and types."""
    user = idp.admin_get_user(UserPoolId=pool_id, Username=username)
    members = set(user) - {"ResponseMetadata"}
    assert members == USER_MEMBERS, "no MFA members without MFA: %s" % members
    assert user["UserStatus"] == status, user
    assert user["Enabled"] is enabled, user
    created, modified = user["UserCreateDate"], user["UserLastModifiedDate"]
    assert isinstance(created, datetime.datetime) and isinstance(modified, datetime.datetime), user
    assert modified >= created, user
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert len(attributes["sub"]) == 36, attributes
    listed = idp.list_users(UserPoolId=pool_id, Filter='username = "%s"' % username)["Users"]
    assert len(listed) == 1, listed
    assert "MFAOptions" not in listed[0], listed[0]
    for member in ("Username", "UserStatus", "Enabled", "UserCreateDate", "UserLastModifiedDate"):
        assert listed[0][member] == user[member], (member, listed[0], user)
    assert {a["Name"]: a["Value"] for a in listed[0]["Attributes"]} == attributes
    print("ok: %s is %s (enabled: %s)" % (username, status, enabled), flush=True)
    return attributes


def main():
    endpoint, key, secret = sys.argv[1:4]
    idp = boto3.client("cognito-idp", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id=key, aws_secret_access_key=secret)

    # Two pools, one name, no clients.
    first = idp.create_user_pool(PoolName="twins")["UserPool"]
    second = idp.create_user_pool(PoolName="twins")["UserPool"]
    assert first["Id"] != second["Id"] and first["Name"] == second["Name"] == "twins"
    for pool in (first, second):
        clients = idp.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)
        assert clients["UserPoolClients"] == [], clients
        assert pool["UserPoolTags"] == {}, pool
    twins = [p["Id"] for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == "twins"]
    assert sorted(twins) == sorted([first["Id"], second["Id"]]), twins
    print("ok: CreateUserPool allows one name twice and creates no client", flush=True)

    # A pool tagged gatehouse:tenant is the login API's under that name.
    tagged = idp.create_user_pool(PoolName="Tagged pool",
                                  UserPoolTags={"gatehouse:tenant": "boto-tenant", "env": "test"})
    tagged = tagged["UserPool"]
    pool_id = tagged["Id"]
    assert tagged["UserPoolTags"] == {"gatehouse:tenant": "boto-tenant", "env": "test"}, tagged
    web = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=pool_id, Username="dora", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool_id, Username="dora", Password=PASSWORD,
                                Permanent=True)
    status, body = login(endpoint, "boto-tenant", "dora", PASSWORD)
    assert status == 200, body
    assert claims(body["cognitoToken"]["AuthenticationResult"]["IdToken"])["aud"] == web
    status, body = login(endpoint, "Tagged pool", "dora", PASSWORD)
    assert (status, body["__type"]) == (401, "NotAuthorizedException"), body
    print("ok: the tagged pool answers /Login under its tag, not its name", flush=True)

    expect_error("InvalidParameterException", idp.create_user_pool, PoolName="copycat",
                 UserPoolTags={"gatehouse:tenant": "boto-tenant"})
    arn = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Arn"]
    idp.untag_resource(ResourceArn=arn, TagKeys=["gatehouse:tenant"])
    status, body = login(endpoint, "boto-tenant", "dora", PASSWORD)
    assert status == 401, body
    assert idp.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"env": "test"}
    idp.tag_resource(ResourceArn=arn, Tags={"gatehouse:tenant": "boto-tenant"})
    status, body = login(endpoint, "boto-tenant", "dora", PASSWORD)
    assert status == 200, body
    expect_error("ResourceNotFoundException", idp.list_tags_for_resource,
                 ResourceArn=arn.replace(pool_id.split("_")[1], "NoSuchPol"))
    print("ok: TagResource, UntagResource, ListTagsForResource", flush=True)

    # Each status as AdminGetUser and ListUsers show it (CreateUserPool allows sign-up).
    pool_id = first["Id"]
    app = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app")
    app = app["UserPoolClient"]["ClientId"]
    idp.sign_up(ClientId=app, Username="uma", Password=PASSWORD,
                UserAttributes=[{"Name": "email", "Value": "uma@example.com"}])
    attributes = check_user(idp, pool_id, "uma", "UNCONFIRMED")
    assert attributes["email"] == "uma@example.com", attributes
    idp.admin_confirm_sign_up(UserPoolId=pool_id, Username="uma")
    check_user(idp, pool_id, "uma", "CONFIRMED")
    idp.admin_update_user_attributes(UserPoolId=pool_id, Username="uma",
                                     UserAttributes=[{"Name": "email_verified", "Value": "true"}])
    idp.admin_reset_user_password(UserPoolId=pool_id, Username="uma")
    check_user(idp, pool_id, "uma", "RESET_REQUIRED")
    idp.admin_disable_user(UserPoolId=pool_id, Username="uma")
    check_user(idp, pool_id, "uma", "RESET_REQUIRED", enabled=False)
    idp.admin_create_user(UserPoolId=pool_id, Username="finn", MessageAction="SUPPRESS")
    check_user(idp, pool_id, "finn", "FORCE_CHANGE_PASSWORD")
    expect_error("UserNotFoundException", idp.admin_get_user, UserPoolId=pool_id, Username="nobody")
    print("boto3 pool names: all checks passed", flush=True)


if __name__ == "__main__":
    main()
