//! The end of the pipeline: the authentication the sign-in produced.

use crate::authn::amr::{Acr, Amr};
use crate::authn::session::SignedIn;
use crate::authn::transaction::SignIn;
use crate::error::Error;
use crate::ids::UnixTime;
use crate::store::{Session, User};

/// A finished authentication, what a protocol needs to answer the application.
#[derive(Debug, Clone)]
pub struct Authentication {
    /// The customer.
    pub user: User,
    /// Their session in this browser.
    pub session: Session,
    /// The methods of the authentication (`amr`).
    pub methods: Amr,
    /// The class to report (`acr`).
    pub acr: Acr,
    /// When the customer authenticated (`auth_time`).
    pub auth_time: UnixTime,
}

/// The authentication of a sign-in whose steps are all done, for `signed_in`.
pub fn authentication(sign_in: &SignIn, signed_in: Option<SignedIn>) -> Result<Authentication, Error> {
    let SignedIn { user, session } =
        signed_in.ok_or_else(|| Error::Internal("a sign-in finished without a customer".into()))?;
    let methods = Amr::parse(&session.amr);
    let acr = sign_in.required.reported(Acr::achieved(&methods));
    Ok(Authentication {
        auth_time: session.auth_time,
        user,
        session,
        methods,
        acr,
    })
}
