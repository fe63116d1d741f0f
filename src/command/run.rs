//! `pingpong run`: the matrix, measured with repetitions interleaved
//! (A B C A B C…), exported after every measurement, shown as a table.

use crate::cli::RunArgs;
use crate::output::progress::Progress;
use crate::plan::RunPlan;
use crate::rally;
use anyhow::Result;

/// Runs the command; returns whether every measurement succeeded with intact balls.
pub fn run(args: &RunArgs) -> Result<bool> {
    if crate::parse::split_list(&args.between).contains(&"ranks") {
        return crate::mpi::run(args);
    }
    let hosts = crate::parse::split_list(&args.between).contains(&"hosts");
    if hosts || args.peer.is_some() {
        return crate::net::client::run(args);
    }
    let plan = RunPlan::from_args(args)?;
    let progress = Progress::new(plan.cells.len() as u64 * plan.reps as u64);
    let doc = rally::measure(&plan, &progress)?;
    rally::finish(&doc)
}
