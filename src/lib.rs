//! pingpong: threads or processes? A ping-pong rally, timed, settles it.
//!
//! The crate is laid out along the path of a measurement: [`cli`] and
//! [`plan`] turn the command line into a plan; [`engine`] plays one match
//! between two [`player`]s living in a [`unit`] (thread or process) and
//! exchanging [`ball`]s over a [`channel`]; [`measure`] records the clock,
//! the CPU, the load and the machine around it; [`stats`] and [`summarize`]
//! turn reports into [`results`]; [`output`] renders them.

pub mod ball;
pub mod bounds;
pub mod channel;
pub mod cli;
pub mod command;
pub mod document;
pub mod engine;
pub mod error;
pub mod evidence;
pub mod experiment;
pub mod export;
pub mod faults;
pub mod format;
pub mod interrupt;
pub mod kinds;
pub mod measure;
pub mod mpi;
pub mod net;
pub mod output;
pub mod parse;
pub mod plan;
pub mod player;
pub mod python;
pub mod rally;
pub mod report;
pub mod results;
pub mod stats;
pub mod subprocess;
pub mod summarize;
pub mod unit;
pub mod verdict;

use clap::Parser;
use cli::{Cli, Command};

/// Runs the command line and returns the process exit code.
pub fn main_exit_code() -> i32 {
    // A re-executed player skips clap and everything else: it only plays.
    // Its arguments are pingpong's own (UTF-8); anyone else's may not be,
    // and `std::env::args` would panic on them: clap reads them as they are.
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if let Some(code) = internal_role(&args) {
        return code;
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return clap_exit(&e),
    };
    interrupt::install_handlers();
    // What a pingpong killed with SIGKILL left in the temporary directories.
    subprocess::tempdir::remove_stale();
    let result = claim_stdout(&cli).and_then(|()| run(&cli));
    // Exports into a FIFO, a device or standard output are written once,
    // now, whatever the outcome.
    let result = match (result, export::flush_streams()) {
        (Ok(_), Err(e)) => Err(e),
        (r, _) => r,
    };
    exit_code(result)
}

/// The roles pingpong plays for itself, before any command line parsing:
/// a re-executed player, an experiment's child, a sacrificial child of
/// `pingpong faults`, a guard. Their exit code, or `None` for a user's
/// command.
fn internal_role(args: &[String]) -> Option<i32> {
    match args.get(1).map(String::as_str) {
        Some(unit::spawn::SUBCOMMAND) => {
            return Some(match args.get(2) {
                Some(wire) => unit::spawn::player_main(wire),
                None => 2,
            })
        }
        Some(faults::SUBCOMMAND) => return Some(faults::child_main(&args[2..])),
        Some(subprocess::guard::SUBCOMMAND) => return Some(subprocess::guard::main(&args[2..])),
        _ => {}
    }
    experiment::child_main(args)
}

/// Help and version go to standard output (exit 0); a mistake is one line
/// on standard error (exit 2).
fn clap_exit(e: &clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            0
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            2
        }
        _ => {
            eprintln!("{}", usage_line(e));
            2
        }
    }
}

/// A clap error in one line, naming the fix: clap's first paragraph (the
/// error and what it names, such as the missing flag on the line after
/// "the following required arguments were not provided:"), its tips
/// ("a similar subcommand exists: 'verdict'"), pingpong's own name for a
/// flag users bring from hyperfine or perf, then where to look.
pub fn usage_line(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue};
    let text = e.render().to_string();
    let mut lines = text.lines().map(str::trim);
    let mut parts: Vec<String> = lines
        .by_ref()
        .take_while(|l| !l.is_empty())
        .map(String::from)
        .collect();
    let tips: Vec<String> = lines
        .filter(|l| l.starts_with("tip:"))
        .map(String::from)
        .collect();
    let foreign = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => {
            let flag = arg.split('=').next().unwrap_or(arg);
            cli::FOREIGN_FLAGS
                .iter()
                .find(|(theirs, _)| *theirs == flag)
                .map(|(theirs, ours)| format!("tip: pingpong's {theirs} is {ours}"))
        }
        _ => None,
    };
    match foreign {
        // Ours names the flag meant; clap's guess by spelling may not.
        Some(tip) => parts.push(tip),
        None => parts.extend(tips),
    }
    let gist = match parts.join("; ").replace(": ;", ":") {
        g if g.is_empty() => "error: invalid arguments".to_string(),
        g => g,
    };
    format!("{gist} (see pingpong --help)")
}

/// With `--json -` (or `--csv -`, `--markdown -`) standard output carries
/// that document alone, written once at the end: everything pingpong
/// would print there (its table) goes to standard error instead.
fn claim_stdout(cli: &Cli) -> anyhow::Result<()> {
    match cli.command.exports() {
        Some(e) if e.to_stdout() => export::claim_stdout(),
        _ => Ok(()),
    }
}

/// Runs a parsed command; its exit code.
fn run(cli: &Cli) -> anyhow::Result<i32> {
    match &cli.command {
        Command::Verdict(a) => command::verdict::run(a).map(|_| 0),
        Command::Run(a) => command::run::run(a).map(|ok| if ok { 0 } else { 1 }),
        Command::Serve(a) => net::server::run(a),
        Command::Mpi(a) => mpi::launch::run(a),
        Command::Demo(a) => command::demo::run(a).map(|_| 0),
        Command::List => print(&command::list::render()).map(|_| 0),
        Command::Spawn(a) => experiment::spawn_cost::run(a),
        Command::Memory(a) => experiment::memory::run(a),
        Command::Scale(a) => experiment::scale::run(a),
        Command::Switch(a) => experiment::switch::run(a),
        Command::Reach(a) => experiment::reach::run(a),
        Command::Contention(a) => experiment::contention::run(a),
        Command::Overlap(a) => experiment::overlap::run(a),
        Command::Responsive(a) => experiment::responsive::run(a),
        Command::Faults(a) => faults::run(a).map(|ok| if ok { 0 } else { 1 }),
        Command::Python(a) => python::run(a),
        Command::Player { wire } => Ok(unit::spawn::player_main(wire)),
    }
}

/// The exit code of a command's outcome; an error is said on standard
/// error (unless it is quiet, or a reader that went away).
fn exit_code(result: anyhow::Result<i32>) -> i32 {
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) if e.chain().any(|c| c.is::<error::Quiet>()) => error::exit_code(&e),
        Err(e) => {
            eprintln!("error: {e:#}");
            error::exit_code(&e)
        }
    }
}

fn print(s: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// `pingpong … | head` is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
