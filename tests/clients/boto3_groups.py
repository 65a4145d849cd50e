"""Groups and lists through boto3 unchanged: every group operation and its errors, and
boto3's own paginators walking every list operation across pages.

Usage: boto3_groups.py ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY
Prints one line per check and a final success line; exits non-zero on the first failure.
"""

import base64
import json
import sys

import boto3
from botocore.exceptions import ClientError

ADMIN_ROLE = "arn:aws:iam::123456789012:role/Admins"
READER_ROLE = "arn:aws:iam::123456789012:role/Readers"
PASSWORD = "Correct-Horse-9"


def expect_error(code, call, message=None, **kwargs):
    try:
        call(**kwargs)
    except ClientError as error:
        got = error.response["Error"]
        assert got["Code"] == code, (code, got)
        if message is not None:
            assert got["Message"] == message, (message, got)
        return got
    raise AssertionError("%s: expected %s" % (call.__name__, code))


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def walk(idp, operation, key, item, page_size, **kwargs):
    """Every item a paginator yields, and how many pages it took."""
    paginator = idp.get_paginator(operation)
    items, pages = [], 0
    for page in paginator.paginate(PaginationConfig={"PageSize": page_size}, **kwargs):
        pages += 1
        items.extend(entry[item] for entry in page[key])
    return items, pages


