-- Hosted-page branding (SetUICustomization): per pool, `client_key` an app client's id or
-- `ALL` for the settings every client without its own uses. `css` is the text as given
-- (checked against the documented classes); `image` the logo base64-encoded as given,
-- `image_type` `png` or `jpeg`. `client_id` repeats a client's key (NULL for `ALL`) so that
-- a client's branding goes with the client; the pool's goes with the pool.
CREATE TABLE ui_customizations (
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    client_key  TEXT NOT NULL,
    client_id   TEXT REFERENCES app_clients (id) ON DELETE CASCADE,
    css         TEXT,
    image       TEXT,
    image_type  TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (pool_id, client_key),
    CHECK ((client_key = 'ALL' AND client_id IS NULL) OR client_id = client_key)
);
