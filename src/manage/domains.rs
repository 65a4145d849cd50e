//! User pool domains: at most one per pool, each name taken by one pool. A custom domain's
//! requests (by `Host`) are served the pool's OAuth endpoints at the root paths
//! (docs/oauth2.md, "Domains").

use crate::auth::audit::{AuditEvent, Outcome};
use crate::auth::{AuthError, Services};
use crate::domain::ids::UserPoolId;
use crate::domain::pool::UserPool;
use crate::domain::pool_domain::{check_certificate_arn, check_custom_domain, check_prefix};
pub use crate::store::DomainRecord;
use crate::store::StoreError;

fn no_such_domain() -> AuthError {
    AuthError::InvalidParameter("No such domain or user pool exists.".into())
}

impl Services {
    /// `CreateUserPoolDomain`: a prefix, or with `certificate_arn` (its
    /// `CustomDomainConfig`) a custom domain.
    pub async fn create_domain(
        &self,
        pool: &UserPool,
        domain: &str,
        certificate_arn: Option<String>,
    ) -> Result<DomainRecord, AuthError> {
        match &certificate_arn {
            Some(arn) => {
                check_custom_domain(domain).map_err(AuthError::InvalidParameter)?;
                check_certificate_arn(arn).map_err(AuthError::InvalidParameter)?;
            }
            None => check_prefix(domain).map_err(AuthError::InvalidParameter)?,
        }
        if self.store.domain_of_pool(&pool.id).await?.is_some() {
            return Err(AuthError::InvalidParameter(format!(
                "User pool {} already has a domain configured.",
                pool.id
            )));
        }
        let record = DomainRecord {
            domain: domain.to_owned(),
            pool_id: pool.id.clone(),
            is_custom: certificate_arn.is_some(),
            certificate_arn,
            created_at: self.clock.now(),
        };
        // The unique keys decide a race: one domain per pool, one pool per domain.
        match self.store.create_domain(&record).await {
            Ok(()) => {
                AuditEvent::new("domain_created", pool.id.as_str(), Outcome::Success).emit();
                Ok(record)
            }
            Err(StoreError::Conflict(_)) => match self.store.domain(domain).await? {
                Some(_) => Err(AuthError::InvalidParameter(
                    "Domain already associated with another user pool.".into(),
                )),
                None => Err(AuthError::InvalidParameter(format!(
                    "User pool {} already has a domain configured.",
                    pool.id
                ))),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// `DescribeUserPoolDomain`: None for a name no pool has; a name that is neither a
    /// prefix nor a host name could be nobody's, and is refused as malformed.
    pub async fn describe_domain(&self, domain: &str) -> Result<Option<DomainRecord>, AuthError> {
        if domain.contains('.') {
            check_custom_domain(domain).map_err(AuthError::InvalidParameter)?;
        } else {
            check_prefix(domain).map_err(AuthError::InvalidParameter)?;
        }
        Ok(self.store.domain(domain).await?)
    }

    /// The pool's domain, for `DescribeUserPool`.
    pub async fn domain_of_pool(&self, pool: &UserPool) -> Result<Option<DomainRecord>, AuthError> {
        Ok(self.store.domain_of_pool(&pool.id).await?)
    }

    /// The pool whose custom domain `host` is (a request's `Host`, without its port).
    pub async fn pool_of_custom_domain(&self, host: &str) -> Result<Option<UserPoolId>, AuthError> {
        if check_custom_domain(host).is_err() {
            return Ok(None);
        }
        Ok(self
            .store
            .domain(host)
            .await?
            .filter(|d| d.is_custom)
            .map(|d| d.pool_id))
    }

    /// `UpdateUserPoolDomain`: a custom domain's certificate.
    pub async fn update_domain(
        &self,
        pool: &UserPool,
        domain: &str,
        certificate_arn: String,
    ) -> Result<DomainRecord, AuthError> {
        check_certificate_arn(&certificate_arn).map_err(AuthError::InvalidParameter)?;
        let mut record = self
            .store
            .domain(domain)
            .await?
            .filter(|d| d.pool_id == pool.id)
            .ok_or_else(no_such_domain)?;
        if !record.is_custom {
            return Err(AuthError::InvalidParameter(
                "Only a custom domain has a certificate to update.".into(),
            ));
        }
        record.certificate_arn = Some(certificate_arn);
        if !self.store.update_domain(&record).await? {
            return Err(no_such_domain());
        }
        AuditEvent::new("domain_updated", pool.id.as_str(), Outcome::Success).emit();
        Ok(record)
    }

    /// `DeleteUserPoolDomain`.
    pub async fn delete_domain(&self, pool: &UserPool, domain: &str) -> Result<(), AuthError> {
        if !self.store.delete_domain(&pool.id, domain).await? {
            return Err(no_such_domain());
        }
        AuditEvent::new("domain_deleted", pool.id.as_str(), Outcome::Success).emit();
        Ok(())
    }
}
