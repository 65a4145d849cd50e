//! Groups (`CreateGroup`, `GetGroup`, `UpdateGroup`, `DeleteGroup`, `ListUsersInGroup`,
//! `AdminListGroupsForUser`), the roles groups put in tokens, the one paging type of every
//! list operation, and `ListUsers`' filters and `AttributesToGet`: through the real server
//! on both backends, and through boto3's and the JavaScript SDK's own paginators.

use std::process::Command;

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, jwt_part};
use crate::hostile_input::admin;
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    groups_are_created_read_updated_and_deleted,
    group_requests_are_checked_as_cognito_checks_them,
    only_one_of_many_concurrent_creations_of_a_group_wins,
    tokens_carry_groups_roles_and_the_preferred_role,
    every_list_pages_with_tokens_bound_to_their_listing,
    list_users_filters_as_cognito_does,
    list_users_pages_a_large_pool_by_its_indexes,
    boto3_paginators_walk_every_list,
    the_javascript_sdk_paginates_users_and_groups,
);

const ADMIN_ROLE: &str = "arn:aws:iam::123456789012:role/Admins";
const READER_ROLE: &str = "arn:aws:iam::123456789012:role/Readers";

/// An admin call that must succeed; its answer.
async fn ok(app: &TestApp, operation: &str, body: Value) -> Value {
    let response = admin(app, operation, &body).await;
    let status = response.status();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{operation} {body}: {answer}");
    answer
}

/// An admin call that must fail with `type_` (and `message`, when not empty).
async fn refused(app: &TestApp, operation: &str, body: Value, type_: &str, message: &str) {
    let response = admin(app, operation, &body).await;
    assert_eq!(response.status(), 400, "{operation} {body}");
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["__type"], type_, "{operation} {body}: {answer}");
    if !message.is_empty() {
        assert_eq!(answer["message"], message, "{operation} {body}: {answer}");
    }
}

fn names(list: &Value, member: &str, name: &str) -> Vec<String> {
    list[member]
        .as_array()
        .unwrap_or_else(|| panic!("{member} in {list}"))
        .iter()
        .map(|item| item[name].as_str().unwrap().to_owned())
        .collect()
}

async fn groups_are_created_read_updated_and_deleted(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let pool_id = pool.id.to_string();
    app.create_user(&pool, "alice", false).await;
    let created_at = app.clock_now();
    let created = ok(
        &app,
        "CreateGroup",
        json!({"UserPoolId": pool_id, "GroupName": "admins", "Description": "Administrators",
               "Precedence": 1, "RoleArn": ADMIN_ROLE}),
    )
    .await;
    let expected = json!({"GroupName": "admins", "UserPoolId": pool_id,
        "Description": "Administrators", "RoleArn": ADMIN_ROLE, "Precedence": 1,
        "CreationDate": created_at, "LastModifiedDate": created_at});
    assert_eq!(created["Group"], expected);
    let read = ok(
        &app,
        "GetGroup",
        json!({"UserPoolId": pool_id, "GroupName": "admins"}),
    )
    .await;
    assert_eq!(read["Group"], expected);

    // A member left out of UpdateGroup keeps its value; the modification time moves.
    app.clock.advance(60);
    let updated = ok(
        &app,
        "UpdateGroup",
        json!({"UserPoolId": pool_id, "GroupName": "admins", "Description": "Admins"}),
    )
    .await;
    assert_eq!(updated["Group"]["Description"], "Admins");
    assert_eq!(updated["Group"]["Precedence"], 1);
    assert_eq!(updated["Group"]["RoleArn"], ADMIN_ROLE);
    assert_eq!(updated["Group"]["CreationDate"], created_at);
    assert_eq!(updated["Group"]["LastModifiedDate"], created_at + 60);
    let updated = ok(
        &app,
        "UpdateGroup",
        json!({"UserPoolId": pool_id, "GroupName": "admins", "Precedence": 0,
               "RoleArn": READER_ROLE}),
    )
    .await;
    assert_eq!(updated["Group"]["Description"], "Admins");
    assert_eq!(updated["Group"]["Precedence"], 0);
    assert_eq!(updated["Group"]["RoleArn"], READER_ROLE);
    let listed = ok(&app, "ListGroups", json!({"UserPoolId": pool_id})).await;
    assert_eq!(listed["Groups"], json!([updated["Group"]]));
    assert!(listed.get("NextToken").is_none());

    ok(
        &app,
        "AdminAddUserToGroup",
        json!({"UserPoolId": pool_id, "Username": "alice", "GroupName": "admins"}),
    )
    .await;
    let members = ok(
        &app,
        "ListUsersInGroup",
        json!({"UserPoolId": pool_id, "GroupName": "admins"}),
    )
    .await;
    assert_eq!(names(&members, "Users", "Username"), ["alice"]);
    let of_alice = ok(
        &app,
        "AdminListGroupsForUser",
        json!({"UserPoolId": pool_id, "Username": "alice"}),
    )
    .await;
    assert_eq!(of_alice["Groups"], json!([updated["Group"]]));

    // Deleting takes the memberships with it; a second delete finds nothing.
    let deleted = admin(
        &app,
        "DeleteGroup",
        &json!({"UserPoolId": pool_id, "GroupName": "admins"}),
    )
    .await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(deleted.text().await.unwrap(), "{}");
    for operation in ["GetGroup", "DeleteGroup", "UpdateGroup", "ListUsersInGroup"] {
        refused(
            &app,
            operation,
            json!({"UserPoolId": pool_id, "GroupName": "admins"}),
            "ResourceNotFoundException",
            "Group not found.",
        )
        .await;
    }
    let of_alice = ok(
        &app,
        "AdminListGroupsForUser",
        json!({"UserPoolId": pool_id, "Username": "alice"}),
    )
    .await;
    assert_eq!(of_alice["Groups"], json!([]));
    // The name is free again.
    ok(
        &app,
        "CreateGroup",
        json!({"UserPoolId": pool_id, "GroupName": "admins"}),
    )
    .await;
    let bare = ok(
        &app,
        "GetGroup",
        json!({"UserPoolId": pool_id, "GroupName": "admins"}),
    )
    .await;
    for absent in ["Description", "RoleArn", "Precedence"] {
        assert!(bare["Group"].get(absent).is_none(), "{bare}");
    }
    app.stop().await;
}

