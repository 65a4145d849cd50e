-- Groups as Cognito has them: a role (RoleArn) for the cognito:roles and
-- cognito:preferred_role claims, and when the group was last changed (UpdateGroup).
ALTER TABLE groups ADD COLUMN role_arn TEXT;
ALTER TABLE groups ADD COLUMN updated_at BIGINT;
UPDATE groups SET updated_at = created_at;

-- ListUsersInGroup pages through a group's members by sub.
CREATE INDEX user_groups_by_group ON user_groups (pool_id, group_name, user_sub);

-- ListUsers filters (`name = "value"`, `name ^= "prefix"`): one index per searchable field,
-- ordered by the field's value then the username key, which is the order a page token
-- continues from. SQLite compares text bytewise, so a prefix is one index range. The
-- store's search statements spell these expressions exactly so (docs/architecture.md).
CREATE INDEX users_search_username ON users (pool_id, username, username_key);
CREATE INDEX users_search_sub ON users (pool_id, sub, username_key);
CREATE INDEX users_search_status ON users (pool_id, status, username_key);
CREATE INDEX users_search_enabled ON users (pool_id, enabled, username_key);
CREATE INDEX users_search_email ON users (pool_id, json_extract(attributes, '$.email'), username_key);
CREATE INDEX users_search_phone_number ON users (pool_id, json_extract(attributes, '$.phone_number'), username_key);
CREATE INDEX users_search_name ON users (pool_id, json_extract(attributes, '$.name'), username_key);
CREATE INDEX users_search_given_name ON users (pool_id, json_extract(attributes, '$.given_name'), username_key);
CREATE INDEX users_search_family_name ON users (pool_id, json_extract(attributes, '$.family_name'), username_key);
CREATE INDEX users_search_preferred_username ON users (pool_id, json_extract(attributes, '$.preferred_username'), username_key);
