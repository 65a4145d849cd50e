"""Resource servers and user pool domains through boto3 unchanged: every operation, the
paginator, and the errors Cognito raises; a client allowed a custom scope only once it exists.

Usage: boto3_oauth.py ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY
Prints one line per check and a final success line; exits non-zero on the first failure.
"""

import sys

import boto3
from botocore.exceptions import ClientError

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab"
CERT2 = "arn:aws:acm:us-east-1:123456789012:certificate/9999abcd-12ab-34cd-56ef-1234567890ab"


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


def resource_servers(idp, pool_id):
    scopes = [{"ScopeName": "read", "ScopeDescription": "Read orders"},
              {"ScopeName": "write", "ScopeDescription": "Write orders"}]
    created = idp.create_resource_server(UserPoolId=pool_id, Identifier="https://orders.example",
                                         Name="Orders", Scopes=scopes)["ResourceServer"]
    assert created == {"UserPoolId": pool_id, "Identifier": "https://orders.example",
                       "Name": "Orders", "Scopes": scopes}, created
    described = idp.describe_resource_server(UserPoolId=pool_id,
                                             Identifier="https://orders.example")
    assert described["ResourceServer"] == created
    print("ok: create and describe a resource server")

    expect_error("InvalidParameterException", idp.create_resource_server, UserPoolId=pool_id,
                 Identifier="https://orders.example", Name="Again")
    expect_error("InvalidParameterException", idp.create_resource_server, UserPoolId=pool_id,
                 Identifier="has space", Name="Bad")
    expect_error("InvalidParameterException", idp.create_resource_server, UserPoolId=pool_id,
                 Identifier="slashy", Name="Bad",
                 Scopes=[{"ScopeName": "a/b", "ScopeDescription": "x"}])
    expect_error("InvalidParameterException", idp.create_resource_server, UserPoolId=pool_id,
                 Identifier="twice", Name="Bad",
                 Scopes=[{"ScopeName": "a", "ScopeDescription": "x"},
                         {"ScopeName": "a", "ScopeDescription": "y"}])
    expect_error("ResourceNotFoundException", idp.describe_resource_server, UserPoolId=pool_id,
                 Identifier="nope")
    expect_error("ResourceNotFoundException", idp.create_resource_server,
                 UserPoolId="us-east-1_NoSuchPol", Identifier="x", Name="x")
    print("ok: duplicates, malformed members and unknown servers are refused")

    for index in range(5):
        idp.create_resource_server(UserPoolId=pool_id, Identifier="api%d" % index,
                                   Name="API %d" % index)
    paginator = idp.get_paginator("list_resource_servers")
    seen, pages = [], 0
    for page in paginator.paginate(UserPoolId=pool_id, PaginationConfig={"PageSize": 2}):
        pages += 1
        seen.extend(server["Identifier"] for server in page["ResourceServers"])
    assert seen == ["api0", "api1", "api2", "api3", "api4", "https://orders.example"], seen
    assert pages == 3, pages
    expect_error("InvalidParameterException", idp.list_resource_servers, UserPoolId=pool_id,
                 MaxResults=51)
    print("ok: the paginator walks every resource server")

    # A client may be allowed a custom scope that exists, not one that does not.
    client = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="service", GenerateSecret=True,
        AllowedOAuthFlows=["client_credentials"], AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthScopes=["https://orders.example/read"])["UserPoolClient"]
    assert client["AllowedOAuthScopes"] == ["https://orders.example/read"]
    expect_error("ScopeDoesNotExistException", idp.update_user_pool_client,
                 "Invalid scope requested: https://orders.example/delete",
                 UserPoolId=pool_id, ClientId=client["ClientId"],
                 AllowedOAuthFlows=["client_credentials"], AllowedOAuthFlowsUserPoolClient=True,
                 AllowedOAuthScopes=["https://orders.example/delete"])
    print("ok: AllowedOAuthScopes takes existing custom scopes only")

    updated = idp.update_resource_server(
        UserPoolId=pool_id, Identifier="https://orders.example", Name="Orders v2",
        Scopes=[{"ScopeName": "delete", "ScopeDescription": "Delete orders"}])["ResourceServer"]
    assert updated["Name"] == "Orders v2"
    assert updated["Scopes"] == [{"ScopeName": "delete", "ScopeDescription": "Delete orders"}]
    idp.update_user_pool_client(
        UserPoolId=pool_id, ClientId=client["ClientId"],
        AllowedOAuthFlows=["client_credentials"], AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthScopes=["https://orders.example/delete"])
    expect_error("ResourceNotFoundException", idp.update_resource_server, UserPoolId=pool_id,
                 Identifier="nope", Name="x")
    print("ok: update replaces the name and scopes")

    idp.delete_resource_server(UserPoolId=pool_id, Identifier="api0")
    expect_error("ResourceNotFoundException", idp.delete_resource_server, UserPoolId=pool_id,
                 Identifier="api0")
    expect_error("ResourceNotFoundException", idp.describe_resource_server, UserPoolId=pool_id,
                 Identifier="api0")
    print("ok: delete, then the server is gone")


