"""Drives Gatehouse's Cognito JSON API with boto3, unchanged, as an application would.

Usage: boto3_cognito.py ENDPOINT CLIENT_ID
The server must hold user `alice` (password Correct-Horse-9, email alice@example.com) and
user `bob` with the temporary password Temporary-Pass-1, both in the client's pool.
Prints one line per check; exits non-zero on the first failure.
"""

import sys

import boto3
from botocore.exceptions import ClientError

PASSWORD = "Correct-Horse-9"


def expect_error(code, call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except ClientError as error:
        actual = error.response["Error"]["Code"]
        assert actual == code, "expected %s, got %s: %s" % (code, actual, error)
        print("ok: %s raises %s" % (call.__name__, code))
        return error
    raise AssertionError("%s did not raise %s" % (call.__name__, code))


def main():
    endpoint, client_id = sys.argv[1:3]
    idp = boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="unused",
        aws_secret_access_key="unused",
    )

    signed_in = idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )
    result = signed_in["AuthenticationResult"]
    assert result["TokenType"] == "Bearer" and result["ExpiresIn"] == 3600, result
    assert {"IdToken", "AccessToken", "RefreshToken"} <= set(result), result
    assert signed_in["ResponseMetadata"]["RequestId"], signed_in["ResponseMetadata"]
    print("ok: USER_PASSWORD_AUTH signs in")

    user = idp.get_user(AccessToken=result["AccessToken"])
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert user["Username"] == "alice" and attributes["email"] == "alice@example.com", user
    assert "sub" in attributes, attributes
    print("ok: GetUser")

    refreshed = idp.initiate_auth(
        AuthFlow="REFRESH_TOKEN_AUTH",
        ClientId=client_id,
        AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]},
    )["AuthenticationResult"]
    assert "RefreshToken" not in refreshed and refreshed["AccessToken"] != result["AccessToken"]
    print("ok: REFRESH_TOKEN_AUTH returns new tokens and no refresh token")

    expect_error(
        "NotAuthorizedException",
        idp.initiate_auth,
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": "alice", "PASSWORD": "Wrong-Horse-9"},
    )
    expect_error(
        "NotAuthorizedException",
        idp.initiate_auth,
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": "nobody", "PASSWORD": PASSWORD},
    )
    expect_error(
        "ResourceNotFoundException",
        idp.initiate_auth,
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId="nosuchclient0000000000000a",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )
    expect_error(
        "InvalidParameterException",
        idp.initiate_auth,
        AuthFlow="USER_SRP_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": "alice", "SRP_A": "0"},
    )

    challenge = idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": "bob", "PASSWORD": "Temporary-Pass-1"},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED", challenge
    assert challenge["ChallengeParameters"]["requiredAttributes"] == "[]", challenge
    print("ok: NEW_PASSWORD_REQUIRED challenge")
    expect_error(
        "InvalidPasswordException",
        idp.respond_to_auth_challenge,
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "bob", "NEW_PASSWORD": "weak"},
    )
    answered = idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "bob", "NEW_PASSWORD": "Bobs-Own-Pass-3"},
    )["AuthenticationResult"]
    print("ok: RespondToAuthChallenge signs in")
    expect_error(
        "NotAuthorizedException",
        idp.respond_to_auth_challenge,
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "bob", "NEW_PASSWORD": "Bobs-Own-Pass-4"},
    )

    idp.change_password(
        PreviousPassword="Bobs-Own-Pass-3",
        ProposedPassword="Bobs-New-Pass-5",
        AccessToken=answered["AccessToken"],
    )
    print("ok: ChangePassword")
    expect_error(
        "NotAuthorizedException",
        idp.change_password,
        PreviousPassword="Wrong-Pass-1",
        ProposedPassword="Bobs-New-Pass-6",
        AccessToken=answered["AccessToken"],
    )

    idp.revoke_token(Token=result["RefreshToken"], ClientId=client_id)
    print("ok: RevokeToken")
    expect_error(
        "NotAuthorizedException",
        idp.initiate_auth,
        AuthFlow="REFRESH_TOKEN_AUTH",
        ClientId=client_id,
        AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]},
    )
    expect_error("NotAuthorizedException", idp.get_user, AccessToken=result["AccessToken"])

    idp.global_sign_out(AccessToken=answered["AccessToken"])
    print("ok: GlobalSignOut")
    expect_error("NotAuthorizedException", idp.get_user, AccessToken=answered["AccessToken"])
    print("boto3: all checks passed")


if __name__ == "__main__":
    main()
