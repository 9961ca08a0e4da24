//! Changes to lists as they happen, for `GET /v1/lists/{list_id}/events`.
//!
//! Each process has one broadcast channel: every change goes through it once, and each
//! subscriber keeps those of the list it watches. A subscriber that falls more than
//! [`CAPACITY`] changes behind is told to reload (a `resync` change) instead of slowing the
//! writers down.
//!
//! Where the changes come from depends on the database:
//!
//! - **SQLite** (one process): a write publishes its change into the channel itself, after
//!   it committed ([`Feed::local`]).
//! - **PostgreSQL** (any number of instances): a write announces its change with
//!   `pg_notify` in its own transaction, so it is sent when, and only if, the write commits,
//!   and notifications reach listeners in commit order. Each instance runs one listener
//!   ([`listener`], a `sqlx::postgres::PgListener` task started by the database's lifespan and
//!   ended at its shutdown) that forwards every notification into its channel
//!   ([`Feed::across_instances`], whose [`Feed::publish`] does nothing: the listener does it,
//!   for this instance's writes too). A change made through instance A so reaches a subscriber
//!   of instance B. PostgreSQL refuses payloads of 8000 bytes or more: a change that does not
//!   fit is announced by kind and ids only, and the receiving instance reads the row
//!   ([`notification`]). When the listener's connection drops, notifications sent meanwhile
//!   are lost: once it is back, every subscriber is sent a `resync`.

pub mod listener;

use oxapi::prelude::*;
use oxapi::tokio::sync::broadcast;
use oxapi::types::Uuid;
use serde::{Deserialize, Serialize};

use crate::model::{Item, TodoList};
use crate::repo::Owner;

/// How many changes a subscriber may be behind before it is told to reload.
pub const CAPACITY: usize = 1024;

/// The PostgreSQL channel changes are announced on.
pub const CHANNEL: &str = "todo_changes";

/// The longest notification payload sent whole: PostgreSQL's limit is 8000 bytes, exclusive.
pub const MAX_NOTIFICATION: usize = 7999;

/// What happened.
#[model]
#[derive(Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A list was made.
    #[serde(rename = "list.created")]
    ListCreated,
    /// A list was changed.
    #[serde(rename = "list.updated")]
    ListUpdated,
    /// A list was deleted, with its items.
    #[serde(rename = "list.deleted")]
    ListDeleted,
    /// An item was added to the list.
    #[serde(rename = "item.created")]
    ItemCreated,
    /// An item was changed.
    #[serde(rename = "item.updated")]
    ItemUpdated,
    /// An item was deleted.
    #[serde(rename = "item.deleted")]
    ItemDeleted,
    /// Changes were missed (the subscriber fell behind): read the list again.
    #[serde(rename = "resync")]
    Resync,
}

impl ChangeKind {
    /// The name the feed's events and the audit log give it.
    pub fn name(self) -> &'static str {
        match self {
            Self::ListCreated => "list.created",
            Self::ListUpdated => "list.updated",
            Self::ListDeleted => "list.deleted",
            Self::ItemCreated => "item.created",
            Self::ItemUpdated => "item.updated",
            Self::ItemDeleted => "item.deleted",
            Self::Resync => "resync",
        }
    }
}

/// A change to a list or one of its items.
#[model]
pub struct Change {
    /// What happened.
    pub kind: ChangeKind,
    /// The list changed, or whose item changed.
    pub list_id: Uuid,
    /// The list as it is now, after `list.created` and `list.updated`.
    pub list: Option<TodoList>,
    /// The item as it is now, after `item.created` and `item.updated`.
    pub item: Option<Item>,
    /// The item changed or deleted.
    pub item_id: Option<Uuid>,
}

impl Change {
    /// `kind` happened to `list`.
    pub fn list(kind: ChangeKind, list: TodoList) -> Self {
        Self {
            kind,
            list_id: list.id,
            list: Some(list),
            item: None,
            item_id: None,
        }
    }

    /// The list `list_id` was deleted.
    pub fn list_deleted(list_id: Uuid) -> Self {
        Self {
            kind: ChangeKind::ListDeleted,
            list_id,
            list: None,
            item: None,
            item_id: None,
        }
    }

    /// `kind` happened to `item`.
    pub fn item(kind: ChangeKind, item: Item) -> Self {
        Self {
            kind,
            list_id: item.list_id,
            item_id: Some(item.id),
            item: Some(item),
            list: None,
        }
    }

    /// The item `item_id` of `list_id` was deleted.
    pub fn item_deleted(list_id: Uuid, item_id: Uuid) -> Self {
        Self {
            kind: ChangeKind::ItemDeleted,
            list_id,
            item_id: Some(item_id),
            list: None,
            item: None,
        }
    }

    /// Changes were missed on `list_id`.
    pub fn resync(list_id: Uuid) -> Self {
        Self {
            kind: ChangeKind::Resync,
            list_id,
            list: None,
            item: None,
            item_id: None,
        }
    }

    /// The id of what changed: the item, or else the list.
    pub fn target(&self) -> Uuid {
        self.item_id.unwrap_or(self.list_id)
    }
}

/// What goes through a process's channel.
// A change fills the channel's slots either way (they held `(Owner, Change)` before); boxing it
// would add an allocation per change for the rare `ResyncAll`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum Message {
    /// The owner's list changed.
    Change(Owner, Change),
    /// Changes may have been missed, on any list: every subscriber reloads.
    ResyncAll,
}

