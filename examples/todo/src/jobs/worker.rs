//! The worker that makes webhook deliveries: one per instance, an apalis worker on the
//! database's queue, started by the database's lifespan and stopped at its shutdown.
//!
//! Stopping, in order: the stop flag is raised, which ends a retry's backoff early, and the
//! retry's next attempt gives the job back instead of running (`GiveBack`: it fails with
//! [`DeliveryError::Released`], which is not retried, so the job is left `Failed` with its
//! attempts so far and another worker takes it); apalis stops fetching, gives back the jobs it
//! fetched and had not started, and waits for the call in flight, which `--webhook-timeout`
//! bounds. If that still takes too long the task is dropped; the job it held goes to another
//! instance once this worker's heartbeats stop.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use apalis::layers::retry::HasherRng;
use apalis::layers::retry::backoff::{
    Backoff, ExponentialBackoff, ExponentialBackoffMaker, MakeBackoff,
};
use apalis::prelude::*;
use oxapi::futures::future::BoxFuture;
use oxapi::tokio;
use oxapi::tokio::sync::watch;
use oxapi::tokio::task::JoinHandle;

use super::{Delivery, JobsConfig};

/// Jobs a worker fetches at once: few, so that a busy instance does not hold jobs an idle one
/// could run.
const BATCH: usize = 4;

/// The longest wait between two attempts, whatever the backoff doubles to.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// How long a worker that stopped on an error waits before starting again.
const RESTART_DELAY: Duration = Duration::from_secs(1);

/// Where a worker takes its jobs from: the repository's pool.
#[derive(Debug, Clone)]
pub enum JobStore {
    /// `apalis.jobs`, through apalis-postgres.
    Postgres(sqlx::PgPool),
    /// The `Jobs` table, through apalis-sqlite.
    Sqlite(sqlx::SqlitePool),
}

/// Why one delivery attempt failed.
#[derive(Debug)]
pub enum DeliveryError {
    /// The webhook could not be reached, or did not answer in time.
    Send(reqwest::Error),
    /// It answered with a status that is not 2xx.
    Status(u16),
    /// The worker is stopping: the job is given back, not tried.
    Released,
}

impl fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Send(error) if error.is_timeout() => {
                f.write_str("the webhook did not answer in time")
            }
            Self::Send(_) => f.write_str("the webhook could not be reached"),
            Self::Status(status) => write!(f, "the webhook answered {status}"),
            Self::Released => f.write_str("the worker is stopping: the job is given back"),
        }
    }
}

impl std::error::Error for DeliveryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Send(error) => Some(error),
            Self::Status(_) | Self::Released => None,
        }
    }
}

/// What the delivery function needs: the HTTP client and where to post.
#[derive(Debug, Clone)]
struct Webhook {
    client: reqwest::Client,
    url: String,
}

/// Makes one attempt at `delivery`.
async fn deliver(delivery: Delivery, webhook: Data<Arc<Webhook>>) -> Result<(), DeliveryError> {
    let answer = webhook
        .client
        .post(&webhook.url)
        .header("idempotency-key", delivery.id.to_string())
        .json(&delivery)
        .send()
        .await
        .map_err(DeliveryError::Send)?;
    let status = answer.status();
    if status.is_success() {
        tracing::debug!(delivery = %delivery.id, "webhook delivered");
        Ok(())
    } else {
        Err(DeliveryError::Status(status.as_u16()))
    }
}

/// Whether a failed attempt is retried here: every failure but a job given back at shutdown.
fn retried(error: &BoxDynError) -> bool {
    !matches!(
        error.downcast_ref::<DeliveryError>(),
        Some(DeliveryError::Released)
    )
}

/// tower's exponential backoff, cut short when the worker stops, so a job waiting out its
/// backoff does not hold shutdown (its next attempt then gives it back).
#[derive(Debug, Clone)]
struct StopAwareBackoff {
    inner: ExponentialBackoff<HasherRng>,
    stopping: watch::Receiver<bool>,
}

