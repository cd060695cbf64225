//! Signing-key rotation, planned as a pure function of (existing keys, settings, maximum token
//! lifetime, now) so every rule is unit-tested with controlled time.
//!
//! Per algorithm: one `active` key signs. A `next` key is generated `publication_lead()` before
//! the active key's `rotationInterval` ends, so relying parties see it in the JWKS before it
//! signs. It is promoted when the interval ends (and not before it has been published for the
//! lead), and the old active key becomes `retired`. A retired key stays published until every
//! token it may have signed has expired: the longest access or ID token lifetime after its
//! retirement, plus a margin for the config to reach the pods and for verifiers' JWKS caches.
//!
//! Keys are never silently replaced: when the status lists keys but their Secret is gone or
//! unreadable, no new key is made (every token issued would stop verifying) until the Secret is
//! restored or the `vestibule.dev/regenerate-keys` annotation asks for new ones.

use jiff::{SignedDuration, Timestamp};
use kube::ResourceExt;
use vestibule_crds::Duration;
use vestibule_crds::keys::{KeyError, KeyState, SigningKey};
use vestibule_crds::v1alpha1::{SigningAlgorithm, SigningKeySettings, Tenant};

use super::error::KeysError;
use crate::conditions::{Decided, Reason};
use crate::names::{REGENERATE_KEYS_ANNOTATION, keys_secret};

/// What the keys Secret held when it was read.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum StoredKeys {
    /// There is no keys Secret.
    #[default]
    Missing,
    /// The Secret exists, but its keys cannot be read; why.
    Unreadable(String),
    /// The keys it holds.
    Found(Vec<SigningKey>),
}

/// The keys to plan from, and the `regenerate-keys` value acted on (if new keys replace lost
/// ones); `SigningKeysLost` when keys the status lists are gone and no new value asks for more.
pub fn recover(tenant: &Tenant, stored: &StoredKeys) -> Result<(Vec<SigningKey>, Option<String>), Decided> {
    let status = tenant.status.as_ref();
    let handled = status.and_then(|s| s.keys_regenerated_for.clone());
    let why = match stored {
        StoredKeys::Found(keys) if !keys.is_empty() => return Ok((keys.clone(), handled)),
        StoredKeys::Found(_) => "holds no keys".to_owned(),
        StoredKeys::Missing => "does not exist".to_owned(),
        StoredKeys::Unreadable(reason) => format!("is unreadable: {reason}"),
    };
    let listed: Vec<&str> = status
        .map(|s| s.signing_keys.iter().map(|key| key.kid.as_str()).collect())
        .unwrap_or_default();
    if listed.is_empty() {
        return Ok((Vec::new(), handled));
    }
    let requested = tenant.annotations().get(REGENERATE_KEYS_ANNOTATION);
    if let Some(value) = requested.filter(|value| Some(*value) != handled.as_ref()) {
        return Ok((Vec::new(), Some(value.clone())));
    }
    let secret = keys_secret(&tenant.name_any());
    Err(Decided::ready(
        false,
        Reason::SigningKeysLost,
        format!(
            "the status lists signing keys {} but Secret {secret} {why}; new keys would invalidate every token issued, so none are made: restore the Secret, or set the annotation {REGENERATE_KEYS_ANNOTATION} to a new value to generate new keys",
            listed.join(", ")
        ),
    ))
}

/// What the keys should become.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyPlan {
    /// Existing keys to keep, with their new states.
    pub keys: Vec<SigningKey>,
    /// Keys to generate now: algorithm and initial state.
    pub generate: Vec<(SigningAlgorithm, KeyState)>,
    /// When the plan changes next without any other event (for the requeue).
    pub next_change: Option<Timestamp>,
}

/// Plans the key set at `now`; a retired key stays published for `retention` after it retired.
pub fn plan(existing: &[SigningKey], settings: &SigningKeySettings, retention: Duration, now: Timestamp) -> KeyPlan {
    let mut plan = KeyPlan {
        keys: Vec::new(),
        generate: Vec::new(),
        next_change: None,
    };
    let mut retired: Vec<SigningKey> = Vec::new();
    for key in existing {
        if key.state == KeyState::Retired {
            retired.push(key.clone());
        } else if !settings.algorithms.contains(&key.alg) && key.state == KeyState::Active {
            // An algorithm no longer wanted: its active key may have signed tokens still alive.
            retired.push(retire(key.clone(), now));
        }
    }
    for &alg in &settings.algorithms {
        plan_algorithm(&mut plan, &mut retired, existing, alg, settings, now);
    }
    let retention = retention.to_signed();
    for key in retired {
        let drop_at = plus(key.retired.unwrap_or(now), retention);
        if now < drop_at {
            plan.wake_at(drop_at);
            plan.keys.push(key);
        }
    }
    sort(&mut plan.keys);
    plan
}

