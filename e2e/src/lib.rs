//! Vestibule's test harness: a real Kubernetes control plane (etcd, kube-apiserver,
//! kube-controller-manager) started on free loopback ports, or the cluster `KUBECONFIG` points at.
//!
//! Tests of every crate share it: `TestCluster::shared().await` starts one control plane per test
//! binary, `cluster.client().await` gives a client for the calling test's runtime, and
//! `cluster.new_namespace().await` a fresh namespace so tests own their data and run in any order.
//! Processes die with the test binary, however it ends (see [`process`]).

pub mod bench;
pub mod binaries;
pub mod cluster;
pub mod control_plane;
pub mod crds;
pub mod environment;
pub mod examples;
pub mod gateway;
pub mod install;
pub mod kubeconfig;
pub mod node;
pub mod process;
pub mod smtp;
pub mod upstream;
pub mod wait;

pub use cluster::{HarnessError, TestCluster};
pub use wait::wait_for;
