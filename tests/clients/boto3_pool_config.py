"""Provisions a pool and an app client with boto3 the way infrastructure-as-code tools do,
against Gatehouse's Cognito admin API: created, read back field by field, updated, read back
again (Cognito resets what an update leaves out), and deleted.

Usage: boto3_pool_config.py ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY
Prints one line per check; exits non-zero on the first failure.
"""

import sys

import boto3
from botocore.exceptions import ClientError

LAMBDA = "arn:aws:lambda:eu-west-1:123456789012:function:pre-sign-up"
MIGRATION = "arn:aws:lambda:eu-west-1:123456789012:function:user-migration"
SNS_ROLE = "arn:aws:iam::123456789012:role/cognito-sns"

PASSWORD_POLICY = {
    "MinimumLength": 14,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": False,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 2,
}
RECOVERY = {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"},
                                   {"Priority": 2, "Name": "verified_phone_number"}]}
EMAIL = {"EmailSendingAccount": "DEVELOPER", "From": "Acme <no-reply@acme.example>",
         "ReplyToEmailAddress": "support@acme.example",
         "SourceArn": "arn:aws:ses:eu-west-1:123456789012:identity/acme.example"}
SMS = {"SnsCallerArn": SNS_ROLE, "ExternalId": "acme-external", "SnsRegion": "eu-west-1"}
DEVICES = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True}
ADD_ONS = {"AdvancedSecurityMode": "ENFORCED"}


def check(condition, what, detail=""):
    assert condition, "%s: %s" % (what, detail)
    print("ok: %s" % what, flush=True)


