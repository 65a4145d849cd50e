"""Drives Gatehouse's pool schemas with boto3, as infrastructure code does: CreateUserPool with
a Schema, DescribeUserPool read back field by field, AddCustomAttributes, attribute writes
checked against the schema, and Cognito's errors.

Usage: boto3_schema.py ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY
Prints one line per check and `boto3 schema: all checks passed` at the end; exits non-zero
on the first failure.
"""

import sys

import boto3
from botocore.exceptions import ClientError

STANDARD = [
    "sub", "name", "given_name", "family_name", "middle_name", "nickname",
    "preferred_username", "profile", "picture", "website", "email", "email_verified",
    "gender", "birthdate", "zoneinfo", "locale", "phone_number", "phone_number_verified",
    "address", "updated_at",
]

SCHEMA = [
    {"Name": "email", "AttributeDataType": "String", "Mutable": True, "Required": True},
    {"Name": "department", "AttributeDataType": "String", "Mutable": True,
     "StringAttributeConstraints": {"MinLength": "2", "MaxLength": "12"}},
    {"Name": "employee_id", "AttributeDataType": "String", "Mutable": False},
    {"Name": "level", "AttributeDataType": "Number",
     "NumberAttributeConstraints": {"MinValue": "1", "MaxValue": "10"}},
    {"Name": "contractor", "AttributeDataType": "Boolean", "Mutable": True},
    {"Name": "started", "AttributeDataType": "DateTime", "Mutable": True},
]


