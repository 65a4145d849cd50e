//! Hosted-page branding: `SetUICustomization` and `GetUICustomization` per pool (`ALL`) and
//! per app client, the branding a hosted page shows (the client's own, else the pool's), and
//! the logo served at the `ImageUrl` (docs/oauth2.md, "Branding").

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::auth::audit::{AuditEvent, Outcome};
use crate::auth::{AuthError, Services};
use crate::domain::ids::{ClientId, UserPoolId};
use crate::domain::pool::UserPool;
use crate::domain::ui_customization::{ALL_CLIENTS, ImageType, check_css, check_image};
pub use crate::store::UiCustomizationRecord;

/// What a hosted page shows of its client's branding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostedBranding {
    /// The checked rules, written out canonically (what the page inlines).
    pub css: Option<String>,
    /// The key the logo is served under (`ALL` or the client's id), and its version.
    pub logo: Option<(String, i64)>,
}

impl Services {
    /// `SetUICustomization`: replaces the branding of `client` (None: the pool-wide one).
    /// A client must be of the pool; the CSS and the logo are checked before anything is
    /// stored, and a request with neither clears the branding of that key.
    pub async fn set_ui_customization(
        &self,
        pool: &UserPool,
        client: Option<&ClientId>,
        css: Option<&str>,
        image_base64: Option<&str>,
    ) -> Result<UiCustomizationRecord, AuthError> {
        let client_key = match client {
            Some(id) => self.client_of(pool, Some(id)).await?.id.to_string(),
            None => ALL_CLIENTS.to_owned(),
        };
        if let Some(css) = css {
            check_css(css).map_err(AuthError::InvalidParameter)?;
        }
        let image = image_base64
            .map(check_image)
            .transpose()
            .map_err(AuthError::InvalidParameter)?;
        let now = self.clock.now();
        let stored = self
            .store
            .put_ui_customization(&UiCustomizationRecord {
                pool_id: pool.id.clone(),
                client_key,
                css: css.map(str::to_owned),
                image: image.as_ref().map(|(bytes, _)| STANDARD.encode(bytes)),
                image_type: image.map(|(_, kind)| kind.as_str().to_owned()),
                created_at: now,
                updated_at: now,
            })
            .await?;
        AuditEvent::new("ui_customization_set", pool.id.as_str(), Outcome::Success)
            .with_client(&stored.client_key)
            .emit();
        Ok(stored)
    }

    /// A seed file's pool-wide branding: set only if it differs from what is stored, so
    /// applying the same file again changes nothing (not even `LastModifiedDate`).
    pub(crate) async fn align_ui_customization(
        &self,
        pool: &UserPool,
        css: Option<&str>,
        image_base64: Option<&str>,
    ) -> Result<(), AuthError> {
        let image = image_base64
            .map(check_image)
            .transpose()
            .map_err(AuthError::InvalidParameter)?
            .map(|(bytes, _)| STANDARD.encode(bytes));
        let current = self.store.ui_customization(&pool.id, ALL_CLIENTS).await?;
        if current.is_some_and(|c| c.css.as_deref() == css && c.image == image) {
            return Ok(());
        }
        self.set_ui_customization(pool, None, css, image_base64)
            .await
            .map(|_| ())
    }

    /// `GetUICustomization`: the branding `client` is shown (its own, else the pool's), or
    /// None when there is none. A client must be of the pool.
    pub async fn ui_customization(
        &self,
        pool: &UserPool,
        client: Option<&ClientId>,
    ) -> Result<Option<UiCustomizationRecord>, AuthError> {
        if let Some(id) = client {
            let client = self.client_of(pool, Some(id)).await?;
            if let Some(own) = self
                .store
                .ui_customization(&pool.id, client.id.as_str())
                .await?
            {
                return Ok(Some(own));
            }
        }
        Ok(self.store.ui_customization(&pool.id, ALL_CLIENTS).await?)
    }

    /// The branding a hosted page of `client` shows.
    pub async fn hosted_branding(
        &self,
        pool: &UserPoolId,
        client: &ClientId,
    ) -> Result<HostedBranding, AuthError> {
        let record = match self.store.ui_customization(pool, client.as_str()).await? {
            Some(own) => Some(own),
            None => self.store.ui_customization(pool, ALL_CLIENTS).await?,
        };
        let Some(record) = record else {
            return Ok(HostedBranding::default());
        };
        // Checked when it was set; written out again here, so a page inlines only rules
        // this version of the check accepts.
        let css = record.css.as_deref().and_then(|css| match check_css(css) {
            Ok(rules) if !rules.is_empty() => Some(rules),
            Ok(_) => None,
            Err(why) => {
                tracing::warn!(pool = %pool, %why, "stored hosted-page CSS no longer passes the check");
                None
            }
        });
        let logo = record
            .image
            .as_ref()
            .map(|_| (record.client_key.clone(), record.updated_at));
        Ok(HostedBranding { css, logo })
    }

    /// The logo stored under `client_key` (`ALL` or a client's id), for its `ImageUrl`.
    pub async fn branding_logo(
        &self,
        pool: &UserPoolId,
        client_key: &str,
    ) -> Result<Option<(Vec<u8>, ImageType)>, AuthError> {
        let Some(record) = self.store.ui_customization(pool, client_key).await? else {
            return Ok(None);
        };
        let (Some(image), Some(kind)) = (record.image, record.image_type) else {
            return Ok(None);
        };
        let kind = ImageType::parse(&kind)
            .ok_or_else(|| AuthError::internal(format!("stored logo type {kind} is unknown")))?;
        let bytes = STANDARD.decode(image).map_err(AuthError::internal)?;
        Ok(Some((bytes, kind)))
    }
}