def expect_error(code, call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as error:
        actual = error.response["Error"]["Code"]
        assert actual == code, "expected %s, got %s: %s" % (code, actual, error)
        print("ok: %s raises %s" % (call.__name__, code), flush=True)
        return error
    raise AssertionError("%s did not raise %s" % (call.__name__, code))


def main():
    endpoint, key, secret = sys.argv[1:4]
    idp = boto3.client("cognito-idp", endpoint_url=endpoint, region_name="eu-west-1",
                       aws_access_key_id=key, aws_secret_access_key=secret)

    # 1. The pool, as a template declares it.
    pool = idp.create_user_pool(
        PoolName="iac-pool",
        Policies={"PasswordPolicy": PASSWORD_POLICY},
        DeletionProtection="ACTIVE",
        MfaConfiguration="OPTIONAL",
        LambdaConfig={"PreSignUp": LAMBDA, "UserMigration": MIGRATION},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        AccountRecoverySetting=RECOVERY,
        EmailConfiguration=EMAIL,
        SmsConfiguration=SMS,
        DeviceConfiguration=DEVICES,
        UserPoolAddOns=ADD_ONS,
    )["UserPool"]
    pool_id = pool["Id"]

    described = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    for source, data in (("CreateUserPool", pool), ("DescribeUserPool", described)):
        check(data["Policies"]["PasswordPolicy"] == PASSWORD_POLICY,
              "%s PasswordPolicy" % source, data["Policies"])
        check(data["DeletionProtection"] == "ACTIVE", "%s DeletionProtection" % source)
        check(data["MfaConfiguration"] == "OPTIONAL", "%s MfaConfiguration" % source)
        check(data["LambdaConfig"] == {"PreSignUp": LAMBDA, "UserMigration": MIGRATION},
              "%s LambdaConfig" % source, data["LambdaConfig"])
        check(data["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True,
              "%s AdminCreateUserConfig" % source)
        check(data["AccountRecoverySetting"] == RECOVERY, "%s AccountRecoverySetting" % source)
        check(data["EmailConfiguration"] == EMAIL, "%s EmailConfiguration" % source,
              data["EmailConfiguration"])
        check(data["SmsConfiguration"] == SMS, "%s SmsConfiguration" % source)
        check(data["DeviceConfiguration"] == DEVICES, "%s DeviceConfiguration" % source)
        check(data["UserPoolAddOns"] == ADD_ONS, "%s UserPoolAddOns" % source)

    # 2. The app client, with OAuth settings and attribute permissions.
    client = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="iac-web",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        CallbackURLs=["https://app.acme.example/callback", "http://localhost:8080/callback"],
        LogoutURLs=["https://app.acme.example/bye"],
        DefaultRedirectURI="https://app.acme.example/callback",
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email", "profile"],
        AllowedOAuthFlowsUserPoolClient=True,
        SupportedIdentityProviders=["COGNITO"],
        AccessTokenValidity=45,
        IdTokenValidity=45,
        RefreshTokenValidity=7,
        TokenValidityUnits={"AccessToken": "minutes", "IdToken": "minutes",
                            "RefreshToken": "days"},
        ReadAttributes=["email", "email_verified", "name"],
        WriteAttributes=["email", "name"],
        EnableTokenRevocation=True,
        AuthSessionValidity=7,
        PreventUserExistenceErrors="ENABLED",
    )["UserPoolClient"]
    client_id = client["ClientId"]
    expected_client = {
        "ClientName": "iac-web",
        "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        "CallbackURLs": ["https://app.acme.example/callback", "http://localhost:8080/callback"],
        "LogoutURLs": ["https://app.acme.example/bye"],
        "DefaultRedirectURI": "https://app.acme.example/callback",
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": ["openid", "email", "profile"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "SupportedIdentityProviders": ["COGNITO"],
        "AccessTokenValidity": 45,
        "IdTokenValidity": 45,
        "RefreshTokenValidity": 7,
        "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes",
                               "RefreshToken": "days"},
        "ReadAttributes": ["email", "email_verified", "name"],
        "WriteAttributes": ["email", "name"],
        "EnableTokenRevocation": True,
        "AuthSessionValidity": 7,
        "PreventUserExistenceErrors": "ENABLED",
    }
    described = idp.describe_user_pool_client(UserPoolId=pool_id,
                                              ClientId=client_id)["UserPoolClient"]
    for source, data in (("CreateUserPoolClient", client),
                         ("DescribeUserPoolClient", described)):
        for member, value in expected_client.items():
            check(data.get(member) == value, "%s %s" % (source, member), data.get(member))
    check("ClientSecret" not in described, "no secret on a public client")

    # 3. Updates. Cognito resets what an update leaves out; infrastructure code sends all.
    idp.update_user_pool(UserPoolId=pool_id, MfaConfiguration="OFF",
                         LambdaConfig={"PreSignUp": LAMBDA})
    updated = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    check(updated["MfaConfiguration"] == "OFF", "UpdateUserPool MfaConfiguration")
    check(updated["LambdaConfig"] == {"PreSignUp": LAMBDA}, "UpdateUserPool LambdaConfig")
    check(updated["DeletionProtection"] == "INACTIVE", "omitted DeletionProtection resets")
    check(updated["Policies"]["PasswordPolicy"]["MinimumLength"] == 8,
          "omitted PasswordPolicy resets", updated["Policies"])
    check(updated["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False,
          "omitted AdminCreateUserConfig resets")
    for member in ("AccountRecoverySetting", "SmsConfiguration", "DeviceConfiguration",
                   "UserPoolAddOns"):
        check(member not in updated, "omitted %s resets" % member, updated.get(member))
    check(updated["EmailConfiguration"] == {"EmailSendingAccount": "DEVELOPER"},
          "omitted EmailConfiguration resets", updated["EmailConfiguration"])

    update = dict(described)
    for read_only in ("CreationDate", "LastModifiedDate", "ClientSecret",
                      "RefreshTokenRotation"):
        update.pop(read_only, None)
    update["ClientName"] = "iac-web-v2"
    update["CallbackURLs"] = ["https://app.acme.example/callback2"]
    update["DefaultRedirectURI"] = "https://app.acme.example/callback2"
    idp.update_user_pool_client(**update)
    after = idp.describe_user_pool_client(UserPoolId=pool_id,
                                          ClientId=client_id)["UserPoolClient"]
    check(after["ClientName"] == "iac-web-v2", "UpdateUserPoolClient ClientName")
    check(after["CallbackURLs"] == ["https://app.acme.example/callback2"],
          "UpdateUserPoolClient CallbackURLs")
    check(after["ReadAttributes"] == expected_client["ReadAttributes"],
          "resent ReadAttributes kept")

    idp.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id,
                                ClientName="iac-web-v3")
    reset = idp.describe_user_pool_client(UserPoolId=pool_id,
                                          ClientId=client_id)["UserPoolClient"]
    for member in ("CallbackURLs", "LogoutURLs", "DefaultRedirectURI", "AllowedOAuthFlows",
                   "AllowedOAuthScopes", "SupportedIdentityProviders", "ReadAttributes",
                   "WriteAttributes"):
        check(member not in reset, "omitted %s resets" % member, reset.get(member))
    check(reset["AllowedOAuthFlowsUserPoolClient"] is False,
          "omitted AllowedOAuthFlowsUserPoolClient resets")
    check(reset["AuthSessionValidity"] == 3, "omitted AuthSessionValidity resets")
    check(reset["TokenValidityUnits"] == {"AccessToken": "hours", "IdToken": "hours",
                                          "RefreshToken": "days"},
          "omitted TokenValidityUnits reset", reset["TokenValidityUnits"])

    # 4. Errors, as Cognito raises them.
    expect_error("InvalidParameterException", idp.update_user_pool_client,
                 UserPoolId=pool_id, ClientId=client_id,
                 CallbackURLs=["http://app.acme.example/insecure"])
    expect_error("InvalidOAuthFlowException", idp.update_user_pool_client,
                 UserPoolId=pool_id, ClientId=client_id, AllowedOAuthFlowsUserPoolClient=True,
                 AllowedOAuthFlows=["implicit"], AllowedOAuthScopes=["openid"])
    expect_error("ScopeDoesNotExistException", idp.update_user_pool_client,
                 UserPoolId=pool_id, ClientId=client_id, AllowedOAuthFlowsUserPoolClient=True,
                 AllowedOAuthFlows=["code"], AllowedOAuthScopes=["orders/read"],
                 CallbackURLs=["https://app.acme.example/callback"])
    error = expect_error("InvalidParameterException", idp.update_user_pool_client,
                         UserPoolId=pool_id, ClientId=client_id, AccessTokenValidity=2,
                         TokenValidityUnits={"AccessToken": "days"})
    check(error.response["Error"]["Message"] == "Invalid range for token validity.",
          "token validity range message", error.response["Error"])
    expect_error("ResourceNotFoundException", idp.describe_user_pool_client,
                 UserPoolId=pool_id, ClientId="nosuchclient0000000000000")

    # 5. Teardown, deletion protection first.
    idp.update_user_pool(UserPoolId=pool_id, DeletionProtection="ACTIVE")
    error = expect_error("InvalidParameterException", idp.delete_user_pool, UserPoolId=pool_id)
    check("deletion protection is activated" in error.response["Error"]["Message"],
          "deletion protection message", error.response["Error"])
    idp.delete_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    expect_error("ResourceNotFoundException", idp.describe_user_pool_client,
                 UserPoolId=pool_id, ClientId=client_id)
    left = idp.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    check(client_id not in [c["ClientId"] for c in left], "deleted client not listed", left)
    idp.update_user_pool(UserPoolId=pool_id, DeletionProtection="INACTIVE")
    idp.delete_user_pool(UserPoolId=pool_id)
    expect_error("ResourceNotFoundException", idp.describe_user_pool, UserPoolId=pool_id)
    print("boto3 pool config: all checks passed", flush=True)


if __name__ == "__main__":
    main()
