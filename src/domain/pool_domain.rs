//! A user pool's domain (`CreateUserPoolDomain`): a prefix (Cognito serves it as
//! `<prefix>.auth.<region>.amazoncognito.com`) or a custom domain name the pool's OAuth
//! endpoints answer on (docs/oauth2.md, "Domains"). Checked as Cognito checks them.

/// Words Cognito refuses in a prefix.
const RESERVED: &[&str] = &["aws", "amazon", "cognito"];

fn label_ok(label: &str) -> bool {
    let bytes = label.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.first() != Some(&b'-')
        && bytes.last() != Some(&b'-')
}

/// A prefix: `^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$`, without a reserved word.
pub fn check_prefix(domain: &str) -> Result<(), String> {
    if !label_ok(domain) {
        return Err(
            "1 validation error detected: Value at 'domain' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: \
             ^[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?$"
                .into(),
        );
    }
    if let Some(word) = RESERVED.iter().find(|w| domain.contains(*w)) {
        return Err(format!("Domain cannot contain reserved word: {word}"));
    }
    Ok(())
}

/// A custom domain: a fully qualified lower-case name of at least two labels, at most 253
/// characters.
pub fn check_custom_domain(domain: &str) -> Result<(), String> {
    let labels: Vec<&str> = domain.split('.').collect();
    if domain.len() > 253 || labels.len() < 2 || !labels.iter().all(|l| label_ok(l)) {
        return Err(format!(
            "Invalid custom domain {}: a fully qualified lower-case domain name is required",
            domain.chars().take(253).collect::<String>()
        ));
    }
    Ok(())
}

/// An ACM certificate ARN (`arn:aws:acm:<region>:<account>:certificate/<id>`), stored as
/// given: Gatehouse terminates TLS itself.
pub fn check_certificate_arn(arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = arn.len() <= 2048
        && parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "acm"
        && parts[5].starts_with("certificate/");
    if ok {
        Ok(())
    } else {
        Err("1 validation error detected: Value at 'customDomainConfig.certificateArn' failed \
             to satisfy constraint: Member must satisfy regular expression pattern: \
             arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?"
            .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_custom_domains_follow_cognitos_rules() {
        assert!(check_prefix("acme-login").is_ok());
        for bad in [
            "",
            "-acme",
            "acme-",
            "Acme",
            "acme.login",
            "my-aws-login",
            &"a".repeat(64),
        ] {
            assert!(check_prefix(bad).is_err(), "{bad}");
        }
        assert!(check_custom_domain("auth.acme.example").is_ok());
        for bad in [
            "acme",
            "auth..acme.example",
            "Auth.acme.example",
            "auth.acme.example.",
        ] {
            assert!(check_custom_domain(bad).is_err(), "{bad}");
        }
        assert!(
            check_certificate_arn(
                "arn:aws:acm:us-east-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab"
            )
            .is_ok()
        );
        assert!(check_certificate_arn("not-an-arn").is_err());
    }
}
