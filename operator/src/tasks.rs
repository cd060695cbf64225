//! Background tasks of the controllers (Events, reports of malformed objects), kept together so
//! that losing leadership aborts them with the reconciles: nothing writes once another replica
//! may lead.

use std::sync::{Mutex, PoisonError};

use tokio::task::JoinSet;

/// The controllers' detached tasks.
#[derive(Debug, Default)]
pub struct Tasks {
    set: Mutex<JoinSet<()>>,
}

impl Tasks {
    /// Runs `task` in the background, forgetting the tasks that have finished.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        let mut set = self.set.lock().unwrap_or_else(PoisonError::into_inner);
        while set.try_join_next().is_some() {}
        set.spawn(task);
    }

    /// Aborts every task still running.
    pub fn abort_all(&self) {
        self.set.lock().unwrap_or_else(PoisonError::into_inner).abort_all();
    }
}
