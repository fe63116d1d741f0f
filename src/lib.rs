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
    if args.get(1).map(String::as_str) == Some(unit::spawn::SUBCOMMAND) {
        return match args.get(2) {
            Some(wire) => unit::spawn::player_main(wire),
            None => 2,
        };
    }
    if let Some(code) = experiment::child_main(&args) {
        return code;
    }
    // So does a sacrificial child of `pingpong faults`: it only suffers its fault.
    if args.get(1).map(String::as_str) == Some(faults::SUBCOMMAND) {
        return faults::child_main(&args[2..]);
    }
    // And a guard: it only watches the program below it.
    if args.get(1).map(String::as_str) == Some(subprocess::guard::SUBCOMMAND) {
        return subprocess::guard::main(&args[2..]);
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    2
                } else {
                    0
                };
            }
            // One line, naming the fix: clap's first paragraph (the error and
            // what it names, such as the missing flag on the line after
            // "the following required arguments were not provided:"), then
            // where to look.
            let text = e.render().to_string();
            let gist: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.is_empty())
                .collect();
            let gist = match gist.join(" ") {
                g if g.is_empty() => "error: invalid arguments".to_string(),
                g => g,
            };
            eprintln!("{gist} (see pingpong --help)");
            return 2;
        }
    };
    interrupt::install_handlers();
    // What a pingpong killed with SIGKILL left in the temporary directories.
    subprocess::tempdir::remove_stale();
    let result = match &cli.command {
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
    };
    // Exports into a FIFO or a device are written once, now, whatever the outcome.
    let result = match (result, export::flush_streams()) {
        (Ok(_), Err(e)) => Err(e),
        (r, _) => r,
    };
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
