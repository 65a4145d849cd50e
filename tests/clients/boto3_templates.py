"""Message templates and attribute verification through boto3, as infrastructure code and an
app would use them: CreateUserPool with VerificationMessageTemplate, InviteMessageTemplate,
AutoVerifiedAttributes and UserAttributeUpdateSettings; DescribeUserPool field by field; the
messages users get (read from the dev outbox, GATEHOUSE_DEV_OUTBOX=true); an e-mail change
that waits for its code; UpdateUserPool back to the defaults.

Usage: boto3_templates.py ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY
Prints one line per check; exits non-zero on the first failure.
"""

import json
import re
import sys
import urllib.parse
import urllib.request

import boto3
from botocore.exceptions import ClientError

PASSWORD = "Correct-Horse-9"
VERIFICATION = {
    "EmailSubject": "Your Acme code",
    "EmailMessage": "<p>Welcome to Acme. Your code is <b>{####}</b>.</p>",
    "SmsMessage": "Acme code {####}",
    "DefaultEmailOption": "CONFIRM_WITH_CODE",
}
INVITATION = {
    "EmailSubject": "Your Acme account",
    "EmailMessage": "<p>Sign in as {username} with {####}</p>",
    "SMSMessage": "Acme: {username} {####}",
}


def expect_error(code, call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as error:
        actual = error.response["Error"]["Code"]
        assert actual == code, "expected %s, got %s: %s" % (code, actual, error)
        print("ok: %s raises %s" % (call.__name__, code), flush=True)
        return error
    raise AssertionError("%s did not raise %s" % (call.__name__, code))


def newest_message(endpoint, to):
    query = urllib.parse.urlencode({"to": to})
    with urllib.request.urlopen("%s/_dev/outbox?%s" % (endpoint, query)) as response:
        messages = json.load(response)["Messages"]
    assert messages, "a message was sent to %s" % to
    return messages[0]


def code_in(message):
    found = re.search(r"\b\d{6}\b", message["Text"])
    assert found, message
    return found.group(0)


def main():
    endpoint, key, secret = sys.argv[1:4]
    idp = boto3.client("cognito-idp", endpoint_url=endpoint, region_name="eu-west-1",
                       aws_access_key_id=key, aws_secret_access_key=secret)

    pool = idp.create_user_pool(
        PoolName="acme-templates",
        VerificationMessageTemplate=VERIFICATION,
        EmailVerificationSubject=VERIFICATION["EmailSubject"],
        SmsAuthenticationMessage="Acme sign-in {####}",
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": False,
                               "InviteMessageTemplate": INVITATION},
        AutoVerifiedAttributes=["email"],
        UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]},
    )["UserPool"]
    pool_id = pool["Id"]
    described = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert described["VerificationMessageTemplate"] == VERIFICATION, described
    assert described["EmailVerificationMessage"] == VERIFICATION["EmailMessage"], described
    assert described["EmailVerificationSubject"] == VERIFICATION["EmailSubject"], described
    assert described["SmsVerificationMessage"] == VERIFICATION["SmsMessage"], described
    assert described["SmsAuthenticationMessage"] == "Acme sign-in {####}", described
    assert described["AdminCreateUserConfig"]["InviteMessageTemplate"] == INVITATION, described
    assert described["AutoVerifiedAttributes"] == ["email"], described
    assert described["UserAttributeUpdateSettings"] == {
        "AttributesRequireVerificationBeforeUpdate": ["email"]}, described
    print("ok: CreateUserPool and DescribeUserPool with templates", flush=True)

    error = expect_error("InvalidParameterException", idp.update_user_pool, UserPoolId=pool_id,
                         VerificationMessageTemplate={"EmailMessage": "no code in here"})
    assert "verificationMessageTemplate.emailMessage" in error.response["Error"]["Message"], error
    error = expect_error("InvalidParameterException", idp.update_user_pool, UserPoolId=pool_id,
                         AdminCreateUserConfig={"InviteMessageTemplate":
                                                {"SMSMessage": "password {####}"}})
    assert "{username}" in error.response["Error"]["Message"], error

    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]

    idp.admin_create_user(UserPoolId=pool_id, Username="dora",
                          UserAttributes=[{"Name": "email", "Value": "dora@example.com"}])
    invitation = newest_message(endpoint, "dora@example.com")
    assert invitation["Subject"] == "Your Acme account", invitation
    assert invitation["Text"].startswith("Sign in as dora with "), invitation
    print("ok: AdminCreateUser sends the pool's invitation", flush=True)

    signed_up = idp.sign_up(ClientId=client_id, Username="erin", Password=PASSWORD,
                            UserAttributes=[{"Name": "email", "Value": "erin@example.com"}])
    assert signed_up["CodeDeliveryDetails"]["AttributeName"] == "email", signed_up
    message = newest_message(endpoint, "erin@example.com")
    assert message["Subject"] == "Your Acme code", message
    code = code_in(message)
    assert message["Text"] == "Welcome to Acme. Your code is %s." % code, message
    idp.confirm_sign_up(ClientId=client_id, Username="erin", ConfirmationCode=code)
    print("ok: SignUp sends the pool's verification message", flush=True)

    tokens = idp.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=client_id,
                               AuthParameters={"USERNAME": "erin", "PASSWORD": PASSWORD}
                               )["AuthenticationResult"]
    access = tokens["AccessToken"]
    changed = idp.update_user_attributes(
        AccessToken=access, UserAttributes=[{"Name": "email", "Value": "erin.new@example.com"}])
    assert changed["CodeDeliveryDetailsList"][0]["AttributeName"] == "email", changed

    def attributes():
        user = idp.get_user(AccessToken=access)
        return {a["Name"]: a["Value"] for a in user["UserAttributes"]}

    held = attributes()
    assert held["email"] == "erin@example.com" and held["email_verified"] == "true", held
    code = code_in(newest_message(endpoint, "erin.new@example.com"))
    idp.verify_user_attribute(AccessToken=access, AttributeName="email", Code=code)
    verified = attributes()
    assert verified["email"] == "erin.new@example.com", verified
    assert verified["email_verified"] == "true", verified
    print("ok: a changed email waits for its code, then takes over verified", flush=True)

    idp.update_user_pool(UserPoolId=pool_id)
    reset = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert reset["VerificationMessageTemplate"] == {"DefaultEmailOption": "CONFIRM_WITH_CODE"}, reset
    assert "EmailVerificationMessage" not in reset and "AutoVerifiedAttributes" not in reset, reset
    assert "InviteMessageTemplate" not in reset["AdminCreateUserConfig"], reset
    print("ok: UpdateUserPool resets the templates", flush=True)
    print("boto3 templates: all checks passed", flush=True)


if __name__ == "__main__":
    main()
