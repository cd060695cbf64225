//! What the server says it did: Vestibule's metrics on its admin listener (argon2id
//! verifications, challenged mode entered), the peer's verification count at
//! `/bench/verifications` (a line of `bench/peer/server.mjs`).

use crate::bench::BenchError;
use crate::bench::servers::Server;

/// The metric counting argon2id verifications in Vestibule.
const VERIFICATIONS: &str = "vestibule_idp_password_verifications_total";
/// Times the whole tenant entered challenged mode.
const TENANT_CHALLENGED: &str = "vestibule_idp_tenant_challenged_total";
/// Addresses that entered challenged mode on their own.
const ADDRESSES_CHALLENGED: &str = "vestibule_idp_addresses_challenged_total";

/// The server's counters at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerCounters {
    /// argon2id verifications so far.
    pub verifications: u64,
    /// Times the tenant entered challenged mode (Vestibule only).
    pub tenant_challenged: u64,
    /// Addresses that entered challenged mode (Vestibule only).
    pub addresses_challenged: u64,
}

/// The value of the unlabelled counter `name` in a Prometheus text exposition.
fn counter(metrics: &str, name: &str) -> Option<u64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
}

/// Reads one server's counters: Vestibule's `/metrics` or the peer's `/bench/verifications`.
#[derive(Debug, Clone)]
pub struct Reader {
    client: reqwest::Client,
    url: String,
    peer: bool,
}

impl Reader {
    /// The reader of `server`'s counters.
    pub fn of(server: &Server) -> Self {
        let (url, peer) = match &server.admin {
            Some(admin) => (format!("{admin}/metrics"), false),
            None => (format!("{}/bench/verifications", server.base), true),
        };
        Self {
            client: reqwest::Client::new(),
            url,
            peer,
        }
    }

    /// The counters now.
    pub async fn read(&self) -> Result<ServerCounters, BenchError> {
        let url = &self.url;
        let response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| BenchError::flow("GET", url, e))?;
        let body = response.text().await.map_err(|e| BenchError::flow("reading", url, e))?;
        if self.peer {
            let verifications = body
                .trim()
                .parse()
                .map_err(|e| BenchError::flow("the peer's verification count", url, e))?;
            return Ok(ServerCounters {
                verifications,
                ..ServerCounters::default()
            });
        }
        let verifications = counter(&body, VERIFICATIONS)
            .ok_or_else(|| BenchError::flow("the metric", url, format!("no {VERIFICATIONS}")))?;
        Ok(ServerCounters {
            verifications,
            tenant_challenged: counter(&body, TENANT_CHALLENGED).unwrap_or_default(),
            addresses_challenged: counter(&body, ADDRESSES_CHALLENGED).unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlabelled_counters_are_read_by_their_exact_name() {
        let metrics = "# TYPE vestibule_idp_password_verifications counter\n\
                       vestibule_idp_password_verifications_total 1234\n\
                       vestibule_idp_tenant_challenged_total 1\n";
        assert_eq!(counter(metrics, VERIFICATIONS), Some(1234));
        assert_eq!(counter(metrics, TENANT_CHALLENGED), Some(1));
        assert_eq!(counter(metrics, ADDRESSES_CHALLENGED), None);
        assert_eq!(
            counter(metrics, "vestibule_idp_password"),
            None,
            "a prefix is not a name"
        );
    }
}
