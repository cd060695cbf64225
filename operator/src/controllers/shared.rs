//! Shared reflectors: every kind the controllers read is watched once per namespace in scope,
//! into a store that every controller reads instead of the API and whose changes every
//! controller subscribes to.
//!
//! Custom resources are stored as [`DeserializeGuard`]s: an object that does not deserialize
//! stays in the store as an error with its metadata, so one malformed object stalls nothing and
//! is still seen (and reported) by its controller. Subscriptions carry applied objects only, so
//! deletions are broadcast separately ([`Reflected::deleted`]).

use std::fmt::Debug;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::{FutureExt, Stream, StreamExt, future, stream};
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::core::v1::Secret;
use kube::core::{DeserializeGuard, PartialObjectMeta};
use kube::runtime::WatchStreamExt;
use kube::runtime::reflector::store::Writer;
use kube::runtime::reflector::{self, ObjectRef, ReflectHandle, Store};
use kube::runtime::watcher::{self, Event};
use kube::{Api, Resource};
use serde::de::DeserializeOwned;
use tokio::sync::broadcast;
use tracing::warn;
use vestibule_crds::v1alpha1::{Client, ConsentPolicy, MfaPolicy, SocialProvider, Tenant};

use super::attachment::served::ParsedConfigs;
use crate::context::Context;
use crate::listing;
use crate::names::{CLIENT_LABEL, TENANT_ANNOTATION, TENANT_LABEL};

/// How many changes a subscriber may lag behind before the watch waits for it.
const BUFFER: usize = 1024;

/// The metadata of a Secret: enough to tell which Tenant or attachment refers to it.
pub type SecretMeta = PartialObjectMeta<Secret>;

/// One kind as the controllers see it: one store per namespace in scope (or one for all).
pub struct Reflected<K>
where
    K: Resource<DynamicType = ()> + Clone + 'static,
{
    parts: Vec<(Option<String>, Store<K>)>,
    deleted: broadcast::Sender<Arc<K>>,
}

/// The watches that fill a [`Reflected`], until [`Watches::drive`] starts them.
pub struct Watches<K>
where
    K: Resource<DynamicType = ()> + Clone + 'static,
{
    feeds: Vec<(Option<String>, Writer<K>)>,
    deleted: broadcast::Sender<Arc<K>>,
}

/// Every kind the controllers read, shared by all of them.
pub struct Shared {
    /// Tenants.
    pub tenants: Reflected<DeserializeGuard<Tenant>>,
    /// Clients.
    pub clients: Reflected<DeserializeGuard<Client>>,
    /// SocialProviders.
    pub social_providers: Reflected<DeserializeGuard<SocialProvider>>,
    /// ConsentPolicies.
    pub consent_policies: Reflected<DeserializeGuard<ConsentPolicy>>,
    /// MfaPolicies.
    pub mfa_policies: Reflected<DeserializeGuard<MfaPolicy>>,
    /// The Clients' credentials Secrets (labelled by the operator).
    pub credentials: Reflected<Secret>,
    /// The Tenants' own Secrets (config and keys, labelled by the operator).
    pub tenant_secrets: Reflected<Secret>,
    /// The metadata of every Secret: users' Secrets that specs refer to.
    pub secrets: Reflected<SecretMeta>,
    /// The configs of `tenant_secrets`, parsed once per version.
    pub parsed: ParsedConfigs,
}

/// The watches of [`Shared`], to subscribe to before they are driven.
pub struct SharedWatches {
    /// Tenants.
    pub tenants: Watches<DeserializeGuard<Tenant>>,
    /// Clients.
    pub clients: Watches<DeserializeGuard<Client>>,
    /// SocialProviders.
    pub social_providers: Watches<DeserializeGuard<SocialProvider>>,
    /// ConsentPolicies.
    pub consent_policies: Watches<DeserializeGuard<ConsentPolicy>>,
    /// MfaPolicies.
    pub mfa_policies: Watches<DeserializeGuard<MfaPolicy>>,
    /// Credentials Secrets.
    pub credentials: Watches<Secret>,
    /// Tenants' Secrets.
    pub tenant_secrets: Watches<Secret>,
    /// Secret metadata.
    pub secrets: Watches<SecretMeta>,
}

