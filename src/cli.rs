//! The command line, as the user types it (clap), and the parsing of its
//! list and size values. Resolving these into a plan happens once, in
//! [`crate::plan`], so the rest of the code never re-reads the command line.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "pingpong",
    version,
    about = "Threads or processes? A ping-pong rally, timed, settles it on your machine.",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Judge every claim of the study notes from fresh measurements.
    Verdict(VerdictArgs),
    /// Time a rally between two players: latency distribution and throughput.
    Run(Box<RunArgs>),
    /// Play pong for `pingpong run --between hosts --peer` clients (loopback unless told).
    Serve(ServeArgs),
    /// Time a rally between two MPI ranks: launches `mpirun -np 2` on pingpong itself (the `mpi` feature).
    Mpi(MpiArgs),
    /// Watch ping and pong take strict turns, slowed down (for learning).
    Demo(DemoArgs),
    /// List every unit × channel combination and whether it is valid.
    List,
    /// Cost of creating and ending a thread, task or process (P12, A2, A6, A9).
    Spawn(crate::experiment::spawn_cost::SpawnArgs),
    /// Memory added per idle thread or process: RSS, PSS, USS, virtual (P9).
    Memory(crate::experiment::memory::MemoryArgs),
    /// CPU-bound work split over 1..N threads or processes: speedup, efficiency (T3, T7, P3, T8, A5).
    Scale(crate::experiment::scale::ScaleArgs),
    /// Context-switch cost: a blocking rally pinned to one CPU (A4).
    Switch(crate::experiment::switch::SwitchArgs),
    /// Reaching another unit's 1 MiB structure: in place, through a pipe, through shared memory (A3).
    Reach(crate::experiment::reach::ReachArgs),
    /// N workers adding to one total: local sums, atomic, Mutex, RwLock, channel (T10).
    Contention(crate::experiment::contention::ContentionArgs),
    /// N units blocked on I/O at once vs one after another (T6, A1).
    Overlap(crate::experiment::overlap::OverlapArgs),
    /// Latency of an interface that answers pings while heavy work runs (T4).
    Responsive(crate::experiment::responsive::ResponsiveArgs),
    /// Show faults happening, contained in sacrificial children: crash, stop, deadlock, race, isolation, zombies, pool.
    Faults(crate::faults::FaultsArgs),
    /// The same experiments in CPython (threading, _thread, multiprocessing), with and without the GIL: rally, spawn, scale, pickling, memory, faults, stop, pool, locks, connection, zombie.
    Python(crate::python::PythonArgs),
    /// Play one player (pingpong's own use: the spawn start method re-executes this).
    #[command(name = "__player", hide = true)]
    Player { wire: String },
}

impl Command {
    /// The exports a command was asked for, if it writes any (`--json`,
    /// `--csv`, `--markdown`).
    pub fn exports(&self) -> Option<&crate::export::Exports> {
        Some(match self {
            Command::Verdict(a) => &a.exports,
            Command::Run(a) => &a.exports,
            Command::Spawn(a) => &a.common.exports,
            Command::Memory(a) => &a.common.exports,
            Command::Scale(a) => &a.common.exports,
            Command::Switch(a) => &a.common.exports,
            Command::Reach(a) => &a.common.exports,
            Command::Contention(a) => &a.common.exports,
            Command::Overlap(a) => &a.common.exports,
            Command::Responsive(a) => &a.common.exports,
            Command::Faults(a) => &a.exports,
            Command::Python(a) => &a.common.exports,
            Command::Serve(_)
            | Command::Mpi(_)
            | Command::Demo(_)
            | Command::List
            | Command::Player { .. } => return None,
        })
    }
}

