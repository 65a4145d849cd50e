"""Trigger functions for the tests, written as real Lambda handlers. Each parses its event
with aws-lambda-powertools' Cognito event data classes (not ours), records what it read
through `context.record`, and answers as a Cognito trigger answers.

The ARN's function name picks the handler: `arn:aws:lambda:...:function:pre_sign_up` runs
`pre_sign_up`.
"""

import time

from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import (
    CreateAuthChallengeTriggerEvent,
    CustomMessageTriggerEvent,
    DefineAuthChallengeTriggerEvent,
    PostAuthenticationTriggerEvent,
    PostConfirmationTriggerEvent,
    PreAuthenticationTriggerEvent,
    PreSignUpTriggerEvent,
    PreTokenGenerationTriggerEvent,
    PreTokenGenerationV2TriggerEvent,
    UserMigrationTriggerEvent,
    VerifyAuthChallengeResponseTriggerEvent,
)


def common(event, context):
    """The envelope, read through the data class."""
    context.record(
        version=event.version,
        trigger_source=event.trigger_source,
        region=event.region,
        user_pool_id=event.user_pool_id,
        user_name=event.user_name,
        aws_sdk_version=event.caller_context.aws_sdk_version,
        client_id=event.caller_context.client_id,
    )


def pre_sign_up(raw, context):
    """Refuses a `refuse` client metadata; confirms and verifies as the metadata asks."""
    event = PreSignUpTriggerEvent(raw)
    common(event, context)
    metadata = event.request.client_metadata or {}
    context.record(
        user_attributes=event.request.user_attributes,
        validation_data=event.request.validation_data,
        client_metadata=metadata,
    )
    if "refuse" in metadata:
        raise Exception(metadata["refuse"])
    event.response.auto_confirm_user = metadata.get("autoConfirmUser") == "true"
    event.response.auto_verify_email = metadata.get("autoVerifyEmail") == "true"
    event.response.auto_verify_phone = metadata.get("autoVerifyPhone") == "true"
    return event.raw_event


def post_confirmation(raw, context):
    """Refuses users whose name starts with "unwelcome" (after their confirmation)."""
    event = PostConfirmationTriggerEvent(raw)
    common(event, context)
    context.record(
        user_attributes=event.request.user_attributes,
        client_metadata=event.request.client_metadata,
    )
    if event.user_name.startswith("unwelcome"):
        raise Exception("Welcome mail bounced")
    return event.raw_event


def pre_authentication(raw, context):
    """Refuses users whose name starts with "blocked"."""
    event = PreAuthenticationTriggerEvent(raw)
    common(event, context)
    context.record(
        user_attributes=event.request.user_attributes,
        validation_data=event.request.validation_data,
        user_not_found=event.request.user_not_found,
    )
    if event.user_name.startswith("blocked"):
        raise Exception("This account is blocked")
    return event.raw_event


def post_authentication(raw, context):
    event = PostAuthenticationTriggerEvent(raw)
    common(event, context)
    context.record(
        user_attributes=event.request.user_attributes,
        new_device_used=event.request.new_device_used,
        client_metadata=event.request.client_metadata,
    )
    return event.raw_event


def tokens_v1(raw, context):
    """Adds and overrides ID-token claims, tries reserved ones, overrides the groups."""
    event = PreTokenGenerationTriggerEvent(raw)
    common(event, context)
    groups = event.request.group_configuration
    context.record(
        user_attributes=event.request.user_attributes,
        groups=groups.groups_to_override,
        roles=groups.iam_roles_to_override,
        preferred_role=groups.preferred_role,
        client_metadata=event.request.client_metadata,
    )
    details = event.response.claims_override_details
    details.claims_to_add_or_override = {
        "tier": "gold",
        "email": "override@example.com",
        "sub": "forged-sub",
        "cognito:username": "forged-user",
    }
    details.claims_to_suppress = ["phone_number", "aud"]
    details.set_group_configuration_groups_to_override(["from-trigger"])
    details.set_group_configuration_preferred_role("arn:aws:iam::123456789012:role/trigger")
    return event.raw_event


def tokens_v2(raw, context):
    """Changes both tokens with JSON values, and the access token's scopes."""
    event = PreTokenGenerationV2TriggerEvent(raw)
    common(event, context)
    context.record(
        user_attributes=event.request.user_attributes,
        scopes=event.request.scopes,
        groups=event.request.group_configuration.groups_to_override,
    )
    raw["response"]["claimsAndScopeOverrideDetails"] = {
        "idTokenGeneration": {
            "claimsToAddOrOverride": {"tier": {"level": 3, "tags": ["a", "b"]}, "iss": "forged"},
            "claimsToSuppress": ["email"],
        },
        "accessTokenGeneration": {
            "claimsToAddOrOverride": {"org": ["north", "south"], "client_id": "forged"},
            "claimsToSuppress": ["token_use"],
            "scopesToAdd": ["api/read"],
            "scopesToSuppress": ["aws.cognito.signin.user.admin"],
        },
    }
    return raw


