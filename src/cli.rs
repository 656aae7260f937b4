//! Command-line definitions (clap). Only definitions live here; `main.rs` and
//! [`crate::app`] turn them into a validated run.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "exitscan",
    version,
    about = "Find every container exit code in what Kubernetes, containerd, CRI-O, docker, kubelet, systemd and the kernel print, explain why each container died, and count them for Prometheus.",
    long_about = None,
    args_conflicts_with_subcommands = true,
    after_help = "\
Inputs are auto-detected and may be mixed in one stream: kubectl describe pod text, \
CRI (containerd/CRI-O) and docker json-file log files, kubelet/containerd/CRI-O journal lines, \
docker ps/inspect/events, kubectl get pods tables, pod JSON/YAML, crictl inspect, systemd and \
supervisord logs, kernel OOM-killer lines; kubectl describe of other kinds (Tekton TaskRuns); \
job and platform messages (Argo, Tekton, Spark, Airflow, Jenkins, GitLab, ECS, AWS Batch, Azure \
Container Instances, Nomad, docker swarm, Heroku, Render, Fly); log records exported as JSON \
(journalctl -o json, gcloud logging read). The README lists each format. Gzip (kubelet's \
rotated 0.log.<time>.gz) is decompressed, UTF-16 with a byte order mark read as UTF-8.

Examples:
  kubectl describe pod web-7f9c | exitscan
  exitscan --output json /var/log/pods/*/*/*.log
  exitscan explain 137
  exitscan explain SIGSEGV
  exitscan --listen 127.0.0.1:9839 describe.txt     # scan, then serve /metrics until SIGTERM

Exit status: 0 when a termination was found, 1 when none was, 2 on error \
(an unreadable file is named on stderr and the others are still scanned)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Explain an exit code, signal, NTSTATUS value or termination reason.
    ///
    /// WHAT is an exit code as printed (137, -1, 3221225477, 0xC0000005), a
    /// signal (SIGSEGV, KILL), an NTSTATUS name (STATUS_ACCESS_VIOLATION) or a
    /// reason (OOMKilled, StartError).
    #[command(allow_negative_numbers = true)]
    Explain {
        what: String,
        #[arg(long, short, value_enum, default_value_t = OutputArg::Text)]
        output: OutputArg,
        #[arg(long, value_enum, default_value_t = LangArg::En)]
        lang: LangArg,
        /// A knowledge-base file that extends or overrides the built-in one.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Follow files, directories and globs, run commands, and count terminations
    /// continuously (sidecar, DaemonSet, cluster poller).
    Watch(Box<WatchArgs>),
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputArg {
    /// One readable line per termination and a summary by class.
    Text,
    /// One JSON object per termination (the record of DESIGN.md §2).
    Json,
    /// Every input line unchanged, each record's JSON on a line after the line that completed it.
    Passthrough,
    /// Nothing on stdout (with --listen or --metrics-file).
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    En,
    Zh,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files to scan; standard input when none is given or for `-`.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub common: CommonArgs,
}

/// Options shared by one-shot scans and `watch`.
#[derive(Debug, Args, Clone)]
pub struct CommonArgs {
    /// How to print what was found.
    #[arg(long, short, value_enum, default_value_t = OutputArg::Text)]
    pub output: OutputArg,

    /// Language of the explanations.
    #[arg(long, value_enum, default_value_t = LangArg::En)]
    pub lang: LangArg,

    /// A knowledge-base file (same schema as config/*.toml) that extends or overrides the built-in one.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Read every line as this format instead of detecting it:
    /// cri, docker-json, describe, kubelet, containerd, crio, docker, systemd,
    /// supervisord, pod-json, getpods, kernel, orchestrator.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,

    /// Lines longer than this are cut (and the cut counted); a line of
    /// compact JSON (a pod list from the API) is read in pieces instead.
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20)]
    pub max_line_bytes: usize,

    /// How many recent terminations to remember for telling repeats apart.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub dedupe_size: usize,

    /// Serve GET /metrics and /healthz on this address (e.g. 0.0.0.0:13137).
    /// A one-shot scan keeps serving after its input ends, until SIGTERM/SIGINT.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,

    /// Write Prometheus metrics to this node_exporter textfile (atomically) at the end,
    /// and every --metrics-interval while serving or watching.
    #[arg(long, value_name = "PATH")]
    pub metrics_file: Option<PathBuf>,

    /// How often the metrics file is rewritten while serving or watching.
    #[arg(long, value_name = "DURATION", default_value = "15s")]
    pub metrics_interval: String,

    /// Extra labels on exitscan_container_exits_total (comma-separated: namespace,pod,container).
    #[arg(long, value_name = "LABELS", value_delimiter = ',')]
    pub metric_labels: Vec<String>,

    /// Cap on exits series with extra labels; past it, values fold into "other".
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub max_series: usize,

    /// No progress or status lines on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `exitscan watch`: follow files, run commands, count continuously.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Files, directories (followed recursively; new files are picked up) or
    /// globs such as '/var/log/pods/**/*.log'. Quote globs so the shell leaves them alone.
    #[arg(value_name = "PATH|GLOB")]
    pub paths: Vec<String>,

    /// A long-running command whose stdout is a stream to scan
    /// (e.g. 'journalctl -f -u kubelet -u containerd -o short-iso');
    /// restarted with backoff when it exits. Repeatable.
    #[arg(long, value_name = "CMD")]
    pub exec: Vec<String>,

    /// A command printing a snapshot (e.g. 'kubectl get pods -A -o json'), run every
    /// --every; repeated snapshots count each termination once. Repeatable.
    #[arg(long, value_name = "CMD")]
    pub poll: Vec<String>,

    /// How often --poll commands run.
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub every: String,

    /// Keep file offsets and the dedupe memory here, so a restart resumes where it
    /// stopped: nothing lost, nothing counted twice.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    /// How often the checkpoint in --state-dir is written (also on shutdown).
    #[arg(long, value_name = "DURATION", default_value = "5s")]
    pub checkpoint_interval: String,

    /// Read files that exist at the first start from their beginning
    /// (default: from their end; files appearing later are always read whole).
    #[arg(long)]
    pub from_start: bool,

    /// How often files are checked when no inotify event came, and globs re-expanded.
    #[arg(long, value_name = "DURATION", default_value = "1s")]
    pub poll_interval: String,

    #[command(flatten)]
    pub common: CommonArgs,
}