/// Flags users bring from hyperfine and perf, and pingpong's own name for
/// each: the tip on an unknown argument names it.
pub const FOREIGN_FLAGS: &[(&str, &str)] = &[
    (
        "--runs",
        "--reps N (repetitions of each combination; hyperfine's --runs)",
    ),
    ("--min-runs", "--reps N (repetitions of each combination)"),
    ("--max-runs", "--reps N (repetitions of each combination)"),
    (
        "--repeat",
        "--reps N (repetitions of each combination; perf stat's --repeat)",
    ),
    ("--iterations", "--rounds N (round trips per repetition)"),
    (
        "--loops",
        "--rounds N (round trips per repetition; perf bench's --loop)",
    ),
    (
        "--loop",
        "--rounds N (round trips per repetition; perf bench's --loop)",
    ),
    ("--cpu", "--cpus PING,PONG, or --same-cpu CPU"),
    ("--export-md", "--markdown FILE (or --export-markdown FILE)"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PatternArg {
    /// One ball in flight, returned by pong: latency.
    Rally,
    /// A window of balls one way, acknowledged once: bandwidth (like osu_bw).
    Stream,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PayloadArg {
    /// The ball's bytes as they are.
    Raw,
    /// A serde struct (seq, stamp, tag, vector) encoded with postcard.
    Struct,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum VerifyArg {
    /// Sequence number and checksum of every ball.
    All,
    /// Sequence numbers of all, checksums of one ball in 16.
    Sample,
    /// Sequence numbers only.
    Seq,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Where players live, comma-separated: threads, processes (spawn), processes-fork; or hosts (with
    /// --peer); or ranks (two MPI ranks, under `pingpong mpi` or mpirun; the `mpi` feature).
    #[arg(
        long,
        short = 'b',
        default_value = "threads,processes",
        value_name = "UNITS"
    )]
    pub between: String,

    /// How the ball travels, comma-separated: pipe, fifo, unix, unix-dgram, tcp, udp… (`pingpong list`)
    /// [default: pipe; mpi with --between ranks]
    #[arg(long, short = 'v', value_name = "CHANNELS")]
    pub via: Option<String>,

    /// Ball sizes, comma-separated, at least 4 bytes: 8, 4KiB, 1MiB…
    #[arg(long, short = 's', default_value = "64", value_name = "SIZES")]
    pub size: String,

    /// rally (latency) or stream (bandwidth).
    #[arg(long, value_enum, default_value_t = PatternArg::Rally)]
    pub pattern: PatternArg,

    /// Balls per acknowledged window in stream mode.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub window: u64,

    /// Timed round trips per repetition (instead of --duration).
    #[arg(long, short = 'n', conflicts_with = "duration", value_name = "N")]
    pub rounds: Option<u64>,

    /// Timed length of each repetition: 500ms, 2s… [default: 1s]
    #[arg(long, short = 'd', value_name = "TIME")]
    pub duration: Option<String>,

    /// Untimed round trips before timing [default: 1000, fewer for large balls].
    #[arg(long, value_name = "N")]
    pub warmup: Option<u64>,

    /// The quickest meaningful run (about a second for the default
    /// matrix): 100 ms per repetition unless --duration or --rounds, a
    /// warm-up of 200 round trips unless --warmup; the repetitions stay, so
    /// repetitions that disagree still show.
    #[arg(long)]
    pub quick: bool,

    /// Repetitions of each combination, interleaved (A B A B…) so drift cancels.
    #[arg(long, short = 'r', default_value_t = 3, value_name = "N")]
    pub reps: u32,

    /// Pin ping and pong to these two CPUs, e.g. 0,1; or `matrix`: spin
    /// between every ordered pair of CPUs (about 30 s at most), for a heatmap.
    #[arg(long, conflicts_with = "same_cpu", value_name = "PING,PONG")]
    pub cpus: Option<String>,

    /// Pin both players to one CPU (0 unless given).
    #[arg(long, num_args = 0..=1, default_missing_value = "0", value_name = "CPU")]
    pub same_cpu: Option<usize>,

    /// What each receiver checks [default: all up to 64 KiB balls, sample above].
    #[arg(long, value_enum)]
    pub verify: Option<VerifyArg>,

    /// Round trips per timed sample [default: 1, more if reading the clock is not negligible].
    #[arg(long, value_name = "N")]
    pub batch: Option<u64>,

    /// Deadline for each match, set-up included [default: duration + 30s, or 60s with --rounds].
    #[arg(long, value_name = "TIME")]
    pub timeout: Option<String>,

    /// How long a lossy channel (udp) waits for a reply before counting the ball lost.
    #[arg(long, default_value = "200ms", value_name = "TIME")]
    pub loss_timeout: String,

    #[command(flatten)]
    pub exports: crate::export::Exports,

    /// What travels: raw (the ball's bytes) or struct (a serde struct around
    /// the ball, encoded with postcard and decoded on arrival: the cost of "pickling").
    #[arg(long, value_enum, default_value_t = PayloadArg::Raw)]
    pub payload: PayloadArg,

    /// Damage balls on purpose to test detection: corrupt:N, drop:N, dup:N, reorder:N.
    #[arg(long, hide = true, value_name = "FAULT")]
    pub inject: Option<String>,

    /// With --between hosts: the `pingpong serve` to play against, HOST[:PORT] (port 7878 unless given).
    #[arg(long, value_name = "HOST:PORT")]
    pub peer: Option<String>,

    /// With --peer: the shared secret the server was started with (--token).
    #[arg(long, value_name = "SECRET", requires = "peer")]
    pub token: Option<String>,
}

impl RunArgs {
    /// The channels asked for, or the default one for the units asked for.
    pub fn via(&self) -> &str {
        match &self.via {
            Some(v) => v,
            None if self.between.trim() == "ranks" => "mpi",
            None => "pipe",
        }
    }
}

#[derive(Debug, Args)]
pub struct MpiArgs {
    /// The MPI launcher to start the two ranks with.
    #[arg(long, default_value = "mpirun", value_name = "PATH")]
    pub mpirun: String,

    /// Hosts for the two ranks (mpirun --host), e.g. node1,node2 [default: both on this machine].
    #[arg(long, value_name = "HOST,HOST")]
    pub hosts: Option<String>,

    /// One more argument for mpirun, e.g. --mpirun-arg=--mca --mpirun-arg=btl=tcp,self (repeatable).
    #[arg(long = "mpirun-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub mpirun_args: Vec<String>,

    /// Options of `pingpong run` (--size, --rounds, --pattern, --json…); --between is ranks.
    #[arg(
        value_name = "RUN OPTIONS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub run: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on; a non-loopback address needs --token.
    #[arg(long, default_value = "127.0.0.1:7878", value_name = "ADDR:PORT")]
    pub listen: String,

    /// Shared secret clients must present (required to listen beyond loopback).
    #[arg(long, value_name = "SECRET")]
    pub token: Option<String>,

    /// Sessions at once; further connections are refused at once.
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub max_sessions: usize,

    /// Longest a session may last, handshake included.
    #[arg(long, default_value = "5m", value_name = "TIME")]
    pub session_limit: String,
}

#[derive(Debug, Args)]
pub struct VerdictArgs {
    /// Fewer, shorter measurements (under 15 s); intervals are wider.
    #[arg(long, conflicts_with = "thorough")]
    pub quick: bool,

    /// More and longer measurements; intervals are narrower.
    #[arg(long)]
    pub thorough: bool,

    /// Language of the table and report: en, or ru (Russian beside English).
    #[arg(long, default_value = "en", value_name = "LANG")]
    pub lang: String,

    /// Judge a saved verdict JSON again, without measuring.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["quick", "thorough", "repeat"])]
    pub from: Option<PathBuf>,

    /// Show, per claim, the rule that gave each word and every figure it
    /// rests on (the report, Markdown and JSON always have them).
    #[arg(long)]
    pub explain: bool,

    /// Run the whole plan K times, interleaved step by step, and show for
    /// each claim how many runs gave its word (1 to 20).
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub repeat: u32,

    /// --json: the verdicts, evidence and underlying documents; --csv: one
    /// row per claim; --markdown: the verdicts as a report.
    #[command(flatten)]
    pub exports: crate::export::Exports,

    /// Write a self-contained HTML report with plots (no network needed to view it).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// The CPython for the CPython column [default: python3 on PATH]; if it
    /// cannot run, the column says so and the verdict goes on.
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,

    /// A free-threaded CPython (3.13t or newer) for the "CPython,
    /// free-threaded" column [default: python3.14t or python3.13t on PATH].
    #[arg(long, value_name = "PATH")]
    pub python_ft: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the players live: threads, processes or processes-fork.
    #[arg(long, short = 'b', default_value = "threads", value_name = "UNIT")]
    pub between: String,

    /// How the ball travels: pipe, fifo, unix, unix-dgram, tcp, udp.
    #[arg(long, short = 'v', default_value = "pipe", value_name = "CHANNEL")]
    pub via: String,

    /// Hits per player.
    #[arg(long, short = 'n', default_value_t = 5, value_name = "N")]
    pub hits: u64,

    /// Pause before each hit, so it can be watched.
    #[arg(long, default_value = "300ms", value_name = "TIME")]
    pub pace: String,

    /// Deadline for the whole demo [default: enough for the hits at that pace, plus 30s].
    #[arg(long, value_name = "TIME")]
    pub timeout: Option<String>,
}
