//! Changes to lists as they happen, for `GET /v1/lists/{list_id}/events`.
//!
//! One in-process broadcast channel: a write publishes its change once, and each subscriber
//! keeps those of the list it watches. A subscriber that falls more than [`CAPACITY`] changes
//! behind is told to reload (a `resync` change) instead of slowing the writers down. Changes
//! made by another instance of the service are not seen here.

use oxapi::prelude::*;
use oxapi::tokio::sync::broadcast;
use oxapi::types::Uuid;

use crate::model::{Item, TodoList};
use crate::repo::Owner;

/// How many changes a subscriber may be behind before it is told to reload.
pub const CAPACITY: usize = 1024;

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
    fn resync(list_id: Uuid) -> Self {
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

/// The channel every change goes through: app state.
#[derive(Debug)]
pub struct Feed {
    changes: broadcast::Sender<(Owner, Change)>,
}

impl Default for Feed {
    fn default() -> Self {
        Self {
            changes: broadcast::channel(CAPACITY).0,
        }
    }
}

impl Feed {
    /// Tells the subscribers of the change's list; nobody listening is fine.
    pub fn publish(&self, owner: Owner, change: Change) {
        let _ = self.changes.send((owner, change));
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
                    Ok((from, change)) if from == owner && change.list_id == list_id => {
                        // A deleted list has nothing more to say: the stream ends after it.
                        let last = change.kind == ChangeKind::ListDeleted;
                        return Some((change, (!last).then_some(receiver)));
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        return Some((Change::resync(list_id), Some(receiver)));
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
    }
}
