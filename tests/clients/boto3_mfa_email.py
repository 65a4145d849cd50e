"""E-mailed and texted sign-in codes as the second factor (EMAIL_OTP, SMS_MFA) and the
choice between factors (SELECT_MFA_TYPE), through boto3, unchanged, against Gatehouse. The
codes are read from the dev outbox (GATEHOUSE_DEV_OUTBOX), as a user reads their mail.

Usage: boto3_mfa_email.py ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY
Prints one line per check; exits non-zero on the first failure.
"""

import json
import re
import sys
import urllib.parse
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, key, secret = sys.argv[1:4]
PASSWORD = "Correct-Horse-9"
ALICE = "alice@example.com"
BOB = "+15555550123"


def client(access_key=key, secret_key=secret):
    return boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(retries={"max_attempts": 1}),
    )


def expect_error(code, call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as error:
        actual = error.response["Error"]["Code"]
        assert actual == code, "expected %s, got %s: %s" % (code, actual, error)
        return error
    raise AssertionError("%s did not raise %s" % (call.__name__, code))


def newest_code(to, digits):
    query = urllib.parse.urlencode({"to": to})
    with urllib.request.urlopen("%s/_dev/outbox?%s" % (endpoint, query)) as response:
        messages = json.load(response)["Messages"]
    assert messages, "a message was sent to %s" % to
    found = re.search(r"\b\d{%d}\b" % digits, messages[0]["Text"])
    assert found, messages[0]
    return found.group(0)


admin = client()
idp = client("unused", "unused")

pool_id = admin.create_user_pool(PoolName="mfa-email-demo")["UserPool"]["Id"]
client_id = admin.create_user_pool_client(
    UserPoolId=pool_id,
    ClientName="app",
    ExplicitAuthFlows=[
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    ],
)["UserPoolClient"]["ClientId"]
users = {
    "alice": [{"Name": "email", "Value": ALICE}, {"Name": "email_verified", "Value": "true"}],
    "bob": [
        {"Name": "email", "Value": "bob@example.com"},
        {"Name": "email_verified", "Value": "true"},
        {"Name": "phone_number", "Value": BOB},
        {"Name": "phone_number_verified", "Value": "true"},
    ],
}
for name, attributes in users.items():
    admin.admin_create_user(
        UserPoolId=pool_id, Username=name, UserAttributes=attributes, MessageAction="SUPPRESS"
    )
    admin.admin_set_user_password(
        UserPoolId=pool_id, Username=name, Password=PASSWORD, Permanent=True
    )

expect_error(
    "InvalidParameterException",
    admin.set_user_pool_mfa_config,
    UserPoolId=pool_id,
    EmailMfaConfiguration={"Message": "no placeholder", "Subject": "Sign-in"},
)
config = admin.set_user_pool_mfa_config(
    UserPoolId=pool_id,
    MfaConfiguration="OPTIONAL",
    EmailMfaConfiguration={"Message": "Your Acme code is {####}", "Subject": "Acme sign-in"},
    SmsMfaConfiguration={"SmsAuthenticationMessage": "Acme code {####}"},
)
got = admin.get_user_pool_mfa_config(UserPoolId=pool_id)
assert got["EmailMfaConfiguration"] == config["EmailMfaConfiguration"], got
assert got["SmsMfaConfiguration"] == {"SmsAuthenticationMessage": "Acme code {####}"}, got
print("ok: SetUserPoolMfaConfig and GetUserPoolMfaConfig with e-mail and SMS", flush=True)


def password_sign_in(username):
    return idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )


# alice turns e-mail codes on herself.
tokens = password_sign_in("alice")["AuthenticationResult"]
expect_error(
    "InvalidParameterException",
    idp.set_user_mfa_preference,
    AccessToken=tokens["AccessToken"],
    SMSMfaSettings={"Enabled": True},
)
idp.set_user_mfa_preference(
    AccessToken=tokens["AccessToken"],
    EmailMfaSettings={"Enabled": True, "PreferredMfa": True},
)
user = idp.get_user(AccessToken=tokens["AccessToken"])
assert user["UserMFASettingList"] == ["EMAIL_OTP"], user
assert user["PreferredMfaSetting"] == "EMAIL_OTP", user
print("ok: SetUserMFAPreference turns EMAIL_OTP on", flush=True)

