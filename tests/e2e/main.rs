//! End-to-end tests: real servers on 127.0.0.1, real HTTP/1.1 and HTTP/2 clients.
//!
//! One binary for all of them, to link once.

// Tests may unwrap: a panic is a failure with a message.
#![allow(clippy::unwrap_used)]

mod background;
mod bad_input;
mod bookshop;
mod connection;
mod contract;
mod drain;
mod error_handling;
mod errors;
mod every_error;
mod external;
mod extract;
mod extractor_kind;
mod files;
mod head_models;
mod health;
mod hello;
mod http2_limits;
mod jwt;
mod lifespan;
mod limits;
mod load;
mod metrics;
mod middleware;
mod openapi;
mod param_rules;
mod pool;
mod process;
mod proxy;
mod redirect;
mod responses;
mod routers;
mod security;
mod stall;
mod streaming;
mod tls;
mod todo;
mod uploads;
mod websocket;
mod workers;
mod zoo;
