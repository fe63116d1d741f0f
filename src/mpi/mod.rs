//! Playing between two MPI ranks: `pingpong run --between ranks`, started by
//! `pingpong mpi` (which runs `mpirun -np 2` on pingpong itself) or by the
//! user's own `mpirun` across real hosts.
//!
//! Why MPI at all, beside our own TCP protocol: in HPC the reference
//! ping-pong is MPI's (OSU osu_latency, Intel MPI Benchmarks PingPong), and
//! MPI chooses its own transport (shared memory on one host, the fabric
//! across hosts). So the balls travel by `MPI_Send` / `MPI_Recv`, while the
//! rally is still the engine's own ping and pong loops, with the same
//! verification, timing and document as every other run.
//!
//! Rank 0 plays ping and conducts: it plans the run, sends rank 1 each
//! match's script over MPI (a control tag apart from the balls), and writes
//! the results. Rank 1 plays pong and prints nothing. Nothing in MPI can be
//! interrupted, so each rank has a watchdog that ends it with a clear error
//! when a match outlives its deadline; `mpirun` then ends the other rank.
//!
//! The MPI code itself is behind the cargo feature `mpi` (the `mpi` crate,
//! rsmpi, which needs an MPI library to build): without it, `--between
//! ranks` and `pingpong mpi` say how to rebuild.

pub mod launch;
#[cfg(feature = "mpi")]
mod rank;
#[cfg(feature = "mpi")]
mod watchdog;

use crate::channel::{Channel, Pair, Setup};
use crate::cli::RunArgs;
use crate::error::{exit_code, usage, Quiet};
use crate::kinds::UnitKind;
use crate::parse::split_list;
use crate::plan::RunPlan;
use anyhow::Result;

/// Whether this pingpong was built with the `mpi` feature.
pub const BUILT: bool = cfg!(feature = "mpi");

/// The usage error for MPI in a build without it.
pub fn not_built() -> anyhow::Error {
    usage(
        "this pingpong was built without MPI: rebuild it with `cargo build --release --features mpi` \
         (needs Open MPI: see README, \"Across hosts with MPI\")",
    )
}

/// The channel between ranks: MPI point-to-point messages. It is not one of
/// the local channels (`--via all` leaves it out): only ranks play over it.
pub struct Mpi;

pub static MPI: Mpi = Mpi;

impl Channel for Mpi {
    fn name(&self) -> &'static str {
        "mpi"
    }
    fn summary(&self) -> &'static str {
        "MPI_Send / MPI_Recv between two MPI ranks (--between ranks; the mpi feature)"
    }
    fn max_size(&self) -> usize {
        // An MPI count is a C int.
        i32::MAX as usize
    }
    fn supports(&self, _unit: UnitKind) -> Result<(), String> {
        Err("MPI plays between ranks only: use --between ranks".into())
    }
    fn prepare(&self, _setup: &Setup) -> Result<Pair> {
        anyhow::bail!("MPI plays between ranks only: use --between ranks")
    }
}

/// This process's rank as its MPI launcher announced it, read before MPI
/// starts (Open MPI, MPICH's Hydra, and PMIx launchers such as srun).
pub fn launched_rank() -> Option<u32> {
    ["OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"]
        .iter()
        .find_map(|v| std::env::var(v).ok()?.parse().ok())
}

/// Resolves a `--between ranks` run into a plan: planned as threads over a
/// pipe (every size and option checked the same way), then given the MPI
/// channel and the unit label "ranks".
pub fn plan(args: &RunArgs) -> Result<RunPlan> {
    if args.between.trim() != "ranks" {
        return Err(usage(
            "--between ranks plays between two MPI ranks: give it alone, not with other units",
        ));
    }
    if args.peer.is_some() {
        return Err(usage(
            "--peer plays against pingpong serve (--between hosts), not with --between ranks",
        ));
    }
    let via = args.via();
    if split_list(via) != ["mpi"] {
        return Err(usage(format!(
            "--between ranks plays over MPI: use --via mpi (its default), not --via {via}"
        )));
    }
    if args.inject.is_some() {
        return Err(usage("--inject is not available with --between ranks"));
    }
    if args.cpus.as_deref() == Some("matrix") {
        return Err(usage(
            "--cpus matrix measures spin between local threads or processes, not MPI ranks",
        ));
    }
    let mut plan = RunPlan::build_with(args, "threads", "pipe")?;
    for cell in &mut plan.cells {
        cell.channel = &MPI;
    }
    plan.skipped.clear();
    plan.unit_label = Some("ranks");
    Ok(plan)
}

/// Runs `pingpong run --between ranks` in this rank.
pub fn run(args: &RunArgs) -> Result<bool> {
    if !BUILT {
        return Err(not_built());
    }
    let Some(rank) = launched_rank() else {
        return Err(usage(
            "--between ranks runs as two MPI ranks: start it with `pingpong mpi [run options]`, \
             or `mpirun -np 2 pingpong run --between ranks …`",
        ));
    };
    // Every rank sees the same command line; only rank 0 reports a mistake in it.
    let plan = match plan(args) {
        Ok(p) => p,
        Err(e) if rank != 0 => return Err(anyhow::Error::new(Quiet(exit_code(&e)))),
        Err(e) => return Err(e),
    };
    #[cfg(feature = "mpi")]
    {
        rank::run(&plan)
    }
    #[cfg(not(feature = "mpi"))]
    {
        let _ = plan;
        Err(not_built())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        run: RunArgs,
    }

    fn args(line: &str) -> RunArgs {
        Cmd::try_parse_from(std::iter::once("run").chain(line.split_whitespace()))
            .unwrap()
            .run
    }

    fn usage_text(line: &str) -> String {
        let e = plan(&args(line)).err().expect("a usage error");
        assert_eq!(exit_code(&e), 2, "{e}");
        e.to_string()
    }

    #[test]
    fn ranks_play_over_mpi_by_default_and_only_over_mpi() {
        let p = plan(&args("--between ranks --size 8,1MiB")).unwrap();
        assert_eq!(p.cells.len(), 2);
        assert!(p.cells.iter().all(|c| c.channel.name() == "mpi"));
        assert_eq!(p.unit_label, Some("ranks"));
        assert!(usage_text("--between ranks --via pipe").contains("--via mpi"));
    }

    #[test]
    fn ranks_refuse_what_only_local_or_host_runs_have() {
        assert!(usage_text("--between ranks,threads").contains("alone"));
        assert!(usage_text("--between ranks --peer 127.0.0.1").contains("--between hosts"));
        assert!(usage_text("--between ranks --inject drop:3").contains("--inject"));
        assert!(usage_text("--between ranks --cpus matrix --via mpi").contains("matrix"));
        assert!(usage_text("--between ranks --size 2").contains("4 bytes"));
    }

    #[test]
    fn the_mpi_channel_refuses_local_units() {
        for u in UnitKind::ALL {
            assert!(MPI.supports(u).is_err());
        }
    }
}
