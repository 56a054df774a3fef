//! `skiff`: the desktop app (no arguments) or the command line (a subcommand).

// Windows: no console window behind the desktop app; the CLI attaches to its terminal.
#![cfg_attr(windows, windows_subsystem = "windows")]

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    #[cfg(windows)]
    windows_console::attach_to_parent();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    skiff::cli::run(skiff::cli::Cli::parse())
}

/// A GUI-subsystem program starts without a console; started from a terminal, the CLI's
/// output must still reach it. Double-clicked, there is no parent console and this does
/// nothing.
#[cfg(windows)]
#[allow(unsafe_code)]
mod windows_console {
    use windows_sys::Win32::System::Console::{ATTACH_PARENT_PROCESS, AttachConsole};

    pub fn attach_to_parent() {
        // SAFETY: AttachConsole takes a process id by value and touches no Rust memory;
        // failure (no parent console) is reported by its return value, which is fine to ignore.
        unsafe {
            AttachConsole(ATTACH_PARENT_PROCESS);
        }
    }
}
