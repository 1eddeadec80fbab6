//! churnlab: a customer-churn pipeline that runs natively and in the browser.
//!
//! Data flows one way through one module per stage:
//! [`ingest`] → [`schema`] → [`explore`] → [`clean`] → [`split`] → [`preprocess`] →
//! [`models`] → [`metrics`] → [`report`] and [`charts`]. A [`session::Session`] holds what the
//! user loaded and trained: it runs the stages once ([`prepare`] the table, [`compare`] the
//! models), keeps each seed's
//! [`fitted::Pipeline`], and scores, generates ([`synthetic`]) and writes [`model_file`]s from
//! them. Options come in as a [`config::Config`], checked once on entry. The CLI
//! (`src/main.rs`) and the wasm facade (`src/web.rs`) only translate.

pub mod advice;
pub mod charts;
pub mod clean;
pub mod compare;
pub mod config;
pub mod explain;
pub mod explore;
pub mod fitted;
pub mod ingest;
pub mod jobs;
pub mod leakage;
pub mod lesson;
pub mod marketing;
pub mod matrix;
pub mod merges;
pub mod metrics;
pub mod model_file;
pub mod models;
pub mod prepare;
pub mod preprocess;
pub mod privacy;
pub mod report;
pub mod rng;
pub mod sample;
pub mod schema;
pub mod session;
pub mod split;
pub mod stages;
pub mod synthetic;
#[cfg(target_arch = "wasm32")]
pub mod web;

use std::fmt;
use std::time::Duration;

/// Time since an arbitrary fixed start on a monotonic clock, natively and in wasm (where
/// `web_time` reads `performance.now()`; `std::time::Instant` is unavailable there).
pub fn now() -> Duration {
    static START: std::sync::OnceLock<web_time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(web_time::Instant::now).elapsed()
}

/// Runs a future to completion on this thread: the synchronous face of the async pipeline.
/// Natively the thread sleeps until the future is woken (a GPU read); in wasm nothing may
/// block, so there it is only for futures that are ready at once (training and reads on the
/// CPU), and the page awaits the async functions instead.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    #[cfg(not(target_arch = "wasm32"))]
    {
        struct Unpark(std::thread::Thread);
        impl std::task::Wake for Unpark {
            fn wake(self: std::sync::Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
                return v;
            }
            std::thread::park();
        }
    }
    #[cfg(target_arch = "wasm32")]
    {
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("block_on in wasm needs a ready future: await the async API"),
        }
    }
}

/// What went wrong, in one line meant for the person who gave the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The table itself cannot be used as it is.
    Input,
    /// An option names something that does not exist or is out of range.
    Config,
}

impl Error {
    pub fn input(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Input,
            message: message.into(),
        }
    }

    pub fn config(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Config,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