def expect_error(code, message, call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as error:
        actual = error.response["Error"]["Code"]
        text = error.response["Error"]["Message"]
        assert actual == code, "expected %s, got %s: %s" % (code, actual, error)
        assert text == message, "expected %r, got %r" % (message, text)
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400, error.response
        print("ok: %s raises %s" % (call.__name__, code), flush=True)
        return
    raise AssertionError("%s did not raise %s" % (call.__name__, code))


def nonconforming(*lines):
    return "Attributes did not conform to the schema: " + "".join(l + "\n" for l in lines)


def attributes(pairs):
    return [{"Name": name, "Value": value} for name, value in pairs]


def main():
    endpoint, key, secret = sys.argv[1:4]
    idp = boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
    )

    created = idp.create_user_pool(PoolName="staff", Schema=SCHEMA)["UserPool"]
    pool_id = created["Id"]
    described = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert described["SchemaAttributes"] == created["SchemaAttributes"], created
    schema = {a["Name"]: a for a in described["SchemaAttributes"]}
    names = [a["Name"] for a in described["SchemaAttributes"]]
    assert names[:20] == STANDARD, names
    assert names[20:] == ["custom:department", "custom:employee_id", "custom:level",
                          "custom:contractor", "custom:started"], names
    assert schema["sub"] == {
        "Name": "sub", "AttributeDataType": "String", "DeveloperOnlyAttribute": False,
        "Mutable": False, "Required": True,
        "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "2048"},
    }, schema["sub"]
    assert schema["email"]["Required"] is True, schema["email"]
    assert schema["given_name"]["Required"] is False, schema["given_name"]
    assert schema["birthdate"]["StringAttributeConstraints"] == {"MinLength": "10", "MaxLength": "10"}
    assert schema["phone_number_verified"] == {
        "Name": "phone_number_verified", "AttributeDataType": "Boolean",
        "DeveloperOnlyAttribute": False, "Mutable": True, "Required": False,
    }, schema["phone_number_verified"]
    assert schema["updated_at"]["NumberAttributeConstraints"] == {"MinValue": "0"}
    assert schema["custom:department"] == {
        "Name": "custom:department", "AttributeDataType": "String",
        "DeveloperOnlyAttribute": False, "Mutable": True, "Required": False,
        "StringAttributeConstraints": {"MinLength": "2", "MaxLength": "12"},
    }, schema["custom:department"]
    assert schema["custom:employee_id"]["Mutable"] is False
    assert schema["custom:employee_id"]["StringAttributeConstraints"] == {}
    assert schema["custom:level"]["NumberAttributeConstraints"] == {"MinValue": "1", "MaxValue": "10"}
    assert schema["custom:contractor"]["AttributeDataType"] == "Boolean"
    assert "StringAttributeConstraints" not in schema["custom:started"]
    print("ok: CreateUserPool and DescribeUserPool SchemaAttributes", flush=True)

    idp.add_custom_attributes(UserPoolId=pool_id, CustomAttributes=[
        {"Name": "badge", "AttributeDataType": "Number", "Mutable": True},
    ])
    added = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["SchemaAttributes"][-1]
    assert added == {
        "Name": "custom:badge", "AttributeDataType": "Number", "DeveloperOnlyAttribute": False,
        "Mutable": True, "Required": False, "NumberAttributeConstraints": {},
    }, added
    print("ok: AddCustomAttributes", flush=True)

    expect_error("InvalidParameterException", "Existing attribute already has name custom:badge.",
                 idp.add_custom_attributes, UserPoolId=pool_id,
                 CustomAttributes=[{"Name": "badge", "AttributeDataType": "String"}])
    expect_error("InvalidParameterException",
                 "Required custom attributes are not supported currently.",
                 idp.add_custom_attributes, UserPoolId=pool_id,
                 CustomAttributes=[{"Name": "owner", "AttributeDataType": "String",
                                    "Required": True}])
    expect_error("InvalidParameterException",
                 "1 validation error detected: Value at 'customAttributes.1.member.name' failed "
                 "to satisfy constraint: Member must have length less than or equal to 20",
                 idp.add_custom_attributes, UserPoolId=pool_id,
                 CustomAttributes=[{"Name": "n" * 21, "AttributeDataType": "String"}])
    expect_error("InvalidParameterException",
                 "1 validation error detected: Value at 'customAttributes' failed to satisfy "
                 "constraint: Member must have length between 1 and 25",
                 idp.add_custom_attributes, UserPoolId=pool_id,
                 CustomAttributes=[{"Name": "m%d" % i, "AttributeDataType": "String"}
                                   for i in range(26)])
    expect_error("ResourceNotFoundException", "User pool us-east-1_NoSuchPol does not exist.",
                 idp.add_custom_attributes, UserPoolId="us-east-1_NoSuchPol",
                 CustomAttributes=[{"Name": "x", "AttributeDataType": "String"}])
    expect_error("InvalidParameterException",
                 "You can not change AttributeDataType or set developerOnlyAttribute for "
                 "standard schema attribute email",
                 idp.create_user_pool, PoolName="refused",
                 Schema=[{"Name": "email", "AttributeDataType": "Number"}])
    expect_error("InvalidParameterException",
                 "Required custom attributes are not supported currently.",
                 idp.create_user_pool, PoolName="refused",
                 Schema=[{"Name": "role", "AttributeDataType": "String", "Required": True}])
    expect_error("InvalidParameterException",
                 "user.custom:notes: String attributes cannot have a length of more than 2048",
                 idp.create_user_pool, PoolName="refused",
                 Schema=[{"Name": "notes", "AttributeDataType": "String",
                          "StringAttributeConstraints": {"MaxLength": "4096"}}])

    expect_error("InvalidParameterException", nonconforming("email: The attribute is required"),
                 idp.admin_create_user, UserPoolId=pool_id, Username="jo",
                 MessageAction="SUPPRESS",
                 UserAttributes=attributes([("custom:department", "ops")]))
    expect_error("InvalidParameterException",
                 nonconforming("custom:department: String must be no shorter than 2 characters",
                               "custom:level: Number must be no greater than 10",
                               "custom:unknown: Attribute does not exist in the schema."),
                 idp.admin_create_user, UserPoolId=pool_id, Username="jo",
                 MessageAction="SUPPRESS",
                 UserAttributes=attributes([("email", "jo@example.com"),
                                            ("custom:department", "x"),
                                            ("custom:level", "11"),
                                            ("custom:unknown", "y")]))
    idp.admin_create_user(UserPoolId=pool_id, Username="jo", MessageAction="SUPPRESS",
                          UserAttributes=attributes([
                              ("email", "jo@example.com"), ("email_verified", "TRUE"),
                              ("custom:employee_id", "E-17"), ("custom:contractor", "False"),
                              ("custom:level", "3"), ("custom:badge", "12345"),
                          ]))
    user = idp.admin_get_user(UserPoolId=pool_id, Username="jo")
    got = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert got["email_verified"] == "true", got
    assert got["custom:contractor"] == "false", got
    assert got["custom:employee_id"] == "E-17", got
    print("ok: AdminCreateUser conforms to the schema", flush=True)

    expect_error("InvalidParameterException",
                 nonconforming("custom:employee_id: Attribute cannot be updated."),
                 idp.admin_update_user_attributes, UserPoolId=pool_id, Username="jo",
                 UserAttributes=attributes([("custom:employee_id", "E-18")]))
    idp.admin_update_user_attributes(UserPoolId=pool_id, Username="jo",
                                     UserAttributes=attributes([("custom:level", "4")]))
    expect_error("InvalidParameterException", nonconforming("email: The attribute is required"),
                 idp.admin_delete_user_attributes, UserPoolId=pool_id, Username="jo",
                 UserAttributeNames=["email"])
    got = {a["Name"]: a["Value"]
           for a in idp.admin_get_user(UserPoolId=pool_id, Username="jo")["UserAttributes"]}
    assert got["custom:level"] == "4" and got["custom:employee_id"] == "E-17", got
    print("ok: AdminUpdateUserAttributes conforms to the schema", flush=True)

    idp.delete_user_pool(UserPoolId=pool_id)
    print("boto3 schema: all checks passed", flush=True)


if __name__ == "__main__":
    main()
