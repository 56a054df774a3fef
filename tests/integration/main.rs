//! The integration tests that may share one process: the CLI, the library and the engine
//! against real servers on loopback (vsftpd, pure-ftpd, proftpd, in-process libunftp),
//! against the scripted servers, and the listing conformance suite. One binary rather than
//! one per file, so a build links it once. Each test has its own server, ports (a
//! process-wide registry, `common::free_port_range`), temporary folders and config folder
//! (set per spawned `skiff`, never process-wide), so they run side by side on the test
//! harness's threads.
//!
//! The window's tests are `tests/gui` (they need the `gui` feature); the tests that measure
//! the whole process (its memory, its file descriptors) are `tests/process_wide`.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

// The harnesses: shared with tests/gui and benches/gui_frames.rs (common), or this
// binary's own.
#[path = "../common/mod.rs"]
mod common;
mod cut_proxy;
mod scripted;
mod skiff_cmd;

mod charsets;
mod cli_engine;
mod cli_errors;
mod cli_find;
mod cli_interrupt;
mod cli_options;
mod cli_recursive;
mod cli_servers;
mod cli_sites;
mod cli_sync;
mod conformance;
mod custom_commands;
mod diagnose;
mod engine_browse;
mod engine_cancel;
mod engine_control;
mod engine_filter_rules;
mod engine_hostile;
mod engine_loop;
mod engine_persist;
mod engine_policies;
mod engine_restore_logon;
mod engine_retry;
mod engine_search;
mod engine_transfer_mode;
mod ftps;
mod ftps_scripted;
mod harness_smoke;
mod hostile_listings;
mod hostile_real;
mod hostile_round_two;
mod ipv6;
mod keyring;
mod listing_caps;
mod net_hostile;
mod net_scripted;
mod net_servers;
mod sftp;