def main(endpoint, key_id, secret):
    idp = boto3.client("cognito-idp", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id=key_id, aws_secret_access_key=secret)
    pool_id = idp.create_user_pool(PoolName="boto3-groups")["UserPool"]["Id"]
    other_id = idp.create_user_pool(PoolName="boto3-groups-other")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    for extra in range(3):
        idp.create_user_pool_client(UserPoolId=pool_id, ClientName="extra%d" % extra)

    # Groups, field by field.
    created = idp.create_group(UserPoolId=pool_id, GroupName="admins", Description="Administrators",
                               Precedence=1, RoleArn=ADMIN_ROLE)["Group"]
    assert created["GroupName"] == "admins" and created["UserPoolId"] == pool_id, created
    assert created["Description"] == "Administrators" and created["Precedence"] == 1, created
    assert created["RoleArn"] == ADMIN_ROLE, created
    assert created["CreationDate"] == created["LastModifiedDate"], created
    assert idp.get_group(UserPoolId=pool_id, GroupName="admins")["Group"] == created
    updated = idp.update_group(UserPoolId=pool_id, GroupName="admins", Description="Admins")["Group"]
    assert updated["Description"] == "Admins" and updated["Precedence"] == 1, updated
    assert updated["RoleArn"] == ADMIN_ROLE, updated
    idp.create_group(UserPoolId=pool_id, GroupName="readers", Precedence=5, RoleArn=READER_ROLE)
    print("ok: CreateGroup, GetGroup, UpdateGroup", flush=True)

    expect_error("GroupExistsException", idp.create_group, UserPoolId=pool_id, GroupName="admins")
    expect_error("ResourceNotFoundException", idp.get_group, "Group not found.",
                 UserPoolId=pool_id, GroupName="ghosts")
    expect_error("ResourceNotFoundException", idp.update_group, "Group not found.",
                 UserPoolId=pool_id, GroupName="ghosts", Description="x")
    expect_error("ResourceNotFoundException", idp.delete_group, "Group not found.",
                 UserPoolId=pool_id, GroupName="ghosts")
    expect_error("ResourceNotFoundException", idp.list_users_in_group, "Group not found.",
                 UserPoolId=pool_id, GroupName="ghosts")
    expect_error("InvalidParameterException", idp.create_group,
                 UserPoolId=pool_id, GroupName="bad-role", RoleArn="this-is-not-an-arn-at-all")
    expect_error("ResourceNotFoundException", idp.get_group,
                 UserPoolId="us-east-1_Nowhere00", GroupName="admins")
    # boto3 checks Precedence >= 0 itself; the server refuses it too for other clients.
    print("ok: group errors", flush=True)

    # Twelve users, all in "readers", three in "admins".
    names = ["user%02d" % i for i in range(12)]
    for name in names:
        idp.admin_create_user(UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": name + "@example.com"}])
        idp.admin_set_user_password(UserPoolId=pool_id, Username=name, Password=PASSWORD,
                                    Permanent=True)
        idp.admin_add_user_to_group(UserPoolId=pool_id, Username=name, GroupName="readers")
    for name in names[:3]:
        idp.admin_add_user_to_group(UserPoolId=pool_id, Username=name, GroupName="admins")
    for extra in range(7):
        idp.create_group(UserPoolId=pool_id, GroupName="team%d" % extra)

    users, pages = walk(idp, "list_users", "Users", "Username", 5, UserPoolId=pool_id)
    assert (users, pages) == (names, 3), (users, pages)
    filtered, pages = walk(idp, "list_users", "Users", "Username", 2, UserPoolId=pool_id,
                           Filter='email ^= "user1"')
    assert (filtered, pages) == (["user10", "user11"], 1), (filtered, pages)
    filtered, pages = walk(idp, "list_users", "Users", "Username", 1, UserPoolId=pool_id,
                           Filter='email ^= "user0"')
    assert (filtered, pages) == (names[:10], 10), (filtered, pages)
    groups, pages = walk(idp, "list_groups", "Groups", "GroupName", 4, UserPoolId=pool_id)
    assert groups == sorted(["admins", "readers"] + ["team%d" % i for i in range(7)]), groups
    assert pages == 3, pages
    members, pages = walk(idp, "list_users_in_group", "Users", "Username", 5, UserPoolId=pool_id,
                          GroupName="readers")
    assert sorted(members) == names and pages == 3, (members, pages)
    admins, _ = walk(idp, "list_users_in_group", "Users", "Username", 2, UserPoolId=pool_id,
                     GroupName="admins")
    assert sorted(admins) == names[:3], admins
    of_user, pages = walk(idp, "admin_list_groups_for_user", "Groups", "GroupName", 1,
                          UserPoolId=pool_id, Username="user00")
    assert (of_user, pages) == (["admins", "readers"], 2), (of_user, pages)
    clients, pages = walk(idp, "list_user_pool_clients", "UserPoolClients", "ClientId", 3,
                          UserPoolId=pool_id)
    every = idp.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    assert sorted(clients) == sorted(c["ClientId"] for c in every), (clients, every)
    assert len(clients) >= 4 and pages == (len(clients) + 2) // 3, (clients, pages)
    pools, _ = walk(idp, "list_user_pools", "UserPools", "Id", 1)
    assert pool_id in pools and other_id in pools, pools
    print("ok: paginators over ListUsers, ListGroups, ListUsersInGroup, "
          "AdminListGroupsForUser, ListUserPoolClients, ListUserPools", flush=True)

    # A token belongs to its listing.
    token = idp.list_groups(UserPoolId=pool_id, Limit=1)["NextToken"]
    expect_error("InvalidParameterException", idp.list_groups, "Invalid pagination token.",
                 UserPoolId=other_id, NextToken=token)
    expect_error("InvalidParameterException", idp.list_users, "Invalid pagination token.",
                 UserPoolId=pool_id, PaginationToken=token)
    expect_error("InvalidParameterException", idp.list_users, "Error while parsing filter.",
                 UserPoolId=pool_id, Filter="email = unquoted")
    expect_error("InvalidParameterException", idp.list_users,
                 "Invalid search attribute: custom:team",
                 UserPoolId=pool_id, Filter='custom:team = "x"')
    only_email = idp.list_users(UserPoolId=pool_id, Filter='username = "user03"',
                                AttributesToGet=["email"])["Users"]
    assert only_email[0]["Attributes"] == [{"Name": "email", "Value": "user03@example.com"}], only_email
    print("ok: page tokens bound to their listing, filter errors, AttributesToGet", flush=True)

    # Roles in tokens: the lowest precedence value with a role is preferred.
    tokens = idp.admin_initiate_auth(
        UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "user00", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    id_claims = claims(tokens["IdToken"])
    assert id_claims["cognito:groups"] == ["admins", "readers"], id_claims
    assert id_claims["cognito:roles"] == [ADMIN_ROLE, READER_ROLE], id_claims
    assert id_claims["cognito:preferred_role"] == ADMIN_ROLE, id_claims
    print("ok: cognito:roles and cognito:preferred_role", flush=True)

    idp.delete_group(UserPoolId=pool_id, GroupName="admins")
    expect_error("ResourceNotFoundException", idp.get_group, UserPoolId=pool_id, GroupName="admins")
    left = idp.admin_list_groups_for_user(UserPoolId=pool_id, Username="user00")["Groups"]
    assert [g["GroupName"] for g in left] == ["readers"], left
    print("ok: DeleteGroup", flush=True)
    print("boto3 groups: all checks passed", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
