//! Every field of the JSON record, DESIGN.md §2. Written out here, not taken
//! from the encoder, so that a field the encoder drops fails the tests.
//! Shared by the integration tests and the fuzz targets (`#[path]`).

pub const FIELDS: [&str; 21] = [
    "source",
    "line",
    "format",
    "namespace",
    "pod",
    "container",
    "container_id",
    "init",
    "state",
    "exit_code",
    "raw_exit_code",
    "signal",
    "signal_name",
    "class",
    "reason",
    "message",
    "restart_count",
    "started_at",
    "finished_at",
    "repeat",
    "cause",
];
