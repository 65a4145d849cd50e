// Groups and lists through the AWS SDK for JavaScript v3, unchanged: the group operations
// and their errors, and the SDK's own paginators (paginateListUsers, paginateListGroups,
// paginateListUsersInGroup, paginateAdminListGroupsForUser) walking pages.
//
// Usage: node groups_sdk.mjs ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY
import assert from "node:assert/strict";

import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolCommand,
  DeleteGroupCommand,
  GetGroupCommand,
  ListGroupsCommand,
  ListUsersCommand,
  UpdateGroupCommand,
  paginateAdminListGroupsForUser,
  paginateListGroups,
  paginateListUsers,
  paginateListUsersInGroup,
} from "@aws-sdk/client-cognito-identity-provider";

const [endpoint, accessKeyId, secretAccessKey] = process.argv.slice(2);
const ROLE = "arn:aws:iam::123456789012:role/Admins";
const client = new CognitoIdentityProviderClient({
  region: "us-east-1",
  endpoint,
  credentials: { accessKeyId, secretAccessKey },
});

async function expectError(name, command, message) {
  await assert.rejects(client.send(command), (error) => {
    assert.equal(error.name, name, `${error.name}: ${error.message}`);
    if (message !== undefined) assert.equal(error.message, message);
    return true;
  });
}

/** Every item of a paginator's pages, and how many pages there were. */
async function walk(paginator, key, item) {
  const items = [];
  let pages = 0;
  for await (const page of paginator) {
    pages += 1;
    items.push(...page[key].map((entry) => entry[item]));
  }
  return { items, pages };
}

const poolId = (await client.send(new CreateUserPoolCommand({ PoolName: "js-groups" }))).UserPool.Id;

const created = (
  await client.send(
    new CreateGroupCommand({
      UserPoolId: poolId,
      GroupName: "admins",
      Description: "Administrators",
      Precedence: 2,
      RoleArn: ROLE,
    }),
  )
).Group;
assert.equal(created.RoleArn, ROLE);
assert.equal(created.Precedence, 2);
assert.ok(created.CreationDate instanceof Date, "dates arrive as epoch seconds");
assert.ok(created.LastModifiedDate instanceof Date);
const read = (await client.send(new GetGroupCommand({ UserPoolId: poolId, GroupName: "admins" }))).Group;
assert.deepEqual(read, created);
const updated = (
  await client.send(new UpdateGroupCommand({ UserPoolId: poolId, GroupName: "admins", Precedence: 0 }))
).Group;
assert.equal(updated.Precedence, 0);
assert.equal(updated.Description, "Administrators");
console.log("ok: CreateGroup, GetGroup, UpdateGroup");

await expectError("GroupExistsException", new CreateGroupCommand({ UserPoolId: poolId, GroupName: "admins" }));
await expectError(
  "ResourceNotFoundException",
  new GetGroupCommand({ UserPoolId: poolId, GroupName: "ghosts" }),
  "Group not found.",
);
// The JS SDK validates nothing: the server refuses what Cognito's shapes forbid.
await expectError(
  "InvalidParameterException",
  new CreateGroupCommand({ UserPoolId: poolId, GroupName: "negative", Precedence: -1 }),
);
await expectError(
  "InvalidParameterException",
  new CreateGroupCommand({ UserPoolId: poolId, GroupName: "bad-role", RoleArn: "arn:nope" }),
);
await expectError("InvalidParameterException", new ListGroupsCommand({ UserPoolId: poolId, Limit: 61 }));
console.log("ok: group errors");

const names = Array.from({ length: 7 }, (_, i) => `user${i}`);
for (const name of names) {
  await client.send(
    new AdminCreateUserCommand({
      UserPoolId: poolId,
      Username: name,
      MessageAction: "SUPPRESS",
      TemporaryPassword: "Temporary-Pass-1",
      UserAttributes: [{ Name: "email", Value: `${name}@example.com` }],
    }),
  );
  await client.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: name, GroupName: "admins" }));
}
for (let i = 0; i < 4; i += 1) {
  await client.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: `team${i}`, Precedence: 10 + i }));
  await client.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: "user0", GroupName: `team${i}` }));
}

const users = await walk(paginateListUsers({ client, pageSize: 3 }, { UserPoolId: poolId }), "Users", "Username");
assert.deepEqual(users, { items: names, pages: 3 });
const filtered = await walk(
  paginateListUsers({ client, pageSize: 2 }, { UserPoolId: poolId, Filter: 'email ^= "user"' }),
  "Users",
  "Username",
);
assert.deepEqual(filtered, { items: names, pages: 4 });
const groups = await walk(paginateListGroups({ client, pageSize: 2 }, { UserPoolId: poolId }), "Groups", "GroupName");
assert.deepEqual(groups, { items: ["admins", "team0", "team1", "team2", "team3"], pages: 3 });
const members = await walk(
  paginateListUsersInGroup({ client, pageSize: 4 }, { UserPoolId: poolId, GroupName: "admins" }),
  "Users",
  "Username",
);
assert.deepEqual([...members.items].sort(), names);
assert.equal(members.pages, 2);
const ofUser = await walk(
  paginateAdminListGroupsForUser({ client, pageSize: 2 }, { UserPoolId: poolId, Username: "user0" }),
  "Groups",
  "GroupName",
);
assert.deepEqual(ofUser, { items: ["admins", "team0", "team1", "team2", "team3"], pages: 3 });
console.log("ok: paginateListUsers, paginateListGroups, paginateListUsersInGroup, paginateAdminListGroupsForUser");

const groupsToken = (await client.send(new ListGroupsCommand({ UserPoolId: poolId, Limit: 1 }))).NextToken;
await expectError(
  "InvalidParameterException",
  new ListUsersCommand({ UserPoolId: poolId, PaginationToken: groupsToken }),
  "Invalid pagination token.",
);
await expectError(
  "InvalidParameterException",
  new ListUsersCommand({ UserPoolId: poolId, Filter: "family_name ~ x" }),
  "Error while parsing filter.",
);
console.log("ok: tokens bound to their listing, filter errors");

await client.send(new DeleteGroupCommand({ UserPoolId: poolId, GroupName: "team3" }));
await expectError("ResourceNotFoundException", new DeleteGroupCommand({ UserPoolId: poolId, GroupName: "team3" }));
console.log("ok: DeleteGroup");
console.log("js groups: all checks passed");
