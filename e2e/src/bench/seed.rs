//! Customers in Vestibule's database before it starts, through the IdP's own store (the same
//! code, migrations and columns the server uses).

use vestibule_idp::clock::{Clock, SystemClock};
use vestibule_idp::store::{NewUser, ProfileUpdate, Store};

use super::BenchError;
use super::fixture::Fixture;

/// Creates the fixture's customers, verified, all with the fixture's password hash.
pub async fn users(database_url: &str, fixture: &Fixture) -> Result<(), BenchError> {
    let store = Store::connect(database_url)
        .await
        .map_err(|e| BenchError::setup("the database", e))?;
    let now = SystemClock.now();
    for email in &fixture.emails {
        let user = NewUser {
            email: email.clone(),
            password_hash: fixture.password_hash.clone(),
            profile: ProfileUpdate {
                given_name: Some("Ada".into()),
                family_name: Some("Lovelace".into()),
                ..ProfileUpdate::default()
            },
            email_verified: true,
            locale: Some("en".into()),
        };
        store
            .create_user(user, now)
            .await
            .map_err(|e| BenchError::setup("a customer", e))?;
    }
    store.pool().close().await;
    Ok(())
}
