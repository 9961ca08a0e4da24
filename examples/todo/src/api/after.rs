//! [`AfterWrite`]: what every successful write does besides answering.

use std::sync::Arc;

use oxapi::http::request::Parts;
use oxapi::{BackgroundTasks, FromRequestParts, OperationDoc, Rejection, RequestContext, State};

use crate::Store;
use crate::feed::{Change, Feed};
use crate::repo::{AuditRecord, Owner};

/// Tells the list's feed subscribers of a change at once, and writes it to the audit log
/// after the response has gone, as a background task: the client does not wait for the
/// audit write, and a failed audit write is logged without failing the request.
///
/// Built from oxapi's own extractors (the app's state, [`BackgroundTasks`]), as a service's
/// extractor of its own.
pub struct AfterWrite {
    feed: Arc<Feed>,
    store: Arc<Store>,
    tasks: BackgroundTasks,
}

impl AfterWrite {
    /// The owner made `change`. Its audit entry is dated now, and written later.
    pub fn done(&self, owner: Owner, change: Change) {
        let record = AuditRecord::now(change.kind.name(), change.target());
        self.feed.publish(owner, change);
        let store = Arc::clone(&self.store);
        self.tasks
            .spawn(async move { store.record(owner, record).await });
    }
}

impl std::fmt::Debug for AfterWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AfterWrite").finish_non_exhaustive()
    }
}

impl FromRequestParts for AfterWrite {
    type Rejection = Rejection;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, Rejection> {
        Ok(Self {
            feed: State::<Feed>::from_request_parts(parts, ctx).await?.0,
            store: State::<Store>::from_request_parts(parts, ctx).await?.0,
            tasks: BackgroundTasks::from_request_parts(parts, ctx).await?,
        })
    }

    fn describe(op: &mut OperationDoc<'_>) {
        State::<Feed>::describe(op);
        State::<Store>::describe(op);
        BackgroundTasks::describe(op);
    }
}