async fn group_requests_are_checked_as_cognito_checks_them(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let pool_id = pool.id.to_string();
    ok(
        &app,
        "CreateGroup",
        json!({"UserPoolId": pool_id, "GroupName": "admins"}),
    )
    .await;
    refused(
        &app,
        "CreateGroup",
        json!({"UserPoolId": pool_id, "GroupName": "admins"}),
        "GroupExistsException",
        "A group with the name already exists.",
    )
    .await;
    let invalid = "InvalidParameterException";
    for (body, message) in [
        (
            json!({"UserPoolId": pool_id, "GroupName": "x", "RoleArn": "not-an-arn-of-any-kind"}),
            "roleArn",
        ),
        (
            json!({"UserPoolId": pool_id, "GroupName": "x", "RoleArn": "arn:aws:iam::12x4:role/Admins"}),
            "roleArn",
        ),
        (
            json!({"UserPoolId": pool_id, "GroupName": "x", "Precedence": -1}),
            "precedence",
        ),
        (
            json!({"UserPoolId": pool_id, "GroupName": "x", "Description": "d".repeat(2049)}),
            "description",
        ),
        (
            json!({"UserPoolId": pool_id, "GroupName": "x", "Description": "a\u{0}b"}),
            "description",
        ),
        (
            json!({"UserPoolId": pool_id, "GroupName": "two words"}),
            "groupName",
        ),
        (json!({"UserPoolId": pool_id, "GroupName": ""}), "groupName"),
        (json!({"UserPoolId": pool_id}), "groupName"),
    ] {
        for operation in ["CreateGroup", "UpdateGroup"] {
            let response = admin(&app, operation, &body).await;
            assert_eq!(response.status(), 400);
            let answer: Value = response.json().await.unwrap();
            assert_eq!(answer["__type"], invalid, "{body}");
            let text = answer["message"].as_str().unwrap();
            assert!(
                text.contains(&format!("at '{message}'")),
                "{operation} {body}: {text}"
            );
        }
    }
    refused(
        &app,
        "GetGroup",
        json!({"UserPoolId": "us-east-1_Nowhere00", "GroupName": "admins"}),
        "ResourceNotFoundException",
        "User pool us-east-1_Nowhere00 does not exist.",
    )
    .await;
    refused(
        &app,
        "AdminAddUserToGroup",
        json!({"UserPoolId": pool_id, "Username": "nobody", "GroupName": "admins"}),
        "UserNotFoundException",
        "",
    )
    .await;
    refused(
        &app,
        "AdminAddUserToGroup",
        json!({"UserPoolId": pool_id, "Username": "nobody", "GroupName": "ghosts"}),
        "ResourceNotFoundException",
        "Group not found.",
    )
    .await;
    refused(
        &app,
        "AdminListGroupsForUser",
        json!({"UserPoolId": pool_id, "Username": "nobody"}),
        "UserNotFoundException",
        "",
    )
    .await;
    app.stop().await;
}

