"""Drives Gatehouse's Cognito admin API (SigV4-signed) and the flows it enables with boto3.

Usage: boto3_admin.py ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY
To move the server's clock (it runs on a test clock), the script prints `ADVANCE <seconds>`
and waits for a line on standard input. Prints one line per check; exits non-zero on the
first failure.
"""

import base64
import hashlib
import hmac
import json
import sys

import boto3
from botocore.exceptions import ClientError

TEMP = "Temporary-Pass-1"
CHOSEN = "Chosen-Password-2"


def advance(seconds):
    print("ADVANCE %d" % seconds, flush=True)
    sys.stdin.readline()


def confirmation_code(pool_id, username):
    print("CODE %s %s" % (pool_id, username), flush=True)
    return sys.stdin.readline().strip()


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def expect_error(code, call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as error:
        actual = error.response["Error"]["Code"]
        assert actual == code, "expected %s, got %s: %s" % (code, actual, error)
        print("ok: %s raises %s" % (call.__name__, code), flush=True)
        return error
    raise AssertionError("%s did not raise %s" % (call.__name__, code))


def client_for(endpoint, key, secret):
    return boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
    )


def main():
    endpoint, key, secret = sys.argv[1:4]
    idp = client_for(endpoint, key, secret)

    pool = idp.create_user_pool(
        PoolName="boto-tenant",
        AutoVerifiedAttributes=["email"],
        Policies={"PasswordPolicy": {"MinimumLength": 10, "RequireSymbols": True,
                                     "RequireUppercase": True, "RequireLowercase": True,
                                     "RequireNumbers": True}},
    )["UserPool"]
    pool_id = pool["Id"]
    assert pool_id.startswith("us-east-1_") and len(pool_id.split("_")[1]) == 9, pool_id
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 10, pool
    # Cognito's default for CreateUserPool: anyone may sign up.
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False, pool
    print("ok: CreateUserPool", flush=True)
    assert idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Name"] == "boto-tenant"
    listed = idp.list_user_pools(MaxResults=60)["UserPools"]
    assert any(p["Id"] == pool_id for p in listed), listed
    expect_error("ResourceNotFoundException", idp.describe_user_pool, UserPoolId="us-east-1_NoSuchPol")

    app = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="app",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH",
                           "ALLOW_ADMIN_USER_PASSWORD_AUTH"],
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
        AccessTokenValidity=15,
        TokenValidityUnits={"AccessToken": "minutes"},
    )["UserPoolClient"]
    client_id = app["ClientId"]
    assert len(client_id) == 26 and "ClientSecret" not in app, app
    assert app["AccessTokenValidity"] == 15 and app["TokenValidityUnits"]["AccessToken"] == "minutes"
    described = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    assert described["RefreshTokenRotation"]["Feature"] == "ENABLED", described
    clients = idp.list_user_pool_clients(UserPoolId=pool_id, MaxResults=10)["UserPoolClients"]
    assert any(c["ClientId"] == client_id for c in clients), clients
    print("ok: CreateUserPoolClient, Describe, List", flush=True)

    created = idp.admin_create_user(
        UserPoolId=pool_id, Username="carol", TemporaryPassword=TEMP + "0",
        UserAttributes=[{"Name": "email", "Value": "carol@example.com"}], MessageAction="SUPPRESS",
    )["User"]
    assert created["UserStatus"] == "FORCE_CHANGE_PASSWORD" and created["Enabled"], created
    # CreateUserPool without UsernameConfiguration is case-sensitive, as in Cognito.
    expect_error("UsernameExistsException", idp.admin_create_user, UserPoolId=pool_id,
                 Username="carol", TemporaryPassword=TEMP + "0")
    expect_error("InvalidPasswordException", idp.admin_create_user, UserPoolId=pool_id,
                 Username="weak", TemporaryPassword="Short-1")
    for name in ["dave", "erin"]:
        idp.admin_create_user(UserPoolId=pool_id, Username=name, TemporaryPassword=TEMP + "0",
                              UserAttributes=[{"Name": "email", "Value": name + "@example.org"}])

    challenge = idp.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=client_id,
                                  AuthParameters={"USERNAME": "carol", "PASSWORD": TEMP + "0"})
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED", challenge
    tokens = idp.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "carol", "NEW_PASSWORD": CHOSEN},
    )["AuthenticationResult"]
    assert tokens["ExpiresIn"] == 900, tokens
    print("ok: admin-created user signs in through the challenge", flush=True)

    rotated = idp.get_tokens_from_refresh_token(RefreshToken=tokens["RefreshToken"], ClientId=client_id)
    rotated = rotated["AuthenticationResult"]
    assert rotated["RefreshToken"] != tokens["RefreshToken"], rotated
    print("ok: GetTokensFromRefreshToken rotates", flush=True)
    advance(2)
    expect_error("RefreshTokenReuseException", idp.get_tokens_from_refresh_token,
                 RefreshToken=tokens["RefreshToken"], ClientId=client_id)
    expect_error("NotAuthorizedException", idp.get_tokens_from_refresh_token,
                 RefreshToken=rotated["RefreshToken"], ClientId=client_id)

    admin_tokens = idp.admin_initiate_auth(
        UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "carol", "PASSWORD": CHOSEN},
    )["AuthenticationResult"]
    print("ok: AdminInitiateAuth", flush=True)

    user = idp.admin_get_user(UserPoolId=pool_id, Username="carol")
    assert user["UserStatus"] == "CONFIRMED", user
    found = idp.list_users(UserPoolId=pool_id, Filter='email = "carol@example.com"')["Users"]
    assert [u["Username"] for u in found] == ["carol"], found
    prefix = idp.list_users(UserPoolId=pool_id, Filter='email ^= "dave@"')["Users"]
    assert [u["Username"] for u in prefix] == ["dave"], prefix
    first = idp.list_users(UserPoolId=pool_id, Limit=2)
    assert len(first["Users"]) == 2 and first["PaginationToken"], first
    rest = idp.list_users(UserPoolId=pool_id, Limit=2, PaginationToken=first["PaginationToken"])
    assert len(rest["Users"]) == 1 and "PaginationToken" not in rest, rest
    print("ok: AdminGetUser, ListUsers with filters and pagination", flush=True)

    idp.create_group(UserPoolId=pool_id, GroupName="admins", Precedence=1)
    expect_error("GroupExistsException", idp.create_group, UserPoolId=pool_id, GroupName="admins")
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username="carol", GroupName="admins")
    groups = idp.admin_list_groups_for_user(UserPoolId=pool_id, Username="carol")["Groups"]
    assert [g["GroupName"] for g in groups] == ["admins"], groups
    assert [g["GroupName"] for g in idp.list_groups(UserPoolId=pool_id)["Groups"]] == ["admins"]
    grouped = idp.admin_initiate_auth(
        UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "carol", "PASSWORD": CHOSEN},
    )["AuthenticationResult"]
    assert claims(grouped["IdToken"])["cognito:groups"] == ["admins"]
    idp.admin_remove_user_from_group(UserPoolId=pool_id, Username="carol", GroupName="admins")
    assert idp.admin_list_groups_for_user(UserPoolId=pool_id, Username="carol")["Groups"] == []
    print("ok: groups", flush=True)

    idp.admin_user_global_sign_out(UserPoolId=pool_id, Username="carol")
    expect_error("NotAuthorizedException", idp.get_user, AccessToken=admin_tokens["AccessToken"])
    idp.admin_disable_user(UserPoolId=pool_id, Username="carol")
    error = expect_error("NotAuthorizedException", idp.initiate_auth, AuthFlow="USER_PASSWORD_AUTH",
                         ClientId=client_id, AuthParameters={"USERNAME": "carol", "PASSWORD": CHOSEN})
    assert error.response["Error"]["Message"] == "User is disabled.", error.response
    idp.admin_enable_user(UserPoolId=pool_id, Username="carol")
    idp.admin_set_user_password(UserPoolId=pool_id, Username="carol", Password="Admin-Set-Pass-3",
                                Permanent=True)
    idp.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=client_id,
                      AuthParameters={"USERNAME": "carol", "PASSWORD": "Admin-Set-Pass-3"})
    print("ok: global sign-out, disable, enable, set password", flush=True)

    secret_app = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="backend", GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    secret_id, client_secret = secret_app["ClientId"], secret_app["ClientSecret"]
    assert 24 <= len(client_secret) <= 64, secret_app
    expect_error("NotAuthorizedException", idp.initiate_auth, AuthFlow="USER_PASSWORD_AUTH",
                 ClientId=secret_id,
                 AuthParameters={"USERNAME": "carol", "PASSWORD": "Admin-Set-Pass-3"})
    digest = hmac.new(client_secret.encode(), ("carol" + secret_id).encode(), hashlib.sha256).digest()
    idp.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=secret_id,
                      AuthParameters={"USERNAME": "carol", "PASSWORD": "Admin-Set-Pass-3",
                                      "SECRET_HASH": base64.b64encode(digest).decode()})
    print("ok: SECRET_HASH", flush=True)
    expect_error("InvalidParameterException", idp.admin_initiate_auth, UserPoolId=pool_id,
                 ClientId=secret_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                 AuthParameters={"USERNAME": "carol", "PASSWORD": "Admin-Set-Pass-3"})

    signed_up = idp.sign_up(ClientId=client_id, Username="frank", Password="Frank-Password-7",
                            UserAttributes=[{"Name": "email", "Value": "frank@example.com"}])
    assert signed_up["UserConfirmed"] is False and signed_up["UserSub"], signed_up
    assert signed_up["CodeDeliveryDetails"]["Destination"] == "f***@e***", signed_up
    expect_error("UsernameExistsException", idp.sign_up, ClientId=client_id, Username="frank",
                 Password="Frank-Password-7")
    expect_error("UserNotConfirmedException", idp.initiate_auth, AuthFlow="USER_PASSWORD_AUTH",
                 ClientId=client_id, AuthParameters={"USERNAME": "frank", "PASSWORD": "Frank-Password-7"})
    expect_error("CodeMismatchException", idp.confirm_sign_up, ClientId=client_id, Username="frank",
                 ConfirmationCode="000000x")
    idp.confirm_sign_up(ClientId=client_id, Username="frank",
                        ConfirmationCode=confirmation_code(pool_id, "frank"))
    # Existence errors are prevented (the default): a confirmed user answers like an unknown one.
    expect_error("CodeMismatchException", idp.confirm_sign_up, ClientId=client_id, Username="frank",
                 ConfirmationCode="123456")
    expect_error("CodeMismatchException", idp.confirm_sign_up, ClientId=client_id, Username="nobody",
                 ConfirmationCode="123456")
    idp.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=client_id,
                      AuthParameters={"USERNAME": "frank", "PASSWORD": "Frank-Password-7"})
    print("ok: SignUp, ConfirmSignUp", flush=True)

    # UpdateUserPool replaces the settings: what it leaves out returns to Cognito's defaults.
    idp.update_user_pool(UserPoolId=pool_id,
                         AdminCreateUserConfig={"AllowAdminCreateUserOnly": True})
    updated = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert updated["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True, updated
    assert updated["Policies"]["PasswordPolicy"]["MinimumLength"] == 8, updated
    error = expect_error("NotAuthorizedException", idp.sign_up, ClientId=client_id,
                         Username="grace", Password="Grace-Password-7")
    assert error.response["Error"]["Message"] == "SignUp is not permitted for this user pool", error.response
    print("ok: UpdateUserPool, AllowAdminCreateUserOnly", flush=True)

    legacy = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="legacy", PreventUserExistenceErrors="LEGACY",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
    )["UserPoolClient"]["ClientId"]
    expect_error("UserNotFoundException", idp.initiate_auth, AuthFlow="USER_PASSWORD_AUTH",
                 ClientId=legacy, AuthParameters={"USERNAME": "nobody", "PASSWORD": CHOSEN})

    expect_error("InvalidSignatureException", client_for(endpoint, key, "wrong-secret").admin_get_user,
                 UserPoolId=pool_id, Username="carol")
    expect_error("UnrecognizedClientException", client_for(endpoint, "AKIDUNKNOWN", secret).admin_get_user,
                 UserPoolId=pool_id, Username="carol")
    # A request signed now looks 16 minutes old to a server whose clock is ahead: stale.
    advance(16 * 60)
    expect_error("InvalidSignatureException", idp.admin_get_user, UserPoolId=pool_id, Username="carol")
    advance(-16 * 60)

    idp.admin_delete_user(UserPoolId=pool_id, Username="carol")
    expect_error("UserNotFoundException", idp.admin_get_user, UserPoolId=pool_id, Username="carol")
    idp.delete_user_pool(UserPoolId=pool_id)
    expect_error("ResourceNotFoundException", idp.describe_user_pool, UserPoolId=pool_id)
    print("boto3 admin: all checks passed", flush=True)


if __name__ == "__main__":
    main()