impl Backoff for StopAwareBackoff {
    type Future = BoxFuture<'static, ()>;

    fn next_backoff(&mut self) -> Self::Future {
        let wait = self.inner.next_backoff();
        let mut stopping = self.stopping.clone();
        Box::pin(async move {
            tokio::select! {
                () = wait => {}
                _ = stopping.wait_for(|stopping| *stopping) => {}
            }
        })
    }
}

/// Between the retry layer and apalis's task lifecycle: once the worker stops, an attempt
/// fails at once with [`DeliveryError::Released`] instead of reaching the lifecycle.
///
/// Needed because apalis's lifecycle service is never ready again once its worker is shutting
/// down, while tower's retry, after a backoff, waits for it to be ready before its next
/// attempt: a job in its backoff at shutdown would hold the worker's stop for ever.
#[derive(Debug, Clone)]
struct GiveBackLayer {
    stopping: watch::Receiver<bool>,
}

impl<S> Layer<S> for GiveBackLayer {
    type Service = GiveBack<S>;

    fn layer(&self, inner: S) -> GiveBack<S> {
        GiveBack {
            inner,
            stopping: self.stopping.clone(),
        }
    }
}

/// The service of [`GiveBackLayer`].
#[derive(Debug, Clone)]
struct GiveBack<S> {
    inner: S,
    stopping: watch::Receiver<bool>,
}

impl<S, Request> Service<Request> for GiveBack<S>
where
    S: Service<Request, Error = BoxDynError>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxDynError;
    type Future = BoxFuture<'static, Result<S::Response, BoxDynError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxDynError>> {
        if *self.stopping.borrow() {
            Poll::Ready(Ok(()))
        } else {
            self.inner.poll_ready(cx)
        }
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if *self.stopping.borrow() {
            Box::pin(async { Err(Box::new(DeliveryError::Released) as BoxDynError) })
        } else {
            Box::pin(self.inner.call(request))
        }
    }
}

/// A running worker: stop it with [`RunningWorker::stop`].
#[derive(Debug)]
pub struct RunningWorker {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    grace: Duration,
}

impl RunningWorker {
    /// Stops taking jobs, gives back those not started, and waits for the call in flight
    /// (bounded: past the webhook's timeout and a margin, the task is dropped).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(self.grace, &mut task).await.is_err() {
            tracing::warn!(
                "the webhook worker did not stop in time; its jobs go to another instance"
            );
            task.abort();
        }
    }
}

