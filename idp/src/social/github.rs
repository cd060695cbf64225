//! GitHub's quirk: `/user` often has no email; `/user/emails` lists them with `primary` and
//! `verified`, and the primary verified one is the customer's.

use serde::Deserialize;
use serde_json::{Map, Value};
use url::Url;

use super::error::UpstreamError;
use super::http::{Call, UpstreamHttp};

const OPERATION: &str = "github emails";

#[derive(Deserialize)]
struct Email {
    email: String,
    #[serde(default)]
    primary: bool,
    #[serde(default)]
    verified: bool,
}

/// The emails endpoint next to the user endpoint (`…/user` -> `…/user/emails`), which keeps
/// GitHub Enterprise's `/api/v3/user` working.
pub(crate) fn emails_url(userinfo: &Url) -> Url {
    let mut url = userinfo.clone();
    url.set_query(None);
    let path = format!("{}/emails", url.path().trim_end_matches('/'));
    url.set_path(&path);
    url
}

/// Replaces `email` and `email_verified` in `claims` by the primary verified address, or
/// leaves the `/user` address marked unverified when there is none.
pub(crate) async fn add_email(
    http: &UpstreamHttp,
    userinfo: &Url,
    access_token: &str,
    claims: &mut Map<String, Value>,
) -> Result<(), UpstreamError> {
    let request = Call::get(emails_url(userinfo))
        .bearer(access_token)
        .header(http::header::ACCEPT, "application/vnd.github+json");
    let emails: Vec<Email> = http.json(OPERATION, request).await?;
    match emails.into_iter().find(|email| email.primary && email.verified) {
        Some(primary) => {
            claims.insert("email".into(), Value::String(primary.email));
            claims.insert("email_verified".into(), Value::Bool(true));
        }
        // The public profile email proves nothing about who controls the address.
        None => {
            claims.insert("email_verified".into(), Value::Bool(false));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_emails_url_sits_next_to_the_user_url() {
        let cloud = Url::parse("https://api.github.com/user").ok();
        assert_eq!(
            cloud.map(|url| emails_url(&url).to_string()),
            Some("https://api.github.com/user/emails".into())
        );
        let enterprise = Url::parse("https://ghe.example.com/api/v3/user").ok();
        assert_eq!(
            enterprise.map(|url| emails_url(&url).to_string()),
            Some("https://ghe.example.com/api/v3/user/emails".into())
        );
    }
}
