//! Connectors: the stores and services that implement the domain traits.

pub mod local;