impl Shared {
    /// The stores for `ctx`'s scope, and their watches (not running yet).
    pub fn new(ctx: &Context) -> (Arc<Self>, SharedWatches) {
        let namespaces = ctx.scope.namespaces();
        let (tenants, tenants_w) = Reflected::new(&namespaces);
        let (clients, clients_w) = Reflected::new(&namespaces);
        let (social_providers, social_providers_w) = Reflected::new(&namespaces);
        let (consent_policies, consent_policies_w) = Reflected::new(&namespaces);
        let (mfa_policies, mfa_policies_w) = Reflected::new(&namespaces);
        let (credentials, credentials_w) = Reflected::new(&namespaces);
        let (tenant_secrets, tenant_secrets_w) = Reflected::new(&namespaces);
        let (secrets, secrets_w) = Reflected::new(&namespaces);
        let shared = Self {
            tenants,
            clients,
            social_providers,
            consent_policies,
            mfa_policies,
            credentials,
            tenant_secrets,
            secrets,
            parsed: ParsedConfigs::default(),
        };
        let watches = SharedWatches {
            tenants: tenants_w,
            clients: clients_w,
            social_providers: social_providers_w,
            consent_policies: consent_policies_w,
            mfa_policies: mfa_policies_w,
            credentials: credentials_w,
            tenant_secrets: tenant_secrets_w,
            secrets: secrets_w,
        };
        (Arc::new(shared), watches)
    }

    /// Waits until every store holds what the API did at its first list. Awaited once, by
    /// [`crate::controllers::run`], before any controller runs (see there why not by each).
    pub async fn ready(&self) {
        self.tenants.ready().await;
        self.clients.ready().await;
        self.social_providers.ready().await;
        self.consent_policies.ready().await;
        self.mfa_policies.ready().await;
        self.credentials.ready().await;
        self.tenant_secrets.ready().await;
        self.secrets.ready().await;
    }
}

impl SharedWatches {
    /// Starts every watch; they run until the returned futures are dropped.
    pub fn drive(self, ctx: &Context) -> Vec<BoxFuture<'static, ()>> {
        let client = ctx.client.clone();
        let mut drivers = Vec::new();
        let all = watcher::Config::default;
        drivers.extend(self.tenants.drive(typed(&client, all(), listing::slim)));
        drivers.extend(self.clients.drive(typed(&client, all(), listing::slim)));
        drivers.extend(self.social_providers.drive(typed(&client, all(), listing::slim)));
        drivers.extend(self.consent_policies.drive(typed(&client, all(), listing::slim)));
        drivers.extend(self.mfa_policies.drive(typed(&client, all(), listing::slim)));
        drivers.extend(
            self.credentials
                .drive(typed(&client, all().labels(CLIENT_LABEL), listing::slim)),
        );
        drivers.extend(
            self.tenant_secrets
                .drive(typed(&client, all().labels(TENANT_LABEL), listing::slim)),
        );
        // Metadata only: the Secrets of the whole scope, whose contents are none of these watches' business.
        drivers.extend(self.secrets.drive(typed(&client, all(), trim_secret_meta)));
        drivers
    }
}

/// A watch of `K` with `config`, each object trimmed by `trim`, for [`Watches::drive`].
fn typed<K>(
    client: &kube::Client,
    config: watcher::Config,
    trim: fn(&mut K),
) -> impl Fn(Option<String>) -> futures::stream::BoxStream<'static, watcher::Result<Event<K>>>
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope> + Clone + DeserializeOwned + Debug + Send + 'static,
{
    let client = client.clone();
    move |namespace| {
        watcher::watcher(scoped::<K>(&client, namespace.as_deref()), config.clone())
            .default_backoff()
            .modify(trim)
            .boxed()
    }
}

/// `K` in `namespace`, or in every namespace.
pub fn scoped<K>(client: &kube::Client, namespace: Option<&str>) -> Api<K>
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>,
{
    match namespace {
        Some(namespace) => Api::namespaced(client.clone(), namespace),
        None => Api::all(client.clone()),
    }
}

/// Keeps of a Secret's metadata only what mappers read: a Secret applied with `kubectl apply`
/// carries its whole content in an annotation, which has no business in the operator's memory.
fn trim_secret_meta(secret: &mut SecretMeta) {
    listing::slim(secret);
    let meta = secret.meta_mut();
    if let Some(annotations) = meta.annotations.as_mut() {
        annotations.retain(|key, _| key == TENANT_ANNOTATION);
    }
    meta.labels = None;
}

