"""A pool declared in a seed file is the same pool boto3 creates with the same settings:
creates, through boto3, the pool, app client and groups a declaration describes, and compares
DescribeUserPool, DescribeUserPoolClient and GetGroup for it field by field with the same
calls for the pool the test seeded from that declaration. Ids, ARNs and dates differ by
nature; the seeded pool's login-name tag (gatehouse:tenant) is Gatehouse's own.

Usage: boto3_seed_parity.py ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY DECLARATION_JSON
       SEEDED_POOL_ID SEEDED_CLIENT_ID
DECLARATION_JSON: {"PoolName", "Pool": CreateUserPool's other members, "Client":
CreateUserPoolClient's members but the pool, "Groups": [CreateGroup's members but the pool]}.
Prints one line per check; exits non-zero on the first failure.
"""

import json
import sys

import boto3

POOL_IGNORED = {"Id", "Arn", "CreationDate", "LastModifiedDate", "EstimatedNumberOfUsers"}
CLIENT_IGNORED = {"UserPoolId", "ClientId", "ClientSecret", "CreationDate", "LastModifiedDate"}
GROUP_IGNORED = {"UserPoolId", "CreationDate", "LastModifiedDate"}
LOGIN_NAME_TAG = "gatehouse:tenant"


def check(condition, what, detail=""):
    assert condition, "%s: %s" % (what, detail)
    print("ok: %s" % what, flush=True)


def same_fields(what, api, seeded, ignored):
    """Every member either answer has, but the ignored ones, is equal in both."""
    for member in sorted((set(api) | set(seeded)) - ignored):
        check(api.get(member) == seeded.get(member), "%s.%s" % (what, member),
              "boto3: %r, seed file: %r" % (api.get(member), seeded.get(member)))
    for answer in (api, seeded):
        check(answer["LastModifiedDate"] >= answer["CreationDate"], what + " dates in order")


def without_login_name(pool):
    pool = dict(pool)
    tags = dict(pool.get("UserPoolTags", {}))
    tags.pop(LOGIN_NAME_TAG, None)
    pool["UserPoolTags"] = tags
    return pool


def main():
    endpoint, key, secret, declaration, seeded_pool, seeded_client = sys.argv[1:7]
    declaration = json.loads(declaration)
    idp = boto3.client("cognito-idp", endpoint_url=endpoint, region_name="eu-west-1",
                       aws_access_key_id=key, aws_secret_access_key=secret)

    api_pool = idp.create_user_pool(PoolName=declaration["PoolName"],
                                    **declaration["Pool"])["UserPool"]["Id"]
    api_client = idp.create_user_pool_client(UserPoolId=api_pool,
                                             **declaration["Client"])["UserPoolClient"]
    for group in declaration["Groups"]:
        idp.create_group(UserPoolId=api_pool, **group)

    api = idp.describe_user_pool(UserPoolId=api_pool)["UserPool"]
    seeded = idp.describe_user_pool(UserPoolId=seeded_pool)["UserPool"]
    check(seeded["UserPoolTags"].get(LOGIN_NAME_TAG) == declaration["PoolName"],
          "the seeded pool's login name is its Name", seeded["UserPoolTags"])
    same_fields("DescribeUserPool", without_login_name(api), without_login_name(seeded),
                POOL_IGNORED)

    api = idp.describe_user_pool_client(UserPoolId=api_pool,
                                        ClientId=api_client["ClientId"])["UserPoolClient"]
    seeded = idp.describe_user_pool_client(UserPoolId=seeded_pool,
                                           ClientId=seeded_client)["UserPoolClient"]
    same_fields("DescribeUserPoolClient", api, seeded, CLIENT_IGNORED)
    check(("ClientSecret" in api) == ("ClientSecret" in seeded)
          == declaration["Client"].get("GenerateSecret", False),
          "DescribeUserPoolClient.ClientSecret present in both or neither")

    for group in declaration["Groups"]:
        name = group["GroupName"]
        api = idp.get_group(UserPoolId=api_pool, GroupName=name)["Group"]
        seeded = idp.get_group(UserPoolId=seeded_pool, GroupName=name)["Group"]
        same_fields("GetGroup(%s)" % name, api, seeded, GROUP_IGNORED)

    print("boto3 seed parity: all checks passed", flush=True)


if __name__ == "__main__":
    main()