/// The channel every change goes through: app state. Clones share the channel.
#[derive(Debug, Clone)]
pub struct Feed {
    changes: broadcast::Sender<Message>,
    /// Whether writes publish their changes themselves (SQLite), rather than a listener.
    local: bool,
}

impl Default for Feed {
    fn default() -> Self {
        Self::local()
    }
}

impl Feed {
    /// A feed of this process's writes, which publish their changes themselves.
    pub fn local() -> Self {
        Self {
            changes: broadcast::channel(CAPACITY).0,
            local: true,
        }
    }

    /// A feed of every instance's writes, filled by a [`listener`]: [`publish`](Self::publish)
    /// does nothing.
    pub fn across_instances() -> Self {
        Self {
            local: false,
            ..Self::local()
        }
    }

    /// After a write committed: tells the subscribers of the change's list, on a local feed
    /// (nobody listening is fine). On a feed across instances, the change is already on its
    /// way through PostgreSQL, and this does nothing.
    pub fn publish(&self, owner: Owner, change: Change) {
        if self.local {
            self.forward(owner, change);
        }
    }

    /// Tells the subscribers of the change's list.
    fn forward(&self, owner: Owner, change: Change) {
        let _ = self.changes.send(Message::Change(owner, change));
    }

    /// Tells every subscriber that changes may have been missed.
    fn resync_all(&self) {
        let _ = self.changes.send(Message::ResyncAll);
    }

    /// The changes the owner's list `list_id` will go through, from now on, as events named
    /// after their kind. Subscribe before reading the list, so that nothing falls between.
    pub fn subscribe(
        &self,
        owner: Owner,
        list_id: Uuid,
    ) -> impl oxapi::futures::Stream<Item = Change> + Send + 'static {
        let receiver = self.changes.subscribe();
        oxapi::futures::stream::unfold(Some(receiver), move |receiver| async move {
            let mut receiver = receiver?;
            loop {
                match receiver.recv().await {
                    Ok(Message::Change(from, change))
                        if from == owner && change.list_id == list_id =>
                    {
                        // A deleted list has nothing more to say: the stream ends after it.
                        let last = change.kind == ChangeKind::ListDeleted;
                        return Some((change, (!last).then_some(receiver)));
                    }
                    Ok(Message::Change(..)) => {}
                    Ok(Message::ResyncAll) | Err(broadcast::error::RecvError::Lagged(_)) => {
                        return Some((Change::resync(list_id), Some(receiver)));
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
    }
}

/// A change as PostgreSQL carries it between instances.
#[derive(Debug, Serialize, Deserialize)]
struct Notification {
    /// Whose list changed.
    owner: Uuid,
    /// The change; without its row when `partial`.
    change: Change,
    /// Whether the row was left out (the whole change did not fit): the receiver reads it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    partial: bool,
}

/// The payload announcing `change` to the owner's subscribers on every instance: the change
/// itself if its JSON fits in `limit` bytes, else its kind and ids only (a title may be long
/// enough, once escaped, to pass PostgreSQL's 8000 bytes).
pub fn notification(owner: Owner, change: &Change, limit: usize) -> String {
    let whole = Notification {
        owner: owner.0,
        change: change.clone(),
        partial: false,
    };
    // Serializing our own types cannot fail; an empty payload would be dropped by the reader.
    let text = serde_json::to_string(&whole).unwrap_or_default();
    if text.len() <= limit {
        return text;
    }
    let slim = Notification {
        change: Change {
            list: None,
            item: None,
            ..whole.change
        },
        partial: true,
        ..whole
    };
    serde_json::to_string(&slim).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use oxapi::types::Timestamp;

    use super::*;

    fn item(title: &str) -> Item {
        Item {
            id: Uuid::now_v7(),
            list_id: Uuid::now_v7(),
            title: title.to_owned(),
            done: false,
            version: 1,
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
        }
    }

    fn read(payload: &str) -> Notification {
        serde_json::from_str(payload).unwrap()
    }

    #[test]
    fn a_change_that_fits_is_sent_whole() {
        let owner = Owner(Uuid::now_v7());
        let change = Change::item(ChangeKind::ItemCreated, item("milk"));
        let sent = read(&notification(owner, &change, MAX_NOTIFICATION));
        assert!(!sent.partial);
        assert_eq!(sent.owner, owner.0);
        assert_eq!(
            sent.change.item.map(|item| item.title),
            Some("milk".to_owned())
        );
    }

    #[test]
    fn a_change_too_long_is_sent_as_its_kind_and_ids() {
        let owner = Owner(Uuid::now_v7());
        // Control characters are escaped six bytes each: 500 of them pass 3000 bytes.
        let change = Change::item(ChangeKind::ItemUpdated, item(&"\u{1}".repeat(500)));
        let whole = notification(owner, &change, MAX_NOTIFICATION);
        assert!(!read(&whole).partial);
        let payload = notification(owner, &change, 1000);
        assert!(payload.len() < 1000, "{payload}");
        let sent = read(&payload);
        assert!(sent.partial);
        assert_eq!(sent.change.kind, ChangeKind::ItemUpdated);
        assert_eq!(sent.change.list_id, change.list_id);
        assert_eq!(sent.change.item_id, change.item_id);
        assert!(sent.change.item.is_none());
    }
}
