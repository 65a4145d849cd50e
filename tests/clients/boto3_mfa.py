"""TOTP multi-factor sign-in through boto3 and pycognito, unchanged, against Gatehouse.
The codes come from pyotp, an implementation independent of the server's.

Usage: boto3_mfa.py ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY SERVER_NOW
The server runs on a test clock that stands still at SERVER_NOW (Unix seconds) unless the
script prints `ADVANCE <seconds>`; it then waits for a line on standard input. Prints one
line per check; exits non-zero on the first failure.
"""

import sys

import boto3
import pyotp
from botocore.config import Config
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP
from pycognito.exceptions import SoftwareTokenMFAChallengeException

endpoint, key, secret = sys.argv[1:4]
server_now = int(sys.argv[4])
PASSWORD = "Correct-Horse-9"


def advance(seconds):
    global server_now
    print("ADVANCE %d" % seconds, flush=True)
    sys.stdin.readline()
    server_now += seconds


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


admin = client()
idp = client("unused", "unused")

pool_id = admin.create_user_pool(PoolName="mfa-demo")["UserPool"]["Id"]
client_id = admin.create_user_pool_client(
    UserPoolId=pool_id,
    ClientName="app",
    ExplicitAuthFlows=[
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    ],
)["UserPoolClient"]["ClientId"]
for name in ["alice", "bob"]:
    admin.admin_create_user(UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS")
    admin.admin_set_user_password(
        UserPoolId=pool_id, Username=name, Password=PASSWORD, Permanent=True
    )

config = admin.set_user_pool_mfa_config(
    UserPoolId=pool_id,
    MfaConfiguration="ON",
    SoftwareTokenMfaConfiguration={"Enabled": True},
)
assert config["MfaConfiguration"] == "ON", config
got = admin.get_user_pool_mfa_config(UserPoolId=pool_id)
assert got["SoftwareTokenMfaConfiguration"] == {"Enabled": True}, got
print("ok: SetUserPoolMfaConfig and GetUserPoolMfaConfig", flush=True)


def password_sign_in(username):
    return idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )


def set_up(username, challenge):
    """Answers MFA_SETUP: associate by session, verify with pyotp's code, answer."""
    assert challenge["ChallengeName"] == "MFA_SETUP", challenge
    assert challenge["ChallengeParameters"]["MFAS_CAN_SETUP"] == '["SOFTWARE_TOKEN_MFA"]'
    associated = idp.associate_software_token(Session=challenge["Session"])
    totp = pyotp.TOTP(associated["SecretCode"])
    verified = idp.verify_software_token(
        Session=associated["Session"],
        UserCode=totp.at(server_now),
        FriendlyDeviceName=username + "'s phone",
    )
    assert verified["Status"] == "SUCCESS", verified
    answered = idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": username},
    )
    return totp, answered["AuthenticationResult"]


# alice: an ON pool sets her app up at her first sign-in.
alice, tokens = set_up("alice", password_sign_in("alice"))
user = idp.get_user(AccessToken=tokens["AccessToken"])
assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"], user
idp.set_user_mfa_preference(
    AccessToken=tokens["AccessToken"],
    SMSMfaSettings={"Enabled": False, "PreferredMfa": False},
    SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
)
user = idp.get_user(AccessToken=tokens["AccessToken"])
assert user["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA", user
print("ok: MFA_SETUP through the session, then GetUser shows the app", flush=True)

# Every later sign-in asks for a code; the code of the next step is within the drift.
challenge = password_sign_in("alice")
assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA", challenge
assert challenge["ChallengeParameters"]["FRIENDLY_DEVICE_NAME"] == "alice's phone", challenge
code = alice.at(server_now + 30)
answered = idp.respond_to_auth_challenge(
    ClientId=client_id,
    ChallengeName="SOFTWARE_TOKEN_MFA",
    Session=challenge["Session"],
    ChallengeResponses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": code},
)
assert answered["AuthenticationResult"]["TokenType"] == "Bearer", answered
print("ok: SOFTWARE_TOKEN_MFA answered with pyotp's code", flush=True)

challenge = password_sign_in("alice")
expect_error(
    "CodeMismatchException",
    idp.respond_to_auth_challenge,
    ClientId=client_id,
    ChallengeName="SOFTWARE_TOKEN_MFA",
    Session=challenge["Session"],
    ChallengeResponses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": code},
)
expect_error(
    "NotAuthorizedException",
    idp.respond_to_auth_challenge,
    ClientId=client_id,
    ChallengeName="SOFTWARE_TOKEN_MFA",
    Session=challenge["Session"][:-4] + "AAAA",
    ChallengeResponses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": code},
)
print("ok: a used code and an unknown session are refused", flush=True)

# SRP: pycognito stops at the same challenge after PASSWORD_VERIFIER.
advance(60)
try:
    AWSSRP(
        username="alice", password=PASSWORD, pool_id=pool_id, client_id=client_id, client=idp
    ).authenticate_user()
except SoftwareTokenMFAChallengeException as challenge:
    mfa_tokens = challenge.get_tokens()
else:
    raise AssertionError("SRP sign-in skipped the second factor")
answered = idp.respond_to_auth_challenge(
    ClientId=client_id,
    ChallengeName="SOFTWARE_TOKEN_MFA",
    Session=mfa_tokens["Session"],
    ChallengeResponses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": alice.at(server_now)},
)
assert "AccessToken" in answered["AuthenticationResult"], answered
print("ok: SRP sign-in with pyotp's code", flush=True)

# bob sets his app up after an SRP sign-in.
bob_setup = AWSSRP(
    username="bob", password=PASSWORD, pool_id=pool_id, client_id=client_id, client=idp
).authenticate_user()
bob, tokens = set_up("bob", bob_setup)
assert "IdToken" in tokens, tokens
print("ok: MFA_SETUP after SRP", flush=True)

# An operator turns alice's lost app off: the ON pool has her set up a new one.
admin.admin_set_user_mfa_preference(
    UserPoolId=pool_id,
    Username="alice",
    SoftwareTokenMfaSettings={"Enabled": False},
)
described = admin.admin_get_user(UserPoolId=pool_id, Username="alice")
assert "UserMFASettingList" not in described, described
assert password_sign_in("alice")["ChallengeName"] == "MFA_SETUP"
print("ok: AdminSetUserMFAPreference disables the app; the next sign-in sets one up", flush=True)
print("boto3 mfa: all checks passed", flush=True)
