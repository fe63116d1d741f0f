//! One MPI rank of `--between ranks`: rank 0 conducts and plays ping,
//! rank 1 plays pong (see the module above for why).

use super::watchdog::Watchdog;
use crate::channel::{ChannelError, Endpoint};
use crate::engine::Played;
use crate::error::{usage, EndsRun, Quiet};
use crate::kinds::Placement;
use crate::kinds::Role;
use crate::measure::machine::Machine;
use crate::measure::{load, placement};
use crate::output::progress::Progress;
use crate::plan::RunPlan;
use crate::player::board::Board;
use crate::player::report::PlayerReport;
use crate::player::{self, Script};
use crate::rally;
use crate::results::Peer;
use anyhow::{anyhow, bail, Context, Result};
use mpi::topology::{Rank, SimpleCommunicator};
use mpi::traits::*;
use mpi::Threading;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// Tag of the balls.
const BALL: i32 = 1;
/// Tag of the control messages (JSON), kept apart from the balls.
const CONTROL: i32 = 2;
/// Version of the control messages between the ranks: both hosts must run
/// a pingpong that speaks the same.
const PROTOCOL: u32 = 1;
/// How long ending MPI may take.
const FINALIZE: Duration = Duration::from_secs(30);

/// Rank 0 to rank 1.
#[derive(Debug, Serialize, Deserialize)]
enum Order {
    /// Play pong to this script, pinned to this CPU if given.
    Play { script: Script, cpu: Option<usize> },
    /// The run is over.
    Quit,
}

/// Rank 1 to rank 0.
#[derive(Debug, Serialize, Deserialize)]
enum Answer {
    Hello {
        protocol: u32,
        pingpong_version: String,
        host: String,
        pid: u32,
        machine: Box<Machine>,
    },
    /// Pong is pinned and its end is open: the rally may start.
    Ready,
    Report(Box<PlayerReport>),
    Failed {
        error: String,
    },
}

/// The balls go by `MPI_Send` / `MPI_Recv` to and from the other rank.
///
/// It keeps its `Process` (the peer in `MPI_COMM_WORLD`) rather than asking
/// for it per ball: rsmpi's `process_at_rank` checks the rank against
/// `MPI_Comm_size` on every call, which cost 13% of a rally's samples.
struct MpiEndpoint {
    peer: mpi::topology::Process<'static>,
}

// SAFETY: an endpoint is made, used and dropped on the rank's main thread
// (the thread that started MPI); `Endpoint` asks for `Send` only because
// local players move theirs to the thread that plays. The communicator it
// refers to is MPI_COMM_WORLD, valid until MPI_Finalize, which runs after
// every endpoint is dropped.
unsafe impl Send for MpiEndpoint {}

impl MpiEndpoint {
    fn to(peer: Rank) -> Box<dyn Endpoint> {
        static WORLD: std::sync::OnceLock<WorldHandle> = std::sync::OnceLock::new();
        let world = &WORLD
            .get_or_init(|| WorldHandle(SimpleCommunicator::world()))
            .0;
        Box::new(MpiEndpoint {
            peer: world.process_at_rank(peer),
        })
    }
}

/// `MPI_COMM_WORLD`'s handle, kept for the life of the process.
struct WorldHandle(SimpleCommunicator);

// SAFETY: the handle names MPI_COMM_WORLD, a constant of the MPI library;
// it is only used on the thread that started MPI (see `MpiEndpoint`).
unsafe impl Send for WorldHandle {}
// SAFETY: as above; sharing it changes nothing, it is never mutated.
unsafe impl Sync for WorldHandle {}

impl Endpoint for MpiEndpoint {
    fn send(&mut self, ball: &[u8]) -> Result<(), ChannelError> {
        self.peer.send_with_tag(ball, BALL);
        Ok(())
    }

    fn recv(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        let status = self.peer.receive_into_with_tag(buf, BALL);
        let got = status.count(u8::equivalent_datatype()).max(0) as usize;
        if got != buf.len() {
            return Err(ChannelError::WrongLength {
                got,
                want: buf.len(),
            });
        }
        Ok(())
    }
}

fn send<T: Serialize>(world: &SimpleCommunicator, to: Rank, msg: &T) -> Result<()> {
    let bytes = serde_json::to_vec(msg)?;
    world.process_at_rank(to).send_with_tag(&bytes[..], CONTROL);
    Ok(())
}

fn receive<T: serde::de::DeserializeOwned>(world: &SimpleCommunicator, from: Rank) -> Result<T> {
    let (bytes, _) = world
        .process_at_rank(from)
        .receive_vec_with_tag::<u8>(CONTROL);
    serde_json::from_slice(&bytes).with_context(|| {
        format!("rank {from} sent a control message this pingpong cannot read: run the same pingpong on every host")
    })
}

