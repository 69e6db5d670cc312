//! The raidbot binary's wiring, as a library so end-to-end tests start exactly what
//! `raidbot up` starts.

pub mod apikey;
pub mod app;
pub mod backup;
pub mod bench;
pub mod config;
pub mod healthcheck;
pub mod import;
pub mod sandbox;
