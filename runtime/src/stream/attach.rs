//! How a streamed body learns what only the app knows: its shutdown signal and its blocking
//! pool. The body's response carries a [`Slot`] in its extensions; `respond` (the generated
//! handler's last step) fills it, and the body reads it on its first poll. A response without
//! a slot pays one check of its (usually empty) extensions.

use crate::stall::RouteId;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use crate::context::{RequestContext, Resources};
use crate::lifespan::LifespanHandle;
use crate::response::Response;

type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What the app gives a streamed body.
pub(crate) struct Attached {
    pub(crate) shutdown: Option<Shutdown>,
    pub(crate) resources: Arc<Resources>,
    /// The route, for the stall detector to name when the body's stream blocks.
    pub(crate) stall: RouteId,
}

/// Where `respond` leaves [`Attached`] for the body; shared by the response's extensions and
/// the body (and an iterator's stream, for the pool).
#[derive(Clone, Default)]
pub(crate) struct Slot(Arc<Mutex<Option<Attached>>>);

impl Slot {
    /// Takes the app's shutdown signal, if `respond` left one, and the route's stall id.
    fn take_shutdown(&self) -> (Option<Shutdown>, RouteId) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
            .map_or((None, 0), |attached| {
                (attached.shutdown.take(), attached.stall)
            })
    }

    /// The app's resources (its blocking pool), if `respond` left them.
    pub(crate) fn resources(&self) -> Option<Arc<Resources>> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|attached| Arc::clone(&attached.resources))
    }
}

/// A body's view of its slot.
pub(crate) enum Attachment {
    /// Not polled yet.
    Unread(Slot),
    /// Ends when this completes.
    Armed(Shutdown),
    /// Served outside an app's handler (or shutdown already ended it): never ends early.
    Detached,
}

impl Attachment {
    /// Whether shutdown has begun; registers `cx` to be woken when it does. On the first
    /// call, sets `stall` to the route's stall id.
    pub(crate) fn shutdown_began(&mut self, cx: &mut Context<'_>, stall: &mut RouteId) -> bool {
        if let Self::Unread(slot) = self {
            let (shutdown, route) = slot.take_shutdown();
            *stall = route;
            *self = match shutdown {
                Some(shutdown) => Self::Armed(shutdown),
                None => Self::Detached,
            };
        }
        match self {
            Self::Armed(shutdown) => match shutdown.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    *self = Self::Detached;
                    true
                }
                Poll::Pending => false,
            },
            _ => false,
        }
    }
}

/// Fills the slot of a streamed response with the app's shutdown signal and resources. Out of
/// line: only streamed responses come here.
#[cold]
#[inline(never)]
pub(crate) fn attach(ctx: &RequestContext<'_>, response: &mut Response) {
    let Some(slot) = response.extensions_mut().remove::<Slot>() else {
        return;
    };
    let shutdown = ctx
        .state::<LifespanHandle>()
        .map(|lifespan| Box::pin(lifespan.shutdown_signal()) as Shutdown);
    *slot.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(Attached {
        shutdown,
        resources: ctx.resources_arc(),
        stall: ctx.stall(),
    });
}

/// Whether `response` is a streamed one waiting for [`attach`]: one branch on an empty
/// extension map for every other response.
#[inline(always)]
pub(crate) fn wants_attachment(response: &Response) -> bool {
    response.extensions().get::<Slot>().is_some()
}
