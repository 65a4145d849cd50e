-- Pool names as Cognito has them: two pools may share a name. The login API's TenantName
-- moves to its own column, login_name, unique where set; a pool without one (made by CreateUserPool
-- without the gatehouse:tenant tag) is not reachable by the login API. Every existing pool
-- keeps its name as its tenant name, so existing logins and seed files keep working.
--
-- SQLite cannot drop a UNIQUE constraint, so the table is rebuilt as SQLite documents
-- (create, copy, drop, rename). Migrations run with foreign keys off and checked before
-- commit (store/sql/mod.rs), so dropping the old table cascades to nothing.
CREATE TABLE user_pools_v7 (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    login_name   TEXT,
    settings     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
INSERT INTO user_pools_v7 (id, name, login_name, settings, created_at, updated_at)
    SELECT id, name, name, settings, created_at, updated_at FROM user_pools;
DROP TABLE user_pools;
ALTER TABLE user_pools_v7 RENAME TO user_pools;
CREATE UNIQUE INDEX user_pools_by_login_name ON user_pools (login_name);
