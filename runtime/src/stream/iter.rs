//! A blocking iterator as a stream: each `next()` is one job on the app's blocking pool.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::{FutureExt, Stream};

use super::attach::Slot;
use crate::body::BoxError;

type Next<I, T> = Pin<Box<dyn Future<Output = Result<(Box<I>, Option<T>), BoxError>> + Send>>;

/// Asks for the next item only when polled, so the iterator never runs ahead of the client
/// and no thread waits on a slow one: between items the iterator sits here, idle. A stream
/// dropped while a `next()` runs drops the iterator on the pool thread when it returns; no
/// further `next()` is called.
pub(crate) struct IterStream<I: Iterator> {
    state: State<I>,
    /// Where the app's pool comes from; `tokio::task::spawn_blocking` serves a response
    /// made outside a handler.
    slot: Slot,
}

enum State<I: Iterator> {
    Idle(Box<I>),
    Running(Next<I, I::Item>),
    Done,
}

impl<I> IterStream<I>
where
    I: Iterator + Send + 'static,
    I::Item: Send + 'static,
{
    pub(crate) fn new(iter: I, slot: Slot) -> Self {
        Self {
            state: State::Idle(Box::new(iter)),
            slot,
        }
    }

    fn next_on_pool(&self, mut iter: Box<I>) -> Next<I, I::Item> {
        let next = move || {
            let item = iter.next();
            (iter, item)
        };
        match self.slot.resources() {
            Some(resources) => Box::pin(
                resources
                    .pool
                    .call(next)
                    .map(|outcome| outcome.map_err(|error| error.to_string().into())),
            ),
            None => Box::pin(
                tokio::task::spawn_blocking(next).map(|outcome| outcome.map_err(Into::into)),
            ),
        }
    }
}

impl<I, T> Stream for IterStream<I>
where
    I: Iterator<Item = Result<T, BoxError>> + Send + 'static,
    T: Send + 'static,
{
    type Item = Result<T, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match std::mem::replace(&mut this.state, State::Done) {
                State::Idle(iter) => this.state = State::Running(this.next_on_pool(iter)),
                State::Running(mut next) => {
                    let Poll::Ready(outcome) = next.as_mut().poll(cx) else {
                        this.state = State::Running(next);
                        return Poll::Pending;
                    };
                    return Poll::Ready(match outcome {
                        Ok((iter, Some(item))) => {
                            this.state = State::Idle(iter);
                            Some(item)
                        }
                        Ok((_, None)) => None,
                        Err(error) => Some(Err(error)),
                    });
                }
                State::Done => return Poll::Ready(None),
            }
        }
    }
}