impl<K> Reflected<K>
where
    K: Resource<DynamicType = ()> + Clone + Send + Sync + 'static,
{
    /// Stores for `namespaces` (`None`: all), and the watches that fill them.
    fn new(namespaces: &[Option<String>]) -> (Self, Watches<K>) {
        let (deleted, _) = broadcast::channel(BUFFER);
        let mut parts = Vec::new();
        let mut feeds = Vec::new();
        for namespace in namespaces {
            let (store, writer) = reflector::store_shared(BUFFER);
            parts.push((namespace.clone(), store));
            feeds.push((namespace.clone(), writer));
        }
        let watches = Watches {
            feeds,
            deleted: deleted.clone(),
        };
        (Self { parts, deleted }, watches)
    }

    /// Waits until every store holds what the API did when it was first listed: before that,
    /// an empty store would say that nothing exists (and a Tenant would serve no Clients).
    pub async fn ready(&self) {
        for (_, store) in &self.parts {
            // An error means the watch was dropped: the operator is stopping.
            let _ = store.wait_until_ready().await;
        }
    }

    /// The store of the `index`th namespace in scope.
    pub fn store(&self, index: usize) -> Option<Store<K>> {
        self.parts.get(index).map(|(_, store)| store.clone())
    }

    /// Every object in scope.
    pub fn all(&self) -> Vec<Arc<K>> {
        self.parts.iter().flat_map(|(_, store)| store.state()).collect()
    }

    /// Every object in `namespace`.
    pub fn in_namespace(&self, namespace: &str) -> Vec<Arc<K>> {
        self.parts
            .iter()
            .filter(|(scope, _)| scope.as_deref().is_none_or(|n| n == namespace))
            .flat_map(|(_, store)| store.state())
            .filter(|object| object.meta().namespace.as_deref() == Some(namespace))
            .collect()
    }

    /// The object `namespace/name`, if a store in scope holds it.
    pub fn get(&self, namespace: &str, name: &str) -> Option<Arc<K>> {
        let key = ObjectRef::<K>::new(name).within(namespace);
        self.parts.iter().find_map(|(_, store)| store.get(&key))
    }

    /// Objects deleted from now on.
    pub fn deleted(&self) -> impl Stream<Item = Arc<K>> + Send + 'static {
        stream::unfold(self.deleted.subscribe(), |mut receiver| async move {
            loop {
                match receiver.recv().await {
                    Ok(object) => return Some((object, receiver)),
                    // A subscriber that fell behind misses deletions; its resync catches up.
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        warn!(missed, kind = %K::kind(&()), "a subscriber missed deletions");
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
    }
}

impl<K> Watches<K>
where
    K: Resource<DynamicType = ()> + Clone + Send + Sync + 'static,
{
    /// Objects applied from now on in the `index`th namespace in scope.
    pub fn subscribe(&self, index: usize) -> Option<ReflectHandle<K>> {
        self.feeds.get(index).and_then(|(_, writer)| writer.subscribe())
    }

    /// Objects applied from now on in every namespace in scope.
    pub fn subscribe_all(&self) -> impl Stream<Item = Arc<K>> + Send + 'static {
        stream::select_all(self.feeds.iter().filter_map(|(_, writer)| writer.subscribe()))
    }

    /// Runs `watch` of each namespace in scope into its store until dropped, broadcasting
    /// deletions.
    pub fn drive<S>(self, watch: impl Fn(Option<String>) -> S) -> Vec<BoxFuture<'static, ()>>
    where
        S: Stream<Item = watcher::Result<Event<K>>> + Send + 'static,
    {
        let Self { feeds, deleted } = self;
        feeds
            .into_iter()
            .map(|(namespace, writer)| {
                let deleted = deleted.clone();
                watch(namespace)
                    .reflect_shared(writer)
                    .for_each(move |event| {
                        match event {
                            Ok(Event::Delete(object)) => {
                                let _ = deleted.send(Arc::new(object));
                            }
                            Ok(_) => {}
                            Err(error) => warn!(%error, kind = %K::kind(&()), "watch failed; retrying"),
                        }
                        future::ready(())
                    })
                    .boxed()
            })
            .collect()
    }
}
