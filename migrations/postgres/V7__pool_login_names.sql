-- Pool names as Cognito has them: two pools may share a name. The login API's TenantName
-- moves to its own column, login_name, unique where set; a pool without one (made by CreateUserPool
-- without the gatehouse:tenant tag) is not reachable by the login API. Every existing pool
-- keeps its name as its tenant name, so existing logins and seed files keep working.
ALTER TABLE user_pools DROP CONSTRAINT user_pools_name_key;
ALTER TABLE user_pools ADD COLUMN login_name TEXT;
UPDATE user_pools SET login_name = name;
CREATE UNIQUE INDEX user_pools_by_login_name ON user_pools (login_name);