def domains(idp, pool_id, other_id):
    assert "Domain" not in idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    idp.create_user_pool_domain(UserPoolId=pool_id, Domain="acme-login")
    described = idp.describe_user_pool_domain(Domain="acme-login")["DomainDescription"]
    assert described["UserPoolId"] == pool_id, described
    assert described["Domain"] == "acme-login"
    assert described["Status"] == "ACTIVE"
    assert idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Domain"] == "acme-login"
    assert idp.describe_user_pool_domain(Domain="nobody-has-it")["DomainDescription"] == {}
    print("ok: a prefix domain is created, described and shown by DescribeUserPool")

    expect_error("InvalidParameterException", idp.create_user_pool_domain,
                 UserPoolId=pool_id, Domain="acme-second")
    expect_error("InvalidParameterException", idp.create_user_pool_domain,
                 UserPoolId=other_id, Domain="acme-login")
    expect_error("InvalidParameterException", idp.create_user_pool_domain,
                 UserPoolId=other_id, Domain="Not_Valid")
    expect_error("InvalidParameterException", idp.create_user_pool_domain,
                 UserPoolId=other_id, Domain="my-aws-login")
    expect_error("InvalidParameterException", idp.delete_user_pool_domain,
                 UserPoolId=other_id, Domain="acme-login")
    print("ok: one domain per pool, one pool per domain, Cognito's rules for prefixes")

    idp.delete_user_pool_domain(UserPoolId=pool_id, Domain="acme-login")
    assert idp.describe_user_pool_domain(Domain="acme-login")["DomainDescription"] == {}
    assert "Domain" not in idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]

    idp.create_user_pool_domain(UserPoolId=pool_id, Domain="auth.acme.example",
                                CustomDomainConfig={"CertificateArn": CERT})
    described = idp.describe_user_pool_domain(Domain="auth.acme.example")["DomainDescription"]
    assert described["CustomDomainConfig"] == {"CertificateArn": CERT}, described
    assert idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["CustomDomain"] == \
        "auth.acme.example"
    idp.update_user_pool_domain(UserPoolId=pool_id, Domain="auth.acme.example",
                                CustomDomainConfig={"CertificateArn": CERT2})
    described = idp.describe_user_pool_domain(Domain="auth.acme.example")["DomainDescription"]
    assert described["CustomDomainConfig"] == {"CertificateArn": CERT2}, described
    expect_error("InvalidParameterException", idp.update_user_pool_domain, UserPoolId=other_id,
                 Domain="auth.acme.example", CustomDomainConfig={"CertificateArn": CERT})
    expect_error("InvalidParameterException", idp.create_user_pool_domain, UserPoolId=other_id,
                 Domain="auth2.acme.example", CustomDomainConfig={"CertificateArn": "arn:aws:s3:::not-a-certificate"})
    idp.delete_user_pool_domain(UserPoolId=pool_id, Domain="auth.acme.example")
    print("ok: a custom domain with its certificate, updated and deleted")


def main(endpoint, key_id, secret):
    idp = boto3.client("cognito-idp", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id=key_id, aws_secret_access_key=secret)
    pool_id = idp.create_user_pool(PoolName="boto3-oauth")["UserPool"]["Id"]
    other_id = idp.create_user_pool(PoolName="boto3-oauth-other")["UserPool"]["Id"]
    resource_servers(idp, pool_id)
    domains(idp, pool_id, other_id)
    print("boto3 oauth: all checks passed")


if __name__ == "__main__":
    main(*sys.argv[1:])