/// Starts this instance's worker on `store`, delivering to `config.webhook_url`; `None` when
/// no webhook is configured.
///
/// # Errors
///
/// If the HTTP client cannot be built, or the backoff settings are out of range.
pub fn start(store: JobStore, config: &JobsConfig) -> Result<Option<RunningWorker>, String> {
    let Some(url) = config.webhook_url.clone() else {
        return Ok(None);
    };
    // reqwest runs on rustls with the ring provider oxapi's TLS uses; installing it twice is
    // refused, harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(config.timeout)
        .connect_timeout(config.timeout)
        .user_agent(concat!("oxapi-todo/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| format!("cannot build the webhook's HTTP client: {error}"))?;
    let max_backoff = MAX_BACKOFF.max(config.backoff);
    let backoff =
        ExponentialBackoffMaker::new(config.backoff, max_backoff, 0.1, HasherRng::default())
            .map_err(|error| format!("bad webhook backoff: {error}"))?
            .make_backoff();
    let (stop, stopping) = watch::channel(false);
    let webhook = Arc::new(Webhook { client, url });
    let settings = Settings {
        webhook,
        give_back: GiveBackLayer {
            stopping: stopping.clone(),
        },
        backoff: StopAwareBackoff {
            inner: backoff,
            stopping: stopping.clone(),
        },
        // apalis counts the first call as attempt 1: `retries` more after it.
        retries: config.max_attempts.saturating_sub(1) as usize,
        queue: config.queue.clone(),
        missed_heartbeats: config.missed_heartbeats() as usize,
        heartbeat: config.heartbeat,
        poll: config.poll,
    };
    let task = tokio::spawn(supervise(store, settings, stopping));
    Ok(Some(RunningWorker {
        stop,
        task,
        grace: config.timeout + Duration::from_secs(5),
    }))
}

/// A worker's settings, cloned for each (re)start.
#[derive(Debug, Clone)]
struct Settings {
    webhook: Arc<Webhook>,
    give_back: GiveBackLayer,
    backoff: StopAwareBackoff,
    retries: usize,
    queue: String,
    heartbeat: Duration,
    missed_heartbeats: usize,
    poll: Duration,
}

/// Runs workers until the stop flag is raised: one that ends on an error (a lost database
/// connection makes apalis's worker give up) is started again, under a new name, after a
/// short delay.
async fn supervise(store: JobStore, settings: Settings, mut stopping: watch::Receiver<bool>) {
    loop {
        let name = format!(
            "todo-{}-{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        );
        let result = run(&store, &settings, &name, stopping.clone()).await;
        if *stopping.borrow() {
            return;
        }
        match result {
            Ok(()) => tracing::warn!(
                worker = name,
                "the webhook worker stopped; starting another"
            ),
            Err(error) => {
                tracing::error!(worker = name, %error, "the webhook worker failed; starting another")
            }
        }
        tokio::select! {
            () = tokio::time::sleep(RESTART_DELAY) => {}
            _ = stopping.wait_for(|stopping| *stopping) => return,
        }
    }
}

/// Builds and runs one worker named `name` until `stopping` turns true.
async fn run(
    store: &JobStore,
    settings: &Settings,
    name: &str,
    stopping: watch::Receiver<bool>,
) -> Result<(), WorkerError> {
    let signal = {
        let mut stopping = stopping;
        async move {
            let _ = stopping.wait_for(|stopping| *stopping).await;
            Ok::<(), WorkerError>(())
        }
    };
    let policy = RetryPolicy::retries(settings.retries)
        .with_backoff(settings.backoff.clone())
        .retry_if(retried);
    // The same worker on either storage: only the backend differs.
    macro_rules! worker {
        ($backend:expr) => {
            WorkerBuilder::new(name)
                .backend($backend)
                .data(Arc::clone(&settings.webhook))
                .retry(policy)
                // Added last: the innermost layer, under the retry.
                .layer(settings.give_back.clone())
                .build(deliver)
                .run_until(signal)
                .await
        };
    }
    match store {
        JobStore::Postgres(pool) => {
            let config = apalis_postgres::Config::default()
                .queue(&settings.queue)
                .batch_size(BATCH)
                .heartbeat_interval(settings.heartbeat)
                .missed_heartbeats(settings.missed_heartbeats);
            // Woken by apalis's insert trigger (LISTEN/NOTIFY) as soon as a job commits, and
            // by the interval for jobs no insert announces: retries and orphans given back.
            let strategy = Strategy::new()
                .stream(apalis_postgres::Pubsub::new(
                    pool.clone(),
                    settings.queue.clone(),
                ))
                .interval(settings.poll);
            let backend = apalis_postgres::PostgresStorage::<Delivery>::new(pool)
                .with_config(config)
                .poll_with_strategy(strategy);
            worker!(backend)
        }
        JobStore::Sqlite(pool) => {
            let config = apalis_sqlite::Config::default()
                .queue(&settings.queue)
                .batch_size(BATCH)
                .heartbeat_interval(settings.heartbeat)
                .missed_heartbeats(settings.missed_heartbeats);
            let backend = apalis_sqlite::SqliteStorage::<Delivery>::new(pool)
                .with_config(config)
                .poll_with_strategy(Strategy::new().interval(settings.poll));
            worker!(backend)
        }
    }
}
