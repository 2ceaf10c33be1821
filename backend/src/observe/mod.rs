//! What the server tells its operators: Prometheus metrics (`metrics`) and log lines
//! (`telemetry`). Named apart from the `metrics` crate it builds on.

pub mod metrics;
pub mod telemetry;