def tokens_v3(raw, context):
    """A `V3_0` function: changes client-credentials access tokens (and tries what it may
    not). aws-lambda-powertools has no data class for `TokenGeneration_ClientCredentials`,
    so the raw event is read and recorded; `refuse` in the metadata throws."""
    request = raw["request"]
    context.record(
        version=raw["version"],
        trigger_source=raw["triggerSource"],
        region=raw["region"],
        user_pool_id=raw["userPoolId"],
        user_name=raw["userName"],
        aws_sdk_version=raw["callerContext"]["awsSdkVersion"],
        client_id=raw["callerContext"]["clientId"],
        user_attributes=request["userAttributes"],
        group_configuration=request["groupConfiguration"],
        scopes=request["scopes"],
        client_metadata=request["clientMetadata"],
        response=dict(raw["response"]),
    )
    metadata = request["clientMetadata"] or {}
    if "refuse" in metadata:
        raise Exception(metadata["refuse"])
    raw["response"]["claimsAndScopeOverrideDetails"] = {
        "idTokenGeneration": {"claimsToAddOrOverride": {"id_only": "no id token here"}},
        "accessTokenGeneration": {
            "claimsToAddOrOverride": {
                "tenant": metadata.get("tenant", "none"),
                "limits": {"rps": 10, "regions": ["eu", "us"]},
                "client_id": "forged",
                "sub": "forged",
                "version": 9,
                "scope": "admin",
            },
            "claimsToSuppress": ["jti", "iss", "token_use"],
            "scopesToAdd": ["billing/charge"],
            "scopesToSuppress": ["orders/write"],
        },
        "groupOverrideDetails": {"groupsToOverride": ["machines"]},
    }
    return raw


# The users of the system the pool migrates from: name -> (password, attributes).
LEGACY_USERS = {
    "legacy-alice": ("Legacy-Passw0rd!", {"email": "alice@legacy.example", "email_verified": "true"}),
    "legacy-bob": ("Legacy-Passw0rd!", {"email": "bob@legacy.example"}),
    "legacy-carol": ("Legacy-Passw0rd!", {"email": "carol@legacy.example"}),
    "legacy-dave": ("Legacy-Passw0rd!", {"email": "dave@legacy.example"}),
    "legacy-erin": ("Legacy-Passw0rd!", {"email": "erin@legacy.example"}),
    "legacy-frank": ("Legacy-Passw0rd!", {"email": "frank@legacy.example", "email_verified": "true"}),
}


def user_migration(raw, context):
    """Vouches for the legacy users with their legacy password; throws for anyone else, as
    Cognito's documentation has a migration function do. `legacy-bob` must reset his
    password; `finalStatus` in the validation data or metadata overrides it."""
    event = UserMigrationTriggerEvent(raw)
    common(event, context)
    request = raw["request"]
    context.record(
        password=request.get("password") and event.request.password,
        validation_data=event.request.validation_data,
        client_metadata=event.request.client_metadata,
    )
    legacy = LEGACY_USERS.get(event.user_name)
    if legacy is None:
        raise Exception("User does not exist")
    password, attributes = legacy
    if event.trigger_source == "UserMigration_Authentication" and event.request.password != password:
        raise Exception("Bad password")
    event.response.user_attributes = dict(attributes)
    event.response.final_user_status = (
        "RESET_REQUIRED" if event.user_name == "legacy-bob" else "CONFIRMED"
    )
    event.response.message_action = "SUPPRESS"
    return event.raw_event


def custom_message(raw, context):
    """Words every message its own way, with the placeholders it was given."""
    event = CustomMessageTriggerEvent(raw)
    common(event, context)
    code = event.request.code_parameter
    username = raw["request"].get("usernameParameter") and event.request.username_parameter
    context.record(
        code_parameter=code,
        username_parameter=username,
        user_attributes=event.request.user_attributes,
        client_metadata=event.request.client_metadata,
    )
    who = username or event.user_name
    event.response.email_subject = f"Custom {event.trigger_source}"
    event.response.email_message = f"Hello {who}, your code is {code}."
    event.response.sms_message = f"{code} is your code"
    return event.raw_event


def custom_message_without_code(raw, context):
    """Forgets the code's placeholder: an answer Cognito refuses."""
    event = CustomMessageTriggerEvent(raw)
    common(event, context)
    event.response.email_message = "Hello, there is no code in this message."
    event.response.sms_message = "No code in this text either."
    return event.raw_event