/// A failure mid-match: the ranks are out of step, so the run ends.
fn out_of_step(msg: String) -> anyhow::Error {
    anyhow::Error::new(EndsRun(msg))
}

/// Runs this rank of a planned `--between ranks` run; returns whether every
/// measurement succeeded with intact balls (rank 1: whether it played).
pub fn run(plan: &RunPlan) -> Result<bool> {
    die_with_parent()?;
    // MPI_THREAD_SINGLE, though the watchdog is a second thread: it never
    // calls MPI (as the threads Open MPI starts in every rank never call the
    // application), and asking for more makes Open MPI lock on every call:
    // 464 → 590 ns per 8-byte round trip here with MPI_THREAD_FUNNELED.
    let (universe, _) = mpi::initialize_with_threading(Threading::Single)
        .ok_or_else(|| anyhow!("MPI was already started in this process"))?;
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());
    if size != 2 {
        return Err(if rank == 0 {
            usage(format!(
                "--between ranks plays between exactly 2 MPI ranks, not {size}: use mpirun -np 2 (or pingpong mpi)"
            ))
        } else {
            anyhow::Error::new(Quiet(2))
        });
    }
    let board = Arc::new(Board::new()?);
    let role = if rank == 0 { Role::Ping } else { Role::Pong };
    let dog = Watchdog::start(
        format!("rank {rank} ({})", role.name()),
        role,
        Arc::clone(&board),
    )
    .context("starting the watchdog")?;
    let result = if rank == 0 {
        conduct(plan, &world, &board, &dog)
    } else {
        follow(plan, &world, &board, &dog).map(|()| true)
    };
    if let Err(e) = &result {
        // Rank 1 fails only mid-match (rank 0 waits for its answer), and
        // rank 0's out-of-step failures leave rank 1 mid-rally: neither can
        // be told, so the job ends. Other failures of rank 0 told rank 1 to quit.
        if rank != 0 || e.chain().any(|c| c.is::<EndsRun>()) {
            eprintln!("error: {e:#}");
            world.abort(1);
        }
    }
    dog.arm("ending MPI (MPI_Finalize)", FINALIZE);
    drop(universe);
    drop(dog);
    result
}

/// Rank 1 dies with its launcher (mpirun or orted), even one killed with
/// SIGKILL: MPI's own ranks run in process groups of their own, so nothing
/// else would reach them.
fn die_with_parent() -> Result<()> {
    crate::subprocess::deathsig::die_with_current_parent(nix::sys::signal::Signal::SIGKILL)
        .context("dying with the MPI launcher that started this rank")
}

fn host_name() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// Rank 0: plans the matches, plays ping, writes the results.
fn conduct(
    plan: &RunPlan,
    world: &SimpleCommunicator,
    board: &Board,
    dog: &Watchdog,
) -> Result<bool> {
    dog.arm("waiting for rank 1 to start", plan.timeout);
    let (host, pid, machine) = greet(world)?;
    let here = host_name();
    let pids: Vec<u32> = if host == here {
        vec![std::process::id(), pid]
    } else {
        vec![std::process::id()]
    };
    let notes = notes(plan, &here, &host);
    let (ping_cpu, pong_cpu) = match plan.placement {
        Placement::Pinned { ping, pong } => (Some(ping), Some(pong)),
        Placement::Free => (None, None),
    };
    let peer = Peer {
        address: format!("MPI rank 1 on {host} (pid {pid})"),
        protocol_version: PROTOCOL,
        machine: *machine,
    };
    let progress = Progress::new(plan.cells.len() as u64 * plan.reps as u64);
    let doc = rally::measure_with(plan, &progress, &mut |_cell, script, doc| {
        if doc.peer.is_none() {
            doc.peer = Some(peer.clone());
            doc.notes.extend(notes.iter().cloned());
        }
        if let Some(cpu) = ping_cpu {
            placement::pin_to(cpu).context("rank 0 (ping)")?;
        }
        play_match(plan, world, board, dog, script, &pids, pong_cpu)
    });
    progress.finish();
    if !matches!(&doc, Err(e) if e.chain().any(|c| c.is::<EndsRun>())) {
        send(world, 1, &Order::Quit)?;
    }
    rally::finish(&doc?)
}

/// Rank 1's hello: its host, its pid and its machine, once its protocol is
/// known to be this rank's (else it is told to quit).
fn greet(world: &SimpleCommunicator) -> Result<(String, u32, Box<Machine>)> {
    let hello: Answer = receive(world, 1)?;
    let Answer::Hello {
        protocol,
        pingpong_version,
        host,
        pid,
        machine,
    } = hello
    else {
        bail!("rank 1 did not start with a hello but with {hello:?}");
    };
    if protocol != PROTOCOL {
        send(world, 1, &Order::Quit)?;
        bail!(
            "rank 1 runs pingpong {pingpong_version} (rank protocol {protocol}), this rank pingpong {} \
             (protocol {PROTOCOL}): run the same pingpong on every host",
            env!("CARGO_PKG_VERSION")
        );
    }
    Ok((host, pid, machine))
}

