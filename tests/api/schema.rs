//! Pool schemas (issue #13 item 1): `CreateUserPool` declares the attributes and Cognito's
//! checks refuse a bad declaration, `DescribeUserPool` returns `SchemaAttributes` as Cognito
//! does, `AddCustomAttributes` extends it, and every write of a user's attributes (SignUp,
//! AdminCreateUser, UpdateUserAttributes, AdminUpdateUserAttributes, AdminDeleteUserAttributes,
//! the seed file and the CLI) conforms to it.

use std::process::Command;

use futures_util::future::join_all;
use gatehouse::manage::seed::SeedFile;
use serde_json::{Value, json};

use crate::cli::Cli;
use crate::cognito_api::{call, js_clients};
use crate::helpers::{PASSWORD, TestApp, python_with};
use crate::hostile_input::admin;
use crate::on_both_backends;
use crate::support::{Db, TestDatabase};

on_both_backends!(
    describe_lists_the_standard_attributes_then_the_custom_ones,
    bad_schema_declarations_are_refused_as_cognito_refuses_them,
    add_custom_attributes_extends_the_schema_and_checks_names_and_limits,
    concurrent_additions_are_never_lost_and_stop_at_fifty,
    admin_writes_conform_to_the_schema,
    user_writes_conform_to_the_schema,
    pools_without_a_declared_schema_take_any_custom_attribute,
    a_seeded_schema_describes_like_a_created_one_and_binds_seed_and_cli,
    boto3_drives_schemas,
    the_javascript_sdk_drives_schemas,
);

const INVALID: &str = "InvalidParameterException";

