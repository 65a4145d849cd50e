-- OAuth 2.0 resource servers: an identifier (the prefix of its custom scopes, `identifier/scope`),
-- a name, and its scopes as a JSON array of {"ScopeName", "ScopeDescription"} in the order
-- they were given. Unique per pool; gone with the pool.
CREATE TABLE resource_servers (
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    identifier  TEXT NOT NULL,
    name        TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (pool_id, identifier)
);

-- A pool's domain (CreateUserPoolDomain): a prefix or a custom domain name. A domain names
-- one pool anywhere, and a pool has at most one domain.
CREATE TABLE user_pool_domains (
    domain           TEXT PRIMARY KEY,
    pool_id          TEXT NOT NULL UNIQUE REFERENCES user_pools (id) ON DELETE CASCADE,
    is_custom        INTEGER NOT NULL,
    certificate_arn  TEXT,
    created_at       BIGINT NOT NULL
);
