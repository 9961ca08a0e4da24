//! Docs pages.