/// The schema the tests declare: a required e-mail, a short team name, an immutable tenant,
/// an age from 18 to 130, a flag and a date.
fn declared_schema() -> Value {
    json!([
        {"Name": "email", "AttributeDataType": "String", "Mutable": true, "Required": true},
        {"Name": "team", "AttributeDataType": "String",
         "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "8"}},
        {"Name": "tenant", "AttributeDataType": "String", "Mutable": false},
        {"Name": "age", "AttributeDataType": "Number",
         "NumberAttributeConstraints": {"MinValue": "18", "MaxValue": "130"}},
        {"Name": "vip", "AttributeDataType": "Boolean"},
        {"Name": "joined", "AttributeDataType": "DateTime"},
    ])
}

/// The custom attributes of [`declared_schema`] as `DescribeUserPool` lists them.
fn declared_custom_attributes() -> Value {
    json!([
        {"Name": "custom:team", "AttributeDataType": "String", "DeveloperOnlyAttribute": false,
         "Mutable": true, "Required": false,
         "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "8"}},
        {"Name": "custom:tenant", "AttributeDataType": "String", "DeveloperOnlyAttribute": false,
         "Mutable": false, "Required": false, "StringAttributeConstraints": {}},
        {"Name": "custom:age", "AttributeDataType": "Number", "DeveloperOnlyAttribute": false,
         "Mutable": true, "Required": false,
         "NumberAttributeConstraints": {"MinValue": "18", "MaxValue": "130"}},
        {"Name": "custom:vip", "AttributeDataType": "Boolean", "DeveloperOnlyAttribute": false,
         "Mutable": true, "Required": false},
        {"Name": "custom:joined", "AttributeDataType": "DateTime", "DeveloperOnlyAttribute": false,
         "Mutable": true, "Required": false},
    ])
}

async fn ok(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

/// A Cognito API error: 400, its `__type` and its message.
async fn refused(response: reqwest::Response, type_: &str, message: &str) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["__type"], type_, "{body}");
    assert_eq!(body["message"], message, "{body}");
}

async fn create_pool(app: &TestApp, name: &str, schema: Option<Value>) -> String {
    let mut request = json!({"PoolName": name});
    if let Some(schema) = schema {
        request["Schema"] = schema;
    }
    let created = ok(admin(app, "CreateUserPool", &request).await).await;
    created["UserPool"]["Id"].as_str().unwrap().to_owned()
}

async fn schema_attributes(app: &TestApp, pool_id: &str) -> Vec<Value> {
    let described = ok(admin(app, "DescribeUserPool", &json!({"UserPoolId": pool_id})).await).await;
    described["UserPool"]["SchemaAttributes"]
        .as_array()
        .unwrap()
        .clone()
}

fn nonconforming(lines: &[&str]) -> String {
    let mut message = "Attributes did not conform to the schema: ".to_owned();
    for line in lines {
        message.push_str(line);
        message.push('\n');
    }
    message
}

fn attribute_list(pairs: &[(&str, &str)]) -> Value {
    pairs
        .iter()
        .map(|(name, value)| json!({"Name": name, "Value": value}))
        .collect()
}

async fn user_attributes(app: &TestApp, pool_id: &str, username: &str) -> Value {
    let user = ok(admin(
        app,
        "AdminGetUser",
        &json!({"UserPoolId": pool_id, "Username": username}),
    )
    .await)
    .await;
    user["UserAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["Name"].as_str().unwrap().to_owned(), a["Value"].clone()))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

async fn describe_lists_the_standard_attributes_then_the_custom_ones(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let plain = create_pool(&app, "plain", None).await;
    let standard = schema_attributes(&app, &plain).await;
    let names: Vec<&str> = standard
        .iter()
        .map(|a| a["Name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "sub",
            "name",
            "given_name",
            "family_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "email",
            "email_verified",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "phone_number",
            "phone_number_verified",
            "address",
            "updated_at"
        ]
    );
    assert_eq!(
        standard[0],
        json!({"Name": "sub", "AttributeDataType": "String", "DeveloperOnlyAttribute": false,
               "Mutable": false, "Required": true,
               "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "2048"}})
    );
    assert_eq!(
        standard[11],
        json!({"Name": "email_verified", "AttributeDataType": "Boolean",
               "DeveloperOnlyAttribute": false, "Mutable": true, "Required": false})
    );
    assert_eq!(
        standard[19],
        json!({"Name": "updated_at", "AttributeDataType": "Number",
               "DeveloperOnlyAttribute": false, "Mutable": true, "Required": false,
               "NumberAttributeConstraints": {"MinValue": "0"}})
    );

    let declared = create_pool(&app, "declared", Some(declared_schema())).await;
    let attributes = schema_attributes(&app, &declared).await;
    assert_eq!(attributes.len(), 25);
    assert_eq!(
        attributes[10],
        json!({"Name": "email", "AttributeDataType": "String", "DeveloperOnlyAttribute": false,
               "Mutable": true, "Required": true,
               "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "2048"}})
    );
    // The standard attributes the declaration did not name keep Cognito's defaults.
    assert_eq!(attributes[..10], standard[..10]);
    assert_eq!(
        Value::from(attributes[20..].to_vec()),
        declared_custom_attributes()
    );
    // CreateUserPool answers with the same pool.
    let again = ok(admin(
        &app,
        "CreateUserPool",
        &json!({"PoolName": "again", "Schema": declared_schema()}),
    )
    .await)
    .await;
    assert_eq!(
        again["UserPool"]["SchemaAttributes"],
        Value::from(attributes)
    );
    app.stop().await;
}

async fn bad_schema_declarations_are_refused_as_cognito_refuses_them(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let fifty_one: Vec<Value> = (0..51)
        .map(|i| json!({"Name": format!("c{i}"), "AttributeDataType": "String"}))
        .collect();
    let cases: Vec<(Value, String)> = vec![
        (
            json!([{"Name": "role", "AttributeDataType": "String", "Required": true}]),
            "Required custom attributes are not supported currently.".into(),
        ),
        (
            json!([{"Name": "email", "AttributeDataType": "Number"}]),
            "You can not change AttributeDataType or set developerOnlyAttribute for standard \
             schema attribute email"
                .into(),
        ),
        (
            json!([{"Name": "given_name", "DeveloperOnlyAttribute": true}]),
            "You can not change AttributeDataType or set developerOnlyAttribute for standard \
             schema attribute given_name"
                .into(),
        ),
        (
            json!([{"Name": "a_name_of_21_chars_xx", "AttributeDataType": "String"}]),
            "1 validation error detected: Value at 'schema.1.member.name' failed to satisfy \
             constraint: Member must have length less than or equal to 20"
                .into(),
        ),
        (
            json!([{"Name": "team"}, {"Name": "two words", "AttributeDataType": "String"}]),
            "Invalid AttributeDataType input, consider using the provided AttributeDataType enum."
                .into(),
        ),
        (
            json!([{"Name": "ok", "AttributeDataType": "String"},
                   {"Name": "two words", "AttributeDataType": "String"}]),
            "1 validation error detected: Value at 'schema.2.member.name' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: \
             [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+"
                .into(),
        ),
        (
            json!([{"Name": "team", "AttributeDataType": "Text"}]),
            "1 validation error detected: Value at 'schema.1.member.attributeDataType' failed \
             to satisfy constraint: Member must satisfy enum value set: [Boolean, Number, \
             String, DateTime]"
                .into(),
        ),
        (
            json!([{"Name": "team", "AttributeDataType": "String",
                    "StringAttributeConstraints": {"MaxLength": "2049"}}]),
            "user.custom:team: String attributes cannot have a length of more than 2048".into(),
        ),
        (
            json!([{"Name": "team", "AttributeDataType": "String",
                    "StringAttributeConstraints": {"MinLength": "9", "MaxLength": "8"}}]),
            "user.custom:team: Max length cannot be less than min length.".into(),
        ),
        (
            json!([{"Name": "age", "AttributeDataType": "Number",
                    "NumberAttributeConstraints": {"MinValue": "ten"}}]),
            "Invalid NumberAttributeConstraints for schema attribute custom:age".into(),
        ),
        (
            json!([{"Name": "age", "AttributeDataType": "Number",
                    "NumberAttributeConstraints": {"MinValue": "9", "MaxValue": "1"}}]),
            "user.custom:age: Max value cannot be less than min value.".into(),
        ),
        (
            json!([{"Name": "team", "AttributeDataType": "String"},
                   {"Name": "team", "AttributeDataType": "Number"}]),
            "Existing attribute already has name custom:team.".into(),
        ),
        (
            json!([{"Name": "sub", "Mutable": true}]),
            "The sub attribute is always required and immutable.".into(),
        ),
        (
            json!([]),
            "1 validation error detected: Value at 'schema' failed to satisfy constraint: \
             Member must have length greater than or equal to 1"
                .into(),
        ),
        (
            Value::from(fifty_one),
            "1 validation error detected: Value at 'schema' failed to satisfy constraint: \
             Member must have length less than or equal to 50"
                .into(),
        ),
    ];
    for (schema, message) in cases {
        refused(
            admin(
                &app,
                "CreateUserPool",
                &json!({"PoolName": "refused", "Schema": schema}),
            )
            .await,
            INVALID,
            &message,
        )
        .await;
    }
    // Nothing refused was created.
    let pools = ok(admin(&app, "ListUserPools", &json!({"MaxResults": 60})).await).await;
    assert_eq!(pools["UserPools"], json!([]));
    app.stop().await;
}

async fn add_custom_attributes_extends_the_schema_and_checks_names_and_limits(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let pool = create_pool(&app, "acme", Some(declared_schema())).await;
    let added = admin(
        &app,
        "AddCustomAttributes",
        &json!({"UserPoolId": pool, "CustomAttributes": [
            {"Name": "plan", "AttributeDataType": "String", "Mutable": true,
             "StringAttributeConstraints": {"MaxLength": "16"}}]}),
    )
    .await;
    assert_eq!(ok(added).await, json!({}));
    let attributes = schema_attributes(&app, &pool).await;
    assert_eq!(
        attributes.last().unwrap(),
        &json!({"Name": "custom:plan", "AttributeDataType": "String",
                "DeveloperOnlyAttribute": false, "Mutable": true, "Required": false,
                "StringAttributeConstraints": {"MaxLength": "16"}})
    );
    // The new attribute can be written at once.
    ok(admin(
        &app,
        "AdminCreateUser",
        &json!({"UserPoolId": pool, "Username": "ann", "MessageAction": "SUPPRESS",
                "UserAttributes": attribute_list(&[("email", "ann@example.com"), ("custom:plan", "gold")])}),
    )
    .await)
    .await;

    let add = |attributes: Value| {
        let app = &app;
        let pool = pool.clone();
        async move {
            admin(
                app,
                "AddCustomAttributes",
                &json!({"UserPoolId": pool, "CustomAttributes": attributes}),
            )
            .await
        }
    };
    refused(
        add(json!([{"Name": "team", "AttributeDataType": "String"}])).await,
        INVALID,
        "Existing attribute already has name custom:team.",
    )
    .await;
    refused(
        add(json!([{"Name": "owner", "AttributeDataType": "String", "Required": true}])).await,
        INVALID,
        "Required custom attributes are not supported currently.",
    )
    .await;
    refused(
        add(json!([])).await,
        INVALID,
        "1 validation error detected: Value at 'customAttributes' failed to satisfy \
         constraint: Member must have length between 1 and 25",
    )
    .await;
    refused(
        add(json!([{"Name": "x".repeat(21), "AttributeDataType": "String"}])).await,
        INVALID,
        "1 validation error detected: Value at 'customAttributes.1.member.name' failed to \
         satisfy constraint: Member must have length less than or equal to 20",
    )
    .await;
    let unknown = admin(
        &app,
        "AddCustomAttributes",
        &json!({"UserPoolId": "us-east-1_nothere", "CustomAttributes": [
            {"Name": "x", "AttributeDataType": "String"}]}),
    )
    .await;
    refused(
        unknown,
        "ResourceNotFoundException",
        "User pool us-east-1_nothere does not exist.",
    )
    .await;
    // A refused request added nothing, not even its valid members.
    let mixed = add(json!([
        {"Name": "fine", "AttributeDataType": "String"},
        {"Name": "team", "AttributeDataType": "String"}
    ]))
    .await;
    refused(
        mixed,
        INVALID,
        "Existing attribute already has name custom:team.",
    )
    .await;
    assert_eq!(schema_attributes(&app, &pool).await.len(), 26);
    app.stop().await;
}

async fn concurrent_additions_are_never_lost_and_stop_at_fifty(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let forty: Vec<Value> = (0..40)
        .map(|i| json!({"Name": format!("c{i}"), "AttributeDataType": "String"}))
        .collect();
    let pool = create_pool(&app, "acme", Some(Value::from(forty))).await;
    // Sixty concurrent additions of one attribute each: exactly ten fit.
    let answers = join_all((0..60).map(|i| {
        let app = &app;
        let pool = pool.clone();
        async move {
            admin(
                app,
                "AddCustomAttributes",
                &json!({"UserPoolId": pool, "CustomAttributes": [
                    {"Name": format!("n{i}"), "AttributeDataType": "String"}]}),
            )
            .await
            .status()
            .as_u16()
        }
    }))
    .await;
    assert_eq!(
        answers.iter().filter(|s| **s == 200).count(),
        10,
        "{answers:?}"
    );
    assert_eq!(
        answers.iter().filter(|s| **s == 400).count(),
        50,
        "{answers:?}"
    );
    let attributes = schema_attributes(&app, &pool).await;
    let custom = attributes
        .iter()
        .filter(|a| a["Name"].as_str().unwrap().starts_with("custom:"))
        .count();
    assert_eq!(custom, 50);
    // Every addition that was answered 200 is in the schema.
    assert_eq!(
        attributes
            .iter()
            .filter(|a| a["Name"].as_str().unwrap().starts_with("custom:n"))
            .count(),
        10
    );
    refused(
        admin(
            &app,
            "AddCustomAttributes",
            &json!({"UserPoolId": pool, "CustomAttributes": [
                {"Name": "last", "AttributeDataType": "String"}]}),
        )
        .await,
        INVALID,
        "A user pool can have at most 50 custom attributes.",
    )
    .await;
    app.stop().await;
}

async fn admin_writes_conform_to_the_schema(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let pool = create_pool(&app, "acme", Some(declared_schema())).await;
    let create = |username: &'static str, attributes: Value| {
        let app = &app;
        let pool = pool.clone();
        async move {
            admin(
                app,
                "AdminCreateUser",
                &json!({"UserPoolId": pool, "Username": username, "MessageAction": "SUPPRESS",
                        "UserAttributes": attributes}),
            )
            .await
        }
    };
    refused(
        create("bob", attribute_list(&[("custom:team", "red")])).await,
        INVALID,
        &nonconforming(&["email: The attribute is required"]),
    )
    .await;
    refused(
        create(
            "bob",
            attribute_list(&[
                ("email", "bob@example.com"),
                ("custom:age", "17"),
                ("custom:nope", "x"),
                ("custom:team", "much-too-long"),
                ("custom:vip", "maybe"),
            ]),
        )
        .await,
        INVALID,
        &nonconforming(&[
            "custom:age: Number must be no less than 18",
            "custom:nope: Attribute does not exist in the schema.",
            "custom:team: String must be no longer than 8 characters",
            "custom:vip: Value must be true or false",
        ]),
    )
    .await;
    refused(
        create(
            "bob",
            attribute_list(&[("email", "bob@example.com"), ("custom:age", "twenty")]),
        )
        .await,
        INVALID,
        &nonconforming(&["custom:age: Number is not a valid integer"]),
    )
    .await;
    ok(create(
        "bob",
        attribute_list(&[
            ("email", "bob@example.com"),
            ("email_verified", "True"),
            ("custom:tenant", "acme"),
            ("custom:vip", "TRUE"),
            ("custom:age", "42"),
            ("custom:joined", "2024-01-31T10:00:00Z"),
        ]),
    )
    .await)
    .await;
    let stored = user_attributes(&app, &pool, "bob").await;
    assert_eq!(stored["email_verified"], "true");
    assert_eq!(stored["custom:vip"], "true");
    assert_eq!(stored["custom:tenant"], "acme");

    let update = |attributes: Value| {
        let app = &app;
        let pool = pool.clone();
        async move {
            admin(
                app,
                "AdminUpdateUserAttributes",
                &json!({"UserPoolId": pool, "Username": "bob", "UserAttributes": attributes}),
            )
            .await
        }
    };
    refused(
        update(attribute_list(&[("custom:tenant", "other")])).await,
        INVALID,
        &nonconforming(&["custom:tenant: Attribute cannot be updated."]),
    )
    .await;
    refused(
        update(attribute_list(&[("custom:age", "131")])).await,
        INVALID,
        &nonconforming(&["custom:age: Number must be no greater than 130"]),
    )
    .await;
    refused(
        update(attribute_list(&[("email", "")])).await,
        INVALID,
        &nonconforming(&["email: The attribute is required"]),
    )
    .await;
    refused(
        update(attribute_list(&[("custom:team", "")])).await,
        INVALID,
        &nonconforming(&["custom:team: String must be no shorter than 1 characters"]),
    )
    .await;
    refused(
        update(attribute_list(&[("birthdate", "1990")])).await,
        INVALID,
        &nonconforming(&["birthdate: String must be no shorter than 10 characters"]),
    )
    .await;
    ok(update(attribute_list(&[
        ("phone_number_verified", "FALSE"),
        ("custom:age", "43"),
    ]))
    .await)
    .await;
    let delete = |names: Value| {
        let app = &app;
        let pool = pool.clone();
        async move {
            admin(
                app,
                "AdminDeleteUserAttributes",
                &json!({"UserPoolId": pool, "Username": "bob", "UserAttributeNames": names}),
            )
            .await
        }
    };
    refused(
        delete(json!(["email"])).await,
        INVALID,
        &nonconforming(&["email: The attribute is required"]),
    )
    .await;
    refused(
        delete(json!(["custom:tenant"])).await,
        INVALID,
        &nonconforming(&["custom:tenant: Attribute cannot be updated."]),
    )
    .await;
    ok(delete(json!(["custom:age"])).await).await;
    // Nothing refused was written: the user holds exactly what the accepted calls wrote.
    let stored = user_attributes(&app, &pool, "bob").await;
    assert_eq!(stored["phone_number_verified"], "false");
    assert_eq!(stored["custom:tenant"], "acme");
    assert_eq!(stored["email"], "bob@example.com");
    assert!(stored.get("custom:age").is_none(), "{stored}");
    app.stop().await;
}

async fn user_writes_conform_to_the_schema(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let pool = create_pool(&app, "acme", Some(declared_schema())).await;
    let client = ok(admin(
        &app,
        "CreateUserPoolClient",
        &json!({"UserPoolId": pool, "ClientName": "web",
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                "WriteAttributes": ["email", "custom:team", "custom:tenant"]}),
    )
    .await)
    .await;
    let client_id = client["UserPoolClient"]["ClientId"]
        .as_str()
        .unwrap()
        .to_owned();
    let sign_up = |attributes: Value| {
        let app = &app;
        let client_id = client_id.clone();
        async move {
            call(
                app,
                "SignUp",
                &json!({"ClientId": client_id, "Username": "carol", "Password": PASSWORD,
                        "UserAttributes": attributes}),
            )
            .await
        }
    };
    refused(
        sign_up(attribute_list(&[("custom:team", "red")])).await,
        INVALID,
        &nonconforming(&["email: The attribute is required"]),
    )
    .await;
    // No client can list an attribute the schema lacks (CreateUserPoolClient refuses it), so
    // a user never gets to write one: their client may not.
    assert_eq!(
        admin(
            &app,
            "CreateUserPoolClient",
            &json!({"UserPoolId": pool, "ClientName": "nope",
                    "WriteAttributes": ["email", "custom:nope"]}),
        )
        .await
        .status(),
        400
    );
    refused(
        sign_up(attribute_list(&[
            ("email", "carol@example.com"),
            ("custom:nope", "x"),
        ]))
        .await,
        "NotAuthorizedException",
        "A client attempted to write unauthorized attribute",
    )
    .await;
    // The client's WriteAttributes still apply on top of the schema.
    refused(
        sign_up(attribute_list(&[
            ("email", "carol@example.com"),
            ("custom:age", "30"),
        ]))
        .await,
        "NotAuthorizedException",
        "A client attempted to write unauthorized attribute",
    )
    .await;
    ok(sign_up(attribute_list(&[
        ("email", "carol@example.com"),
        ("custom:team", "red"),
        ("custom:tenant", "acme"),
    ]))
    .await)
    .await;
    ok(admin(
        &app,
        "AdminConfirmSignUp",
        &json!({"UserPoolId": pool, "Username": "carol"}),
    )
    .await)
    .await;
    let signed_in = ok(call(
        &app,
        "InitiateAuth",
        &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id,
                "AuthParameters": {"USERNAME": "carol", "PASSWORD": PASSWORD}}),
    )
    .await)
    .await;
    let access = signed_in["AuthenticationResult"]["AccessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let update = |attributes: Value| {
        let app = &app;
        let access = access.clone();
        async move {
            call(
                app,
                "UpdateUserAttributes",
                &json!({"AccessToken": access, "UserAttributes": attributes}),
            )
            .await
        }
    };
    refused(
        update(attribute_list(&[("custom:tenant", "other")])).await,
        INVALID,
        &nonconforming(&["custom:tenant: Attribute cannot be updated."]),
    )
    .await;
    refused(
        update(attribute_list(&[("custom:team", "much-too-long")])).await,
        INVALID,
        &nonconforming(&["custom:team: String must be no longer than 8 characters"]),
    )
    .await;
    ok(update(attribute_list(&[("custom:team", "blue")])).await).await;
    refused(
        call(
            &app,
            "DeleteUserAttributes",
            &json!({"AccessToken": access, "UserAttributeNames": ["email"]}),
        )
        .await,
        INVALID,
        &nonconforming(&["email: The attribute is required"]),
    )
    .await;
    let stored = user_attributes(&app, &pool, "carol").await;
    assert_eq!(stored["custom:team"], "blue");
    assert_eq!(stored["custom:tenant"], "acme");
    assert_eq!(stored["email"], "carol@example.com");
    app.stop().await;
}

async fn pools_without_a_declared_schema_take_any_custom_attribute(backend: Db) {
    let app = TestApp::spawn(backend).await;
    // A pool made by the operator (CLI, seed file without Schema) has an open schema.
    let (open, _) = app.create_pool("operated").await;
    let pool = open.id.to_string();
    app.create_user_with(&open, "dan", PASSWORD, false, &[("custom:anything", "x")])
        .await;
    assert_eq!(schema_attributes(&app, &pool).await.len(), 20);
    // Types of the standard attributes still hold.
    refused(
        admin(
            &app,
            "AdminUpdateUserAttributes",
            &json!({"UserPoolId": pool, "Username": "dan",
                    "UserAttributes": attribute_list(&[("updated_at", "yesterday")])}),
        )
        .await,
        INVALID,
        &nonconforming(&["updated_at: Number is not a valid integer"]),
    )
    .await;
    // Adding a custom attribute through Cognito's API declares the schema from then on.
    ok(admin(
        &app,
        "AddCustomAttributes",
        &json!({"UserPoolId": pool, "CustomAttributes": [
            {"Name": "team", "AttributeDataType": "String"}]}),
    )
    .await)
    .await;
    refused(
        admin(
            &app,
            "AdminUpdateUserAttributes",
            &json!({"UserPoolId": pool, "Username": "dan",
                    "UserAttributes": attribute_list(&[("custom:other", "y")])}),
        )
        .await,
        INVALID,
        &nonconforming(&["custom:other: Attribute does not exist in the schema."]),
    )
    .await;
    // A pool created through Cognito's API without Schema has no custom attribute at all.
    let plain = create_pool(&app, "plain", None).await;
    refused(
        admin(
            &app,
            "AdminCreateUser",
            &json!({"UserPoolId": plain, "Username": "eve", "MessageAction": "SUPPRESS",
                    "UserAttributes": attribute_list(&[("custom:anything", "x")])}),
        )
        .await,
        INVALID,
        &nonconforming(&["custom:anything: Attribute does not exist in the schema."]),
    )
    .await;
    app.stop().await;
}

async fn a_seeded_schema_describes_like_a_created_one_and_binds_seed_and_cli(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let created = create_pool(&app, "created", Some(declared_schema())).await;
    let seed = |users: Value| {
        json!({"Pools": [{"Name": "seeded", "Schema": declared_schema(), "Users": users}]})
            .to_string()
    };
    app.services
        .apply_seed(
            SeedFile::parse(&seed(json!([{
                "Username": "frank", "Password": PASSWORD,
                "Attributes": {"email": "frank@example.com", "custom:vip": "FALSE"}
            }])))
            .unwrap(),
        )
        .await
        .unwrap();
    let (seeded, _) = app.services.find_pool("seeded").await.unwrap();
    assert_eq!(
        schema_attributes(&app, seeded.id.as_str()).await,
        schema_attributes(&app, &created).await
    );
    assert_eq!(
        user_attributes(&app, seeded.id.as_str(), "frank").await["custom:vip"],
        "false"
    );
    let refused_seed = app
        .services
        .apply_seed(
            SeedFile::parse(&seed(json!([{
                "Username": "grace", "Password": PASSWORD,
                "Attributes": {"email": "grace@example.com", "custom:nope": "x"}
            }])))
            .unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        refused_seed.to_string(),
        format!(
            "seed file, user \"grace\": {}",
            nonconforming(&["custom:nope: Attribute does not exist in the schema."])
        )
    );
    let without_email = app
        .services
        .apply_seed(
            SeedFile::parse(&seed(json!([{"Username": "heidi", "Password": PASSWORD}]))).unwrap(),
        )
        .await
        .unwrap_err();
    assert!(
        without_email
            .to_string()
            .contains("email: The attribute is required"),
        "{without_email}"
    );
    app.stop().await;

    // The CLI creates users in a seeded pool under the same schema.
    let database = TestDatabase::create(backend).await.unwrap();
    let cli = Cli::new(&database);
    cli.ok(&["migrate"], "");
    let file = cli.dir.path().join("seed.json");
    std::fs::write(&file, seed(json!([]))).unwrap();
    cli.ok(&["seed", file.to_str().unwrap()], "");
    let error = cli.fails(
        &[
            "user",
            "create",
            "--pool",
            "seeded",
            "ivan",
            "--email",
            "ivan@example.com",
            "--attribute",
            "custom:nope=x",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(
        error.contains("custom:nope: Attribute does not exist in the schema."),
        "{error}"
    );
    let error = cli.fails(
        &["user", "create", "--pool", "seeded", "ivan"],
        &format!("{PASSWORD}\n"),
    );
    assert!(
        error.contains("email: The attribute is required"),
        "{error}"
    );
    cli.ok(
        &[
            "user",
            "create",
            "--pool",
            "seeded",
            "ivan",
            "--email",
            "ivan@example.com",
            "--attribute",
            "custom:team=red",
        ],
        &format!("{PASSWORD}\n"),
    );
}

async fn boto3_drives_schemas(backend: Db) {
    let Some(python) = python_with("boto3") else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/boto3_schema.py");
    let mut boto3 = Command::new(python);
    boto3.arg(script).args([
        app.address.as_str(),
        crate::helpers::ADMIN_KEY_ID,
        crate::helpers::ADMIN_SECRET,
    ]);
    crate::helpers::run_client(boto3, "boto3 schema: all checks passed").await;
    app.stop().await;
}

async fn the_javascript_sdk_drives_schemas(backend: Db) {
    let Some(dir) = js_clients() else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    let mut node = Command::new("node");
    node.arg("schema_sdk.mjs")
        .args([
            app.address.as_str(),
            crate::helpers::ADMIN_KEY_ID,
            crate::helpers::ADMIN_SECRET,
        ])
        .current_dir(dir);
    crate::helpers::run_client(node, "js schema: all checks passed").await;
    app.stop().await;
}