async fn only_one_of_many_concurrent_creations_of_a_group_wins(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let body = json!({"UserPoolId": pool.id.to_string(), "GroupName": "racers"});
    let answers = join_all((0..60).map(|_| admin(&app, "CreateGroup", &body))).await;
    let mut created = 0;
    for answer in answers {
        let status = answer.status();
        let answer: Value = answer.json().await.unwrap();
        if status == 200 {
            created += 1;
        } else {
            assert_eq!(answer["__type"], "GroupExistsException", "{answer}");
        }
    }
    assert_eq!(created, 1);
    app.stop().await;
}

async fn tokens_carry_groups_roles_and_the_preferred_role(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let pool_id = pool.id.to_string();
    app.create_user(&pool, "alice", false).await;
    let claims = |result: &Value, token: &str| jwt_part(result[token].as_str().unwrap(), 1);
    let signed_in = app.sign_in("acme", "alice", PASSWORD).await;
    for token in ["IdToken", "AccessToken"] {
        let claims = claims(&signed_in, token);
        for absent in ["cognito:groups", "cognito:roles", "cognito:preferred_role"] {
            assert!(claims.get(absent).is_none(), "{claims}");
        }
    }
    for (name, precedence, role) in [
        ("readers", Some(5), Some(READER_ROLE)),
        ("admins", Some(1), Some(ADMIN_ROLE)),
        ("staff", None, None),
        ("everyone", Some(0), None),
    ] {
        let mut body = json!({"UserPoolId": pool_id, "GroupName": name});
        if let Some(precedence) = precedence {
            body["Precedence"] = json!(precedence);
        }
        if let Some(role) = role {
            body["RoleArn"] = json!(role);
        }
        ok(&app, "CreateGroup", body).await;
        ok(
            &app,
            "AdminAddUserToGroup",
            json!({"UserPoolId": pool_id, "Username": "alice", "GroupName": name}),
        )
        .await;
    }
    // Lowest precedence value first, groups without one last; the preferred role is the
    // role of the lowest-valued group that has one. Access tokens carry only the groups.
    let signed_in = app.sign_in("acme", "alice", PASSWORD).await;
    let id = claims(&signed_in, "IdToken");
    assert_eq!(
        id["cognito:groups"],
        json!(["everyone", "admins", "readers", "staff"])
    );
    assert_eq!(id["cognito:roles"], json!([ADMIN_ROLE, READER_ROLE]));
    assert_eq!(id["cognito:preferred_role"], ADMIN_ROLE);
    let access = claims(&signed_in, "AccessToken");
    assert_eq!(access["cognito:groups"], id["cognito:groups"]);
    assert!(access.get("cognito:roles").is_none());
    assert!(access.get("cognito:preferred_role").is_none());
    let listed = ok(
        &app,
        "AdminListGroupsForUser",
        json!({"UserPoolId": pool_id, "Username": "alice"}),
    )
    .await;
    assert_eq!(
        names(&listed, "Groups", "GroupName"),
        ["everyone", "admins", "readers", "staff"]
    );

    // Two groups tied at the top with different roles: no role is preferred. A refresh
    // reads the groups afresh.
    ok(
        &app,
        "UpdateGroup",
        json!({"UserPoolId": pool_id, "GroupName": "readers", "Precedence": 1}),
    )
    .await;
    let refreshed: Value = app
        .refresh(signed_in["RefreshToken"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    let id = claims(
        &refreshed["cognitoToken"]["AuthenticationResult"],
        "IdToken",
    );
    assert_eq!(
        id["cognito:groups"],
        json!(["everyone", "admins", "readers", "staff"])
    );
    assert!(id.get("cognito:preferred_role").is_none(), "{id}");
    assert_eq!(id["cognito:roles"], json!([ADMIN_ROLE, READER_ROLE]));

    // Tied with the same role, that role is preferred.
    ok(
        &app,
        "UpdateGroup",
        json!({"UserPoolId": pool_id, "GroupName": "readers", "RoleArn": ADMIN_ROLE}),
    )
    .await;
    let id = claims(&app.sign_in("acme", "alice", PASSWORD).await, "IdToken");
    assert_eq!(id["cognito:preferred_role"], ADMIN_ROLE);
    assert_eq!(id["cognito:roles"], json!([ADMIN_ROLE]));

    // A deleted group leaves the tokens.
    for name in ["readers", "admins"] {
        ok(
            &app,
            "DeleteGroup",
            json!({"UserPoolId": pool_id, "GroupName": name}),
        )
        .await;
    }
    let id = claims(&app.sign_in("acme", "alice", PASSWORD).await, "IdToken");
    assert_eq!(id["cognito:groups"], json!(["everyone", "staff"]));
    assert!(id.get("cognito:roles").is_none());
    app.stop().await;
}

/// Walks a listing to its end, `limit` at a time; the pages' items, and how many pages.
async fn walk(
    app: &TestApp,
    operation: &str,
    body: Value,
    (limit_member, token_member): (&str, &str),
    limit: i64,
    (items, name): (&str, &str),
) -> (Vec<String>, usize) {
    let mut collected = Vec::new();
    let mut pages = 0;
    let mut token: Option<String> = None;
    loop {
        let mut request = body.clone();
        request[limit_member] = json!(limit);
        if let Some(token) = &token {
            request[token_member] = json!(token);
        }
        let page = ok(app, operation, request).await;
        pages += 1;
        let got = names(&page, items, name);
        assert!(got.len() <= usize::try_from(limit).unwrap());
        collected.extend(got);
        match page.get(token_member) {
            Some(next) => token = Some(next.as_str().unwrap().to_owned()),
            None => return (collected, pages),
        }
        assert!(pages < 100, "{operation} never ends");
    }
}

async fn every_list_pages_with_tokens_bound_to_their_listing(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let (other, _) = app.create_pool("other").await;
    let pool_id = pool.id.to_string();
    let users = ["ann", "bob", "cat", "dan", "eve"];
    for name in users {
        app.create_user_with(
            &pool,
            name,
            PASSWORD,
            false,
            &[("email", &format!("{name}@example.com"))],
        )
        .await;
        app.create_user(&other, name, false).await;
    }
    let groups = ["g1", "g2", "g3", "g4", "g5"];
    for (precedence, group) in groups.iter().enumerate() {
        ok(
            &app,
            "CreateGroup",
            json!({"UserPoolId": pool_id, "GroupName": group, "Precedence": 5 - precedence}),
        )
        .await;
        ok(
            &app,
            "CreateGroup",
            json!({"UserPoolId": other.id.to_string(), "GroupName": group}),
        )
        .await;
        for user in users {
            ok(
                &app,
                "AdminAddUserToGroup",
                json!({"UserPoolId": pool_id, "Username": user, "GroupName": group}),
            )
            .await;
        }
    }
    for _ in 0..4 {
        ok(
            &app,
            "CreateUserPoolClient",
            json!({"UserPoolId": pool_id, "ClientName": "web"}),
        )
        .await;
    }

    let in_pool = json!({"UserPoolId": pool_id});
    let (listed, pages) = walk(
        &app,
        "ListUsers",
        in_pool.clone(),
        ("Limit", "PaginationToken"),
        2,
        ("Users", "Username"),
    )
    .await;
    assert_eq!((listed, pages), (users.map(str::to_owned).to_vec(), 3));
    let (listed, pages) = walk(
        &app,
        "ListGroups",
        in_pool.clone(),
        ("Limit", "NextToken"),
        2,
        ("Groups", "GroupName"),
    )
    .await;
    assert_eq!((listed, pages), (groups.map(str::to_owned).to_vec(), 3));
    let (mut listed, pages) = walk(
        &app,
        "ListUsersInGroup",
        json!({"UserPoolId": pool_id, "GroupName": "g3"}),
        ("Limit", "NextToken"),
        2,
        ("Users", "Username"),
    )
    .await;
    listed.sort();
    assert_eq!((listed, pages), (users.map(str::to_owned).to_vec(), 3));
    // A user's groups in precedence order: g5 has the lowest value.
    let (listed, pages) = walk(
        &app,
        "AdminListGroupsForUser",
        json!({"UserPoolId": pool_id, "Username": "ann"}),
        ("Limit", "NextToken"),
        2,
        ("Groups", "GroupName"),
    )
    .await;
    assert_eq!(
        (listed, pages),
        (["g5", "g4", "g3", "g2", "g1"].map(String::from).to_vec(), 3)
    );
    let (clients, _) = walk(
        &app,
        "ListUserPoolClients",
        in_pool.clone(),
        ("MaxResults", "NextToken"),
        2,
        ("UserPoolClients", "ClientId"),
    )
    .await;
    assert_eq!(clients.len(), 5, "the default client and four more");
    let (pools, _) = walk(
        &app,
        "ListUserPools",
        json!({}),
        ("MaxResults", "NextToken"),
        1,
        ("UserPools", "Id"),
    )
    .await;
    assert_eq!(pools.len(), 2);
    // A page exactly full says so without a token.
    let exact = ok(
        &app,
        "ListGroups",
        json!({"UserPoolId": pool_id, "Limit": 5}),
    )
    .await;
    assert!(exact.get("NextToken").is_none(), "{exact}");
    // Limit 0 is in Cognito's range and means the default page.
    let all = ok(
        &app,
        "ListUsers",
        json!({"UserPoolId": pool_id, "Limit": 0}),
    )
    .await;
    assert_eq!(all["Users"].as_array().unwrap().len(), 5);

    // A token continues its own listing and no other.
    let users_token = ok(
        &app,
        "ListUsers",
        json!({"UserPoolId": pool_id, "Limit": 1}),
    )
    .await["PaginationToken"]
        .clone();
    let groups_token = ok(
        &app,
        "ListGroups",
        json!({"UserPoolId": pool_id, "Limit": 1}),
    )
    .await["NextToken"]
        .clone();
    let g1_token = ok(
        &app,
        "ListUsersInGroup",
        json!({"UserPoolId": pool_id, "GroupName": "g1", "Limit": 1}),
    )
    .await["NextToken"]
        .clone();
    let invalid = "InvalidParameterException";
    let message = "Invalid pagination token.";
    for (operation, body) in [
        (
            "ListGroups",
            json!({"UserPoolId": pool_id, "NextToken": users_token}),
        ),
        (
            "ListUsers",
            json!({"UserPoolId": pool_id, "PaginationToken": groups_token}),
        ),
        (
            "ListGroups",
            json!({"UserPoolId": other.id.to_string(), "NextToken": groups_token}),
        ),
        (
            "ListUsers",
            json!({"UserPoolId": pool_id, "PaginationToken": users_token,
                   "Filter": "email ^= \"\""}),
        ),
        (
            "ListUsersInGroup",
            json!({"UserPoolId": pool_id, "GroupName": "g2", "NextToken": g1_token}),
        ),
        (
            "AdminListGroupsForUser",
            json!({"UserPoolId": pool_id, "Username": "bob", "NextToken": groups_token}),
        ),
        (
            "ListUserPoolClients",
            json!({"UserPoolId": pool_id, "NextToken": groups_token}),
        ),
        (
            "ListUserPools",
            json!({"MaxResults": 10, "NextToken": groups_token}),
        ),
        (
            "ListGroups",
            json!({"UserPoolId": pool_id, "NextToken": "bm90LWEtdG9rZW4"}),
        ),
    ] {
        refused(&app, operation, body, invalid, message).await;
    }
    // A token altered in any one character is refused.
    let token = groups_token.as_str().unwrap();
    for at in [0, token.len() / 2, token.len() - 1] {
        let mut altered: Vec<char> = token.chars().collect();
        altered[at] = if altered[at] == 'A' { 'B' } else { 'A' };
        let altered: String = altered.into_iter().collect();
        refused(
            &app,
            "ListGroups",
            json!({"UserPoolId": pool_id, "NextToken": altered}),
            invalid,
            message,
        )
        .await;
    }

    // Cognito's page-size ranges.
    for (operation, body, member) in [
        (
            "ListUsers",
            json!({"UserPoolId": pool_id, "Limit": 61}),
            "limit",
        ),
        (
            "ListUsers",
            json!({"UserPoolId": pool_id, "Limit": -1}),
            "limit",
        ),
        (
            "ListGroups",
            json!({"UserPoolId": pool_id, "Limit": 61}),
            "limit",
        ),
        (
            "ListUsersInGroup",
            json!({"UserPoolId": pool_id, "GroupName": "g1", "Limit": 61}),
            "limit",
        ),
        (
            "AdminListGroupsForUser",
            json!({"UserPoolId": pool_id, "Username": "ann", "Limit": 61}),
            "limit",
        ),
        ("ListUserPools", json!({"MaxResults": 0}), "maxResults"),
        ("ListUserPools", json!({"MaxResults": 61}), "maxResults"),
        ("ListUserPools", json!({}), "maxResults"),
        (
            "ListUserPoolClients",
            json!({"UserPoolId": pool_id, "MaxResults": 0}),
            "maxResults",
        ),
        (
            "ListGroups",
            json!({"UserPoolId": pool_id, "NextToken": ""}),
            "nextToken",
        ),
        (
            "ListUsers",
            json!({"UserPoolId": pool_id, "PaginationToken": "a b"}),
            "paginationToken",
        ),
    ] {
        let response = admin(&app, operation, &body).await;
        assert_eq!(response.status(), 400);
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["__type"], invalid, "{operation} {body}: {answer}");
        assert!(
            answer["message"]
                .as_str()
                .unwrap()
                .contains(&format!("at '{member}'")),
            "{operation} {body}: {answer}"
        );
    }
    app.stop().await;
}

async fn list_users_filters_as_cognito_does(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let pool_id = pool.id.to_string();
    for (name, attributes) in [
        (
            "alice",
            vec![
                ("email", "alice@example.com"),
                ("given_name", "Alice"),
                ("family_name", "O\"Brien"),
                ("custom:team", "red"),
            ],
        ),
        (
            "albert",
            vec![
                ("email", "albert@example.org"),
                ("phone_number", "+15550100"),
                ("name", "Albert A"),
                ("preferred_username", "bert"),
            ],
        ),
        (
            "bob",
            vec![("email", "bob@example.com"), ("given_name", "Bob")],
        ),
    ] {
        app.create_user_with(&pool, name, PASSWORD, false, &attributes)
            .await;
    }
    app.create_user(&pool, "carol", true).await;
    ok(
        &app,
        "AdminDisableUser",
        json!({"UserPoolId": pool_id, "Username": "bob"}),
    )
    .await;
    let alice = ok(
        &app,
        "AdminGetUser",
        json!({"UserPoolId": pool_id, "Username": "alice"}),
    )
    .await;
    let alice_sub = alice["UserAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["Name"] == "sub")
        .unwrap()["Value"]
        .as_str()
        .unwrap()
        .to_owned();

    let list = |filter: String| {
        let app = &app;
        let pool_id = pool_id.clone();
        async move {
            let page = ok(
                app,
                "ListUsers",
                json!({"UserPoolId": pool_id, "Filter": filter}),
            )
            .await;
            let mut found = names(&page, "Users", "Username");
            found.sort();
            found
        }
    };
    for (filter, expected) in [
        ("email = \"alice@example.com\"".to_owned(), vec!["alice"]),
        ("email ^= \"al\"".to_owned(), vec!["albert", "alice"]),
        ("email ^= \"\"".to_owned(), vec!["albert", "alice", "bob"]),
        ("email = \"ALICE@example.com\"".to_owned(), vec![]),
        ("username = \"bob\"".to_owned(), vec!["bob"]),
        ("username ^= \"al\"".to_owned(), vec!["albert", "alice"]),
        ("phone_number = \"+15550100\"".to_owned(), vec!["albert"]),
        ("phone_number ^= \"+1555\"".to_owned(), vec!["albert"]),
        ("name ^= \"Albert\"".to_owned(), vec!["albert"]),
        ("given_name = \"Bob\"".to_owned(), vec!["bob"]),
        (r#"family_name = "O\"Brien""#.to_owned(), vec!["alice"]),
        ("preferred_username = \"bert\"".to_owned(), vec!["albert"]),
        (format!("sub = \"{alice_sub}\""), vec!["alice"]),
        (format!("sub ^= \"{}\"", &alice_sub[..8]), vec!["alice"]),
        (
            "cognito:user_status = \"force_change_password\"".to_owned(),
            vec!["carol"],
        ),
        (
            "cognito:user_status = \"CONFIRMED\"".to_owned(),
            vec!["albert", "alice", "bob"],
        ),
        ("status = \"Disabled\"".to_owned(), vec!["bob"]),
        (
            "status = \"Enabled\"".to_owned(),
            vec!["albert", "alice", "carol"],
        ),
        ("status = \"enabled\"".to_owned(), vec![]),
        (
            "status ^= \"\"".to_owned(),
            vec!["albert", "alice", "bob", "carol"],
        ),
        ("  ".to_owned(), vec!["albert", "alice", "bob", "carol"]),
        ("username^=\"c\"".to_owned(), vec!["carol"]),
    ] {
        let expected: Vec<String> = expected.into_iter().map(String::from).collect();
        assert_eq!(list(filter.clone()).await, expected, "{filter}");
    }

    // A filtered listing pages too, one user at a time.
    let (found, pages) = walk(
        &app,
        "ListUsers",
        json!({"UserPoolId": pool_id, "Filter": "email ^= \"a\""}),
        ("Limit", "PaginationToken"),
        1,
        ("Users", "Username"),
    )
    .await;
    assert_eq!((found, pages), (vec!["albert".into(), "alice".into()], 2));

    for (filter, message) in [
        ("email", "Error while parsing filter."),
        ("email = alice", "Error while parsing filter."),
        ("email = \"alice", "Error while parsing filter."),
        (
            "email = \"a\" or username = \"b\"",
            "Error while parsing filter.",
        ),
        ("email ~ \"a\"", "Error while parsing filter."),
        ("email = \"a\u{0}b\"", "Error while parsing filter."),
        (
            "custom:team = \"red\"",
            "Invalid search attribute: custom:team",
        ),
        ("locale = \"en\"", "Invalid search attribute: locale"),
    ] {
        refused(
            &app,
            "ListUsers",
            json!({"UserPoolId": pool_id, "Filter": filter}),
            "InvalidParameterException",
            message,
        )
        .await;
    }
    let long = format!("email = \"{}\"", "a".repeat(250));
    refused(
        &app,
        "ListUsers",
        json!({"UserPoolId": pool_id, "Filter": long}),
        "InvalidParameterException",
        "",
    )
    .await;

    // AttributesToGet: only the attributes named.
    let page = ok(
        &app,
        "ListUsers",
        json!({"UserPoolId": pool_id, "Filter": "username = \"alice\"",
               "AttributesToGet": ["email", "custom:team"]}),
    )
    .await;
    assert_eq!(
        page["Users"][0]["Attributes"],
        json!([{"Name": "custom:team", "Value": "red"}, {"Name": "email", "Value": "alice@example.com"}])
    );
    assert_eq!(page["Users"][0]["Username"], "alice");
    assert_eq!(page["Users"][0]["UserStatus"], "CONFIRMED");
    let page = ok(
        &app,
        "ListUsers",
        json!({"UserPoolId": pool_id, "Filter": "username = \"alice\"", "AttributesToGet": []}),
    )
    .await;
    assert_eq!(page["Users"][0]["Attributes"], json!([]));
    refused(
        &app,
        "ListUsers",
        json!({"UserPoolId": pool_id, "AttributesToGet": ["colour"]}),
        "InvalidParameterException",
        "One or more requested attributes do not exist.",
    )
    .await;
    app.stop().await;
}

/// Creates `count` users straight in the store (no password hashing: the listing is what
/// is measured), `user00000`…, with e-mail addresses in two domains.
async fn populate(app: &TestApp, pool: &gatehouse::domain::pool::UserPool, count: usize) {
    use gatehouse::domain::attributes::UserAttributes;
    use gatehouse::domain::ids::Sub;
    use gatehouse::domain::user::{User, UserStatus};
    use gatehouse::domain::username::Username;
    let now = app.clock_now();
    let users: Vec<User> = (0..count)
        .map(|i| {
            let name = Username::parse(&format!("user{i:05}")).unwrap();
            let domain = if i % 2 == 0 {
                "even.example"
            } else {
                "odd.example"
            };
            let email = format!("{}@{domain}", name.as_str());
            User {
                sub: Sub::generate(),
                pool_id: pool.id.clone(),
                username: name.as_str().to_owned(),
                username_key: name.key().clone(),
                password: None,
                status: UserStatus::Confirmed,
                enabled: i % 10 != 0,
                attributes: UserAttributes::parse([("email".to_owned(), email)].into()).unwrap(),
                tokens_valid_after: 0,
                temporary_password_expires_at: None,
                created_at: now,
                updated_at: now,
            }
        })
        .collect();
    for chunk in users.chunks(250) {
        join_all(chunk.iter().map(|u| app.services.store.create_user(u)))
            .await
            .into_iter()
            .for_each(|r| r.unwrap());
    }
}

async fn list_users_pages_a_large_pool_by_its_indexes(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let pool_id = pool.id.to_string();
    populate(&app, &pool, 10_000).await;

    // One exact match among ten thousand, and a prefix range, page by page.
    let one = ok(
        &app,
        "ListUsers",
        json!({"UserPoolId": pool_id, "Filter": "email = \"user04321@odd.example\""}),
    )
    .await;
    assert_eq!(names(&one, "Users", "Username"), ["user04321"]);
    let (found, pages) = walk(
        &app,
        "ListUsers",
        json!({"UserPoolId": pool_id, "Filter": "email ^= \"user012\""}),
        ("Limit", "PaginationToken"),
        60,
        ("Users", "Username"),
    )
    .await;
    let expected: Vec<String> = (1200..1300).map(|i| format!("user{i:05}")).collect();
    assert_eq!((found, pages), (expected, 2));
    let (found, _) = walk(
        &app,
        "ListUsers",
        json!({"UserPoolId": pool_id, "Filter": "status = \"Disabled\""}),
        ("Limit", "PaginationToken"),
        60,
        ("Users", "Username"),
    )
    .await;
    assert_eq!(found.len(), 1000);
    assert!(
        found.windows(2).all(|w| w[0] < w[1]),
        "in order, no repeats"
    );

    // The database answers each filter from an index, never by reading the pool.
    for filter in [
        "email = \"x\"",
        "email ^= \"user01\"",
        "username ^= \"user01\"",
        "given_name = \"x\"",
        "phone_number ^= \"+1\"",
        "cognito:user_status = \"CONFIRMED\"",
        "sub = \"x\"",
    ] {
        let filter = gatehouse::domain::user_filter::UserFilter::parse(filter)
            .unwrap()
            .unwrap();
        let plan = app
            .services
            .store
            .explain_user_search(&pool.id, &filter)
            .await
            .unwrap();
        let full_scan = match backend {
            Db::Sqlite => plan.contains("SCAN users") || !plan.contains("INDEX"),
            Db::Postgres => plan.contains("Seq Scan") || !plan.contains("Index"),
        };
        assert!(!full_scan, "{filter:?}: {plan}");
    }
    app.stop().await;
}

/// A Python with boto3, or None (outside CI) after saying the test was skipped.
async fn boto3_paginators_walk_every_list(backend: Db) {
    let Some(python) = crate::helpers::python_with("boto3") else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/boto3_groups.py");
    let mut boto3 = Command::new(python);
    boto3.arg(script).args([
        &app.address,
        crate::helpers::ADMIN_KEY_ID,
        crate::helpers::ADMIN_SECRET,
    ]);
    crate::helpers::run_client(boto3, "boto3 groups: all checks passed").await;
    app.stop().await;
}

async fn the_javascript_sdk_paginates_users_and_groups(backend: Db) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/js");
    let installed = std::path::Path::new(dir)
        .join("node_modules/@aws-sdk/client-cognito-identity-provider")
        .exists();
    let node = Command::new("node").arg("--version").output();
    if !installed || node.is_err() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must install the JS clients: run ./scripts/test"
        );
        eprintln!("node or tests/clients/js/node_modules missing: JS client test skipped");
        return;
    }
    let app = TestApp::spawn(backend).await;
    let mut node = Command::new("node");
    node.arg("groups_sdk.mjs")
        .args([
            &app.address,
            crate::helpers::ADMIN_KEY_ID,
            crate::helpers::ADMIN_SECRET,
        ])
        .current_dir(dir);
    crate::helpers::run_client(node, "js groups: all checks passed").await;
    app.stop().await;
}
