//! Skiff: a desktop FTP/FTPS client and its headless command line.
pub mod proto;
pub mod secret;
