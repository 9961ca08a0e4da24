//! The task that forwards PostgreSQL's notifications of changes into this instance's feed.

use std::time::Duration;

use oxapi::tokio;
use oxapi::tokio::sync::watch;
use oxapi::tokio::task::JoinHandle;
use sqlx::postgres::PgListener;

use super::{CHANNEL, Change, ChangeKind, Feed, Notification};
use crate::repo::{Owner, PgRepository, RepoError, Repository};

/// How long to wait before connecting again after the listener's connection failed.
const RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// The running listener: end it with [`Listener::stop`].
#[derive(Debug)]
pub struct Listener {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Listener {
    /// Listens on [`CHANNEL`] with a connection of its own from `repo`'s pool, then forwards
    /// each change into `feed` from a task. Returns once the first `LISTEN` is in place, so
    /// that no change committed after startup is missed.
    ///
    /// # Errors
    ///
    /// If the first connection or its `LISTEN` fails.
    pub async fn start(repo: PgRepository, feed: Feed) -> Result<Self, sqlx::Error> {
        let listener = subscribe(&repo).await?;
        let (stop, stopping) = watch::channel(false);
        let task = tokio::spawn(listen(listener, repo, feed, stopping));
        Ok(Self { stop, task })
    }

    /// Stops listening and waits for the task to end.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// A connection of its own, listening on [`CHANNEL`].
async fn subscribe(repo: &PgRepository) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(repo.pool()).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Forwards notifications until `stopping` turns true. Notifications are sent only while a
/// connection listens: after a gap (a connection lost, then made again), every subscriber
/// is told to resync once the new one listens, so that what they read again is not older
/// than what comes next.
async fn listen(
    mut listener: PgListener,
    repo: PgRepository,
    feed: Feed,
    mut stopping: watch::Receiver<bool>,
) {
    loop {
        if forward(&mut listener, &repo, &feed, &mut stopping).await {
            return;
        }
        listener = loop {
            tokio::select! {
                () = tokio::time::sleep(RECONNECT_DELAY) => {}
                _ = stopping.wait_for(|stopping| *stopping) => return,
            }
            match subscribe(&repo).await {
                Ok(listener) => break listener,
                Err(error) => tracing::warn!(%error, "the feed's listener cannot connect again"),
            }
        };
        feed.resync_all();
    }
}

/// Forwards notifications from `listener` until its connection is lost (returns false) or
/// `stopping` turns true (returns true).
async fn forward(
    listener: &mut PgListener,
    repo: &PgRepository,
    feed: &Feed,
    stopping: &mut watch::Receiver<bool>,
) -> bool {
    loop {
        let received = tokio::select! {
            received = listener.try_recv() => received,
            _ = stopping.wait_for(|stopping| *stopping) => return true,
        };
        match received {
            Ok(Some(notification)) => {
                match serde_json::from_str::<Notification>(notification.payload()) {
                    Ok(notification) => deliver(notification, repo, feed).await,
                    Err(error) => {
                        tracing::warn!(%error, "a notification of the feed is not a change")
                    }
                }
            }
            // The connection was lost; what was sent meanwhile is gone. sqlx would connect
            // again on the next call, before our resync: do it here, in order.
            Ok(None) => {
                tracing::warn!("the feed's listener lost its connection");
                return false;
            }
            Err(error) => {
                tracing::warn!(%error, "the feed's listener failed");
                return false;
            }
        }
    }
}

/// Forwards one notification; a partial one gets its row read first. A row gone since (a
/// later write deleted it) is a `resync` of its list: its deletion follows anyway.
async fn deliver(notification: Notification, repo: &PgRepository, feed: &Feed) {
    let owner = Owner(notification.owner);
    let change = notification.change;
    let list_id = change.list_id;
    if !notification.partial {
        feed.forward(owner, change);
        return;
    }
    let read = match (change.kind, change.item_id) {
        (ChangeKind::ItemCreated | ChangeKind::ItemUpdated, Some(item_id)) => repo
            .get_item(owner, change.list_id, item_id)
            .await
            .map(|item| Change::item(change.kind, item)),
        (ChangeKind::ListCreated | ChangeKind::ListUpdated, _) => repo
            .get_list(owner, change.list_id)
            .await
            .map(|list| Change::list(change.kind, list)),
        _ => Ok(change),
    };
    match read {
        Ok(change) => feed.forward(owner, change),
        Err(RepoError::NotFound(_)) => feed.forward(owner, Change::resync(list_id)),
        Err(error) => {
            tracing::warn!(%error, "cannot read the row of a change");
            feed.forward(owner, Change::resync(list_id));
        }
    }
}
