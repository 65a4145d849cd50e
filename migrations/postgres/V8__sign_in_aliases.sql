-- Sign-in names besides the username (docs/cognito-compatibility.md, "Sign-in names"): an
-- e-mail address or phone number that is a user's username in a pool with
-- UsernameAttributes, or a verified e-mail address or phone number or a preferred_username
-- in a pool with AliasAttributes. One row per name, keyed by the pool and the name's lookup
-- key, so a name signs in at most one user and sign-in finds it by the primary key. Written
-- in the transaction that writes the user's attributes.
CREATE TABLE user_sign_in_aliases (
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    alias_key   TEXT NOT NULL,
    attribute   TEXT NOT NULL,
    user_sub    TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    PRIMARY KEY (pool_id, alias_key)
);
CREATE INDEX user_sign_in_aliases_by_user ON user_sign_in_aliases (user_sub);
