//! exitscan reads what container platforms print when a container dies —
//! `kubectl describe pod` text, CRI and docker log files, kubelet, containerd,
//! CRI-O, systemd and kernel lines, `docker ps/inspect/events`, pod JSON —
//! finds every exit code, explains why the container died, and counts it for
//! Prometheus.
//!
//! The pipeline runs one way:
//!
//! ```text
//! sources ─▶ scan (big reads, literal prefilter, framing, parsers) ─▶ Item
//!         ─▶ pipeline (evidence context, cause, dedupe) ─▶ sinks (text/json/passthrough, metrics)
//! ```
//!
//! [`scan::Scanner`] turns bytes into [`parse::Item`]s (records and evidence)
//! without looking at lines that cannot hold a termination; [`pipeline::Pipeline`]
//! explains ([`enrich`]), deduplicates ([`dedupe`]) and writes ([`sink`],
//! [`metrics`]) them in order.

pub mod app;
pub mod cli;
pub mod code;
pub mod dedupe;
pub mod enrich;
pub mod explain;
pub mod frame;
pub mod kb;
pub mod metrics;
pub mod parse;
pub mod pipeline;
pub mod progress;
pub mod record;
pub mod scan;
pub mod server;
pub mod sink;
pub mod watch;

pub use code::{ExitClass, RawCode, Signal};
pub use record::{Format, Record, State};