fn plan_algorithm(
    plan: &mut KeyPlan,
    retired: &mut Vec<SigningKey>,
    existing: &[SigningKey],
    alg: SigningAlgorithm,
    settings: &SigningKeySettings,
    now: Timestamp,
) {
    let newest = |state: KeyState, at: fn(&SigningKey) -> Timestamp| {
        let mut keys: Vec<&SigningKey> = existing.iter().filter(|k| k.alg == alg && k.state == state).collect();
        keys.sort_by_key(|k| std::cmp::Reverse((at(k), k.kid.clone())));
        keys
    };
    let actives = newest(KeyState::Active, |k| k.activated.unwrap_or(k.created));
    // More than one active key can only come from a hand edit: the newest keeps signing.
    retired.extend(actives.iter().skip(1).map(|k| retire((*k).clone(), now)));
    let next = newest(KeyState::Next, |k| k.created).first().map(|k| (*k).clone());
    let interval = settings.rotation_interval.to_signed();
    let lead = settings.publication_lead().to_signed();
    let Some(active) = actives.first().map(|k| (*k).clone()) else {
        match next {
            Some(next) => {
                let promoted = activate(next, now);
                plan.wake_at(publish_time(&promoted, interval, lead));
                plan.keys.push(promoted);
            }
            None => plan.generate.push((alg, KeyState::Active)),
        }
        return;
    };
    let due = plus(active.activated.unwrap_or(active.created), interval);
    match next {
        Some(next) => {
            let promote_at = due.max(plus(next.created, lead));
            if now >= promote_at {
                retired.push(retire(active, now));
                let promoted = activate(next, now);
                plan.wake_at(publish_time(&promoted, interval, lead));
                plan.keys.push(promoted);
            } else {
                plan.wake_at(promote_at);
                plan.keys.extend([active, next]);
            }
        }
        None => {
            let publish_at = minus(due, lead);
            if now >= publish_at {
                plan.generate.push((alg, KeyState::Next));
                plan.wake_at(due.max(plus(now, lead)));
            } else {
                plan.wake_at(publish_at);
            }
            plan.keys.push(active);
        }
    }
}

fn publish_time(active: &SigningKey, interval: SignedDuration, lead: SignedDuration) -> Timestamp {
    minus(plus(active.activated.unwrap_or(active.created), interval), lead)
}

fn plus(at: Timestamp, duration: SignedDuration) -> Timestamp {
    at.checked_add(duration).unwrap_or(Timestamp::MAX)
}

fn minus(at: Timestamp, duration: SignedDuration) -> Timestamp {
    at.checked_sub(duration).unwrap_or(Timestamp::MIN)
}

fn retire(mut key: SigningKey, now: Timestamp) -> SigningKey {
    key.state = KeyState::Retired;
    key.retired = Some(now);
    key
}

fn activate(mut key: SigningKey, now: Timestamp) -> SigningKey {
    key.state = KeyState::Active;
    key.activated = Some(now);
    key
}

/// Sorts keys by algorithm, state (next, active, retired), then creation: a stable order, so an
/// unchanged set renders to the same bytes.
pub fn sort(keys: &mut [SigningKey]) {
    keys.sort_by(|a, b| (a.alg, a.state, a.created, &a.kid).cmp(&(b.alg, b.state, b.created, &b.kid)));
}

impl KeyPlan {
    fn wake_at(&mut self, at: Timestamp) {
        self.next_change = Some(self.next_change.map_or(at, |current| current.min(at)));
    }

    /// Generates the planned keys and returns the complete, sorted set.
    pub fn fulfil(self, now: Timestamp) -> Result<Vec<SigningKey>, KeyError> {
        let mut keys = self.keys;
        for (alg, state) in self.generate {
            keys.push(SigningKey::generate(alg, state, now)?);
        }
        sort(&mut keys);
        Ok(keys)
    }

    /// [`KeyPlan::fulfil`] on a blocking thread when keys are to be generated: an RSA key takes
    /// up to a second of CPU, which must not stall the operator's event loop (it runs every
    /// reconcile, watch and Lease renewal). `tenant` names the Tenant in errors.
    pub async fn fulfil_off_loop(self, now: Timestamp, tenant: &str) -> Result<Vec<SigningKey>, KeysError> {
        let generate = |source| KeysError::Generate {
            tenant: tenant.to_owned(),
            source,
        };
        if self.generate.is_empty() {
            return self.fulfil(now).map_err(generate);
        }
        tokio::task::spawn_blocking(move || self.fulfil(now))
            .await
            .map_err(|error| KeysError::Task {
                tenant: tenant.to_owned(),
                reason: error.to_string(),
            })?
            .map_err(generate)
    }
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