/// The document's notes: which MPI library, where each rank ran, and what
/// polling ranks on one CPU mean.
fn notes(plan: &RunPlan, here: &str, host: &str) -> Vec<String> {
    let library = mpi::environment::library_version()
        .ok()
        .and_then(|v| v.lines().next().map(|l| l.trim().to_string()))
        .unwrap_or_else(|| "an unknown MPI library".into());
    let mut notes = vec![format!(
        "between MPI ranks ({library}): rank 0 (ping) on {here}, rank 1 (pong) on {host}; \
         the MPI library chooses the transport (shared memory on one host, the network across hosts) \
         and its ranks wait by polling, so neither rank sleeps between balls"
    )];
    if matches!(plan.placement, Placement::Pinned { ping, pong } if ping == pong) && host == here {
        notes.push(
            "both ranks on one CPU: MPI ranks poll while they wait, so each waits for the other's time slice \
             (Open MPI yields only when told the node is oversubscribed, mpi_yield_when_idle)"
                .into(),
        );
    }
    notes
}

/// One match: rank 1 is told to play pong (pinned to `pong_cpu` if given),
/// this rank plays ping, and pong's report comes back.
fn play_match(
    plan: &RunPlan,
    world: &SimpleCommunicator,
    board: &Board,
    dog: &Watchdog,
    script: &Script,
    pids: &[u32],
    pong_cpu: Option<usize>,
) -> Result<Played> {
    dog.arm("starting a match", plan.timeout);
    send(
        world,
        1,
        &Order::Play {
            script: script.clone(),
            cpu: pong_cpu,
        },
    )?;
    // From here on, rank 1 follows this match: any failure leaves the
    // ranks out of step, except pong's refusal before the first ball.
    let ready: Answer = receive(world, 1).map_err(|e| out_of_step(format!("{e:#}")))?;
    match ready {
        Answer::Ready => {}
        Answer::Failed { error } => bail!("rank 1 (pong): {error}"),
        other => {
            return Err(out_of_step(format!(
                "rank 1 answered {other:?} where ready was expected"
            )))
        }
    }
    let mut ep = script.payload.wrap(MpiEndpoint::to(1));
    let before = load::snapshot(pids);
    dog.arm_rally("the rally", plan.timeout);
    let ping = player::play_over(Role::Ping, script, ep.as_mut(), board)
        .map_err(|e| out_of_step(format!("rank 0 ({e})")))?;
    let after = load::snapshot(pids);
    dog.arm("waiting for pong's report", plan.timeout);
    let report: Answer = receive(world, 1).map_err(|e| out_of_step(format!("{e:#}")))?;
    let pong = match report {
        Answer::Report(r) => *r,
        Answer::Failed { error } => return Err(out_of_step(format!("rank 1 (pong): {error}"))),
        other => {
            return Err(out_of_step(format!(
                "rank 1 answered {other:?} where its report was expected"
            )))
        }
    };
    Ok(Played {
        ping,
        pong,
        load: load::between(&before, &after),
    })
}

/// Rank 1: plays pong to each script rank 0 sends, until told to quit.
fn follow(plan: &RunPlan, world: &SimpleCommunicator, board: &Board, dog: &Watchdog) -> Result<()> {
    send(
        world,
        0,
        &Answer::Hello {
            protocol: PROTOCOL,
            pingpong_version: env!("CARGO_PKG_VERSION").into(),
            host: host_name(),
            pid: std::process::id(),
            machine: Box::new(crate::measure::machine::describe()),
        },
    )?;
    loop {
        dog.arm("waiting for rank 0's next match", plan.timeout);
        let (script, cpu) = match receive(world, 0)? {
            Order::Quit => return Ok(()),
            Order::Play { script, cpu } => (script, cpu),
        };
        if let Some(cpu) = cpu {
            if let Err(e) = placement::pin_to(cpu) {
                send(
                    world,
                    0,
                    &Answer::Failed {
                        error: format!("{e:#}"),
                    },
                )?;
                continue;
            }
        }
        let mut ep = script.payload.wrap(MpiEndpoint::to(0));
        send(world, 0, &Answer::Ready)?;
        dog.arm_rally("the rally", plan.timeout);
        let report = player::play_over(Role::Pong, &script, ep.as_mut(), board)
            .map_err(|e| out_of_step(format!("rank 1 ({e})")))?;
        send(world, 0, &Answer::Report(Box::new(report)))?;
    }
}