def sign_in_code_message(raw, context):
    """Words the sign-in codes of e-mail and SMS MFA (`CustomMessage_Authentication`) and
    records every request member Cognito documents for it; refuses other sources."""
    event = CustomMessageTriggerEvent(raw)
    common(event, context)
    request = raw["request"]
    code = event.request.code_parameter
    context.record(
        code_parameter=code,
        username_parameter=request.get("usernameParameter") and event.request.username_parameter,
        link_parameter=request.get("linkParameter") and event.request.link_parameter,
        user_attributes=event.request.user_attributes,
        client_metadata=event.request.client_metadata,
        request_members=sorted(request),
        response_members=sorted(raw["response"]),
    )
    if event.trigger_source != "CustomMessage_Authentication":
        raise Exception(f"Unexpected source {event.trigger_source}")
    app = (event.request.client_metadata or {}).get("app", "no app")
    event.response.email_subject = f"Sign-in to {app}"
    event.response.email_message = f"{event.user_name}, enter {code} to sign in ({app})."
    event.response.sms_message = f"Sign-in code {code} for {event.user_name}"
    return event.raw_event


def throws(raw, context):
    context.record(trigger_source=raw["triggerSource"])
    raise Exception("No sign-ups from this domain")


def sleeps(raw, context):
    """Slower than the server's (lowered) time limit."""
    context.record(trigger_source=raw["triggerSource"])
    time.sleep(3)
    return raw


def malformed(raw, context):
    """An answer no source can read: a response member of the wrong type."""
    context.record(trigger_source=raw["triggerSource"])
    raw["response"] = {
        "autoConfirmUser": "yes",
        "claimsOverrideDetails": "no",
        "claimsAndScopeOverrideDetails": "no",
    }
    return raw


def history(session):
    """A custom sign-in's challenges so far, as plain lists."""
    return [[s.challenge_name, s.challenge_result, s.challenge_metadata] for s in session]


def define_auth_challenge(raw, context):
    """A quiz after an optional password: SRP_A asks for the password, a proven password (or
    nothing) for the quiz, a right answer issues tokens, the third wrong one fails. Client
    metadata `define` overrides: `issue` issues at once, `loop` always asks again, `mfa`
    names a challenge only Cognito itself runs."""
    event = DefineAuthChallengeTriggerEvent(raw)
    common(event, context)
    session = event.request.session
    metadata = event.request.client_metadata or {}
    context.record(
        user_attributes=event.request.user_attributes,
        user_not_found=event.request.user_not_found,
        session=history(session),
        client_metadata=metadata,
    )
    response = event.response
    response.issue_tokens = False
    response.fail_authentication = False
    override = metadata.get("define")
    last = session[-1] if session else None
    wrong = sum(1 for s in session if s.challenge_name == "CUSTOM_CHALLENGE" and not s.challenge_result)
    if override == "issue":
        response.issue_tokens = True
    elif override == "loop":
        response.challenge_name = "CUSTOM_CHALLENGE"
    elif override == "mfa":
        response.challenge_name = "SMS_MFA"
    elif last is not None and last.challenge_name == "SRP_A":
        response.challenge_name = "PASSWORD_VERIFIER"
    elif last is not None and last.challenge_name == "CUSTOM_CHALLENGE" and last.challenge_result:
        response.issue_tokens = True
    elif wrong >= 3:
        response.fail_authentication = True
    else:
        response.challenge_name = "CUSTOM_CHALLENGE"
    return event.raw_event


def create_auth_challenge(raw, context):
    """Asks 6 x 7; the expected answer stays private; the metadata counts the rounds."""
    event = CreateAuthChallengeTriggerEvent(raw)
    common(event, context)
    context.record(
        user_attributes=event.request.user_attributes,
        user_not_found=event.request.user_not_found,
        challenge_name=event.request.challenge_name,
        session=history(event.request.session),
        client_metadata=event.request.client_metadata,
    )
    event.response.public_challenge_parameters = {"question": "What is 6 x 7?"}
    event.response.private_challenge_parameters = {"answer": "42"}
    event.response.challenge_metadata = f"QUIZ-{len(event.request.session) + 1}"
    return event.raw_event


def verify_auth_challenge(raw, context):
    """Right when the answer is the private one."""
    event = VerifyAuthChallengeResponseTriggerEvent(raw)
    common(event, context)
    private = event.request.private_challenge_parameters
    context.record(
        user_attributes=event.request.user_attributes,
        user_not_found=event.request.user_not_found,
        private_challenge_parameters=private,
        challenge_answer=event.request.challenge_answer,
        client_metadata=event.request.client_metadata,
    )
    event.response.answer_correct = event.request.challenge_answer == private.get("answer")
    return event.raw_event
