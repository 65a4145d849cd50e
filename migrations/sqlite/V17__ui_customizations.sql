-- Hosted-page branding (SetUICustomization): per pool, `client_key` an app client's id or
-- `ALL` for the settings every client without its own uses. `css` is the text as given
-- (checked against the documented classes); `image` the logo base64-encoded as given,
-- `image_type` `png` or `jpeg`. Gone with the pool.
CREATE TABLE ui_customizations (
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    client_key  TEXT NOT NULL,
    css         TEXT,
    image       TEXT,
    image_type  TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (pool_id, client_key)
);