challenge = password_sign_in("alice")
assert challenge["ChallengeName"] == "EMAIL_OTP", challenge
parameters = challenge["ChallengeParameters"]
assert parameters["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL", parameters
assert parameters["CODE_DELIVERY_DESTINATION"] == "a***@e***", parameters
code = newest_code(ALICE, 8)
expect_error(
    "CodeMismatchException",
    idp.respond_to_auth_challenge,
    ClientId=client_id,
    ChallengeName="EMAIL_OTP",
    Session=challenge["Session"],
    ChallengeResponses={"USERNAME": "alice", "EMAIL_OTP_CODE": "%08d" % ((int(code) + 1) % 10**8)},
)
answered = idp.respond_to_auth_challenge(
    ClientId=client_id,
    ChallengeName="EMAIL_OTP",
    Session=challenge["Session"],
    ChallengeResponses={"USERNAME": "alice", "EMAIL_OTP_CODE": code},
)
assert answered["AuthenticationResult"]["IdToken"], answered
expect_error(
    "NotAuthorizedException",
    idp.respond_to_auth_challenge,
    ClientId=client_id,
    ChallengeName="EMAIL_OTP",
    Session=challenge["Session"],
    ChallengeResponses={"USERNAME": "alice", "EMAIL_OTP_CODE": code},
)
print("ok: EMAIL_OTP through InitiateAuth and RespondToAuthChallenge, once", flush=True)

challenge = admin.admin_initiate_auth(
    UserPoolId=pool_id,
    ClientId=client_id,
    AuthFlow="ADMIN_USER_PASSWORD_AUTH",
    AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
)
assert challenge["ChallengeName"] == "EMAIL_OTP", challenge
answered = admin.admin_respond_to_auth_challenge(
    UserPoolId=pool_id,
    ClientId=client_id,
    ChallengeName="EMAIL_OTP",
    Session=challenge["Session"],
    ChallengeResponses={"USERNAME": "alice", "EMAIL_OTP_CODE": newest_code(ALICE, 8)},
)
assert answered["AuthenticationResult"]["AccessToken"], answered
print("ok: EMAIL_OTP through AdminInitiateAuth and AdminRespondToAuthChallenge", flush=True)

# bob: an operator turns on both of his sent-code factors; he chooses between them.
admin.admin_set_user_mfa_preference(
    UserPoolId=pool_id,
    Username="bob",
    SMSMfaSettings={"Enabled": True},
    EmailMfaSettings={"Enabled": True},
)
described = admin.admin_get_user(UserPoolId=pool_id, Username="bob")
assert described["UserMFASettingList"] == ["SMS_MFA", "EMAIL_OTP"], described
assert "PreferredMfaSetting" not in described, described
challenge = password_sign_in("bob")
assert challenge["ChallengeName"] == "SELECT_MFA_TYPE", challenge
assert json.loads(challenge["ChallengeParameters"]["MFAS_CAN_CHOOSE"]) == [
    "SMS_MFA",
    "EMAIL_OTP",
], challenge
chosen = idp.respond_to_auth_challenge(
    ClientId=client_id,
    ChallengeName="SELECT_MFA_TYPE",
    Session=challenge["Session"],
    ChallengeResponses={"USERNAME": "bob", "ANSWER": "SMS_MFA"},
)
assert chosen["ChallengeName"] == "SMS_MFA", chosen
assert chosen["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS", chosen
assert chosen["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "+*******0123", chosen
expect_error(
    "NotAuthorizedException",
    idp.respond_to_auth_challenge,
    ClientId=client_id,
    ChallengeName="SELECT_MFA_TYPE",
    Session=challenge["Session"],
    ChallengeResponses={"USERNAME": "bob", "ANSWER": "EMAIL_OTP"},
)
answered = idp.respond_to_auth_challenge(
    ClientId=client_id,
    ChallengeName="SMS_MFA",
    Session=chosen["Session"],
    ChallengeResponses={"USERNAME": "bob", "SMS_MFA_CODE": newest_code(BOB, 6)},
)
assert answered["AuthenticationResult"]["RefreshToken"], answered
print("ok: SELECT_MFA_TYPE then SMS_MFA with the texted code", flush=True)

print("boto3 mfa email: all checks passed", flush=True)
