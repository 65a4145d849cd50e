//! Hosted-page branding (`SetUICustomization`): one row per pool and client key.

use async_trait::async_trait;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use super::{SqlStore, corrupt, get};
use crate::domain::ids::UserPoolId;
use crate::domain::ui_customization::ALL_CLIENTS;
use crate::store::retry::Replay;
use crate::store::{BrandingStore, StoreError, UiCustomizationRecord};

const COLUMNS: &str = "pool_id, client_key, css, image, image_type, created_at, updated_at";

fn record_from(row: &AnyRow) -> Result<UiCustomizationRecord, StoreError> {
    let pool_id: String = get(row, "pool_id")?;
    Ok(UiCustomizationRecord {
        pool_id: UserPoolId::parse(&pool_id).map_err(|e| corrupt("pool id", e))?,
        client_key: get(row, "client_key")?,
        css: get(row, "css")?,
        image: get(row, "image")?,
        image_type: get(row, "image_type")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

#[async_trait]
impl BrandingStore for SqlStore {
    async fn put_ui_customization(
        &self,
        record: &UiCustomizationRecord,
    ) -> Result<UiCustomizationRecord, StoreError> {
        // A client's row names the client too, so that deleting the client deletes it.
        let client_id = (record.client_key != ALL_CLIENTS).then(|| record.client_key.clone());
        // One statement, so two concurrent settings of one key leave one of them whole, and
        // running it again after a lost answer writes the same row.
        let sql = format!(
            "INSERT INTO ui_customizations ({COLUMNS}, client_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (pool_id, client_key) DO UPDATE SET css = excluded.css, \
             image = excluded.image, image_type = excluded.image_type, \
             updated_at = excluded.updated_at RETURNING {COLUMNS}"
        );
        self.fetch_optional_with(
            "put_ui_customization",
            Replay::Safe,
            AssertSqlSafe(sql),
            |q| {
                q.bind(record.pool_id.as_str().to_owned())
                    .bind(record.client_key.clone())
                    .bind(record.css.clone())
                    .bind(record.image.clone())
                    .bind(record.image_type.clone())
                    .bind(record.created_at)
                    .bind(record.updated_at)
                    .bind(client_id.clone())
            },
            record_from,
        )
        .await?
        .ok_or_else(|| StoreError::internal("the branding upsert returned no row"))
    }

    async fn ui_customization(
        &self,
        pool: &UserPoolId,
        client_key: &str,
    ) -> Result<Option<UiCustomizationRecord>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM ui_customizations WHERE pool_id = $1 AND client_key = $2"
        );
        self.fetch_optional(
            "ui_customization",
            AssertSqlSafe(sql),
            |q| q.bind(pool.as_str()).bind(client_key),
            record_from,
        )
        .await
    }
}
