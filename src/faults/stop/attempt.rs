//! The typed outcome of an attempt to stop a unit: what was aimed at, how,
//! and what was observed. Set where the outcome is observed; the findings
//! read these fields, never the display text.

use serde::{Deserialize, Serialize};

/// What an attempt was aimed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Thread,
    Process,
}

/// How the unit was asked, or forced, to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// SIGTERM to a child process.
    Sigterm,
    /// SIGTERM to a child process that ignores it, then SIGKILL after a grace period.
    SigtermThenSigkill,
    /// A flag the thread's loop checks.
    CooperativeFlag,
    /// A flag the thread checks, and SIGUSR1 to get its blocked read out with EINTR.
    FlagAndSignal,
    /// A signal to one thread blocked in `read` (handler without `SA_RESTART`).
    SignalEintr,
    /// `pthread_cancel` on a thread blocked in `read` (a cancellation point).
    PthreadCancelBlocked,
    /// `pthread_cancel` (deferred, the default) on a pure CPU loop.
    PthreadCancelCpuLoop,
    /// `pthread_cancel` on a pure CPU loop that enabled asynchronous cancellation.
    PthreadCancelAsyncCpuLoop,
    /// A signal whose default action is to terminate, aimed at one thread.
    FatalSignalToThread,
    /// SIGSTOP aimed at one thread.
    StopSignalToThread,
}

/// What was observed after the attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Observed {
    /// The target thread's blocking call returned EINTR.
    Interrupted,
    /// Signals were delivered for the whole grace period; the call never returned.
    NotInterrupted,
    /// The target ended: a thread was joined, a process was reaped.
    Ended,
    /// The target was still running (or still blocked) after the grace period.
    StillRunning,
    /// The whole process died, every thread with it (seen by its parent).
    WholeProcessDied,
    /// Only the target thread died; the rest of its process lived on.
    OnlyThreadDied,
    /// Every thread of the process stopped.
    WholeProcessStopped,
    /// Only the target thread stopped.
    OnlyThreadStopped,
    /// No thread stopped.
    NotStopped,
    /// The sacrificial child hung and was killed at its deadline.
    Hung,
    /// The attempt could not be made, or its effect not seen (see the detail).
    NotObserved,
}

/// One attempt to stop a unit, and what it did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub target: Target,
    pub method: Method,
    pub result: Observed,
    /// The signal sent to the target (for an escalation, the last one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// The signal that ended the target's process, as `waitpid` reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_by: Option<String>,
    /// Whether threads other than the one aimed at were affected
    /// (interrupted, killed or stopped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub others_affected: Option<bool>,
}

impl Method {
    fn phrase(self) -> &'static str {
        match self {
            Method::Sigterm => "SIGTERM to a process",
            Method::SigtermThenSigkill => "SIGTERM ignored, then SIGKILL, to a process",
            Method::CooperativeFlag => "a flag the thread checks",
            Method::FlagAndSignal => "a flag and a signal to wake its read",
            Method::SignalEintr => "a signal to one thread blocked in read",
            Method::PthreadCancelBlocked => "pthread_cancel on a thread blocked in read",
            Method::PthreadCancelCpuLoop => "pthread_cancel (deferred) on a CPU loop",
            Method::PthreadCancelAsyncCpuLoop => "pthread_cancel (asynchronous) on a CPU loop",
            Method::FatalSignalToThread => "a fatal signal to one thread",
            Method::StopSignalToThread => "a stop signal to one thread",
        }
    }
}

impl Observed {
    fn phrase(self) -> &'static str {
        match self {
            Observed::Interrupted => "interrupted (EINTR in that thread)",
            Observed::NotInterrupted => "not interrupted",
            Observed::Ended => "ended",
            Observed::StillRunning => "still running after the grace period",
            Observed::WholeProcessDied => "the whole process died",
            Observed::OnlyThreadDied => "only that thread died",
            Observed::WholeProcessStopped => "the whole process stopped",
            Observed::OnlyThreadStopped => "only that thread stopped",
            Observed::NotStopped => "nothing stopped",
            Observed::Hung => "hung",
            Observed::NotObserved => "not observed",
        }
    }

    /// Whether the attempt was made and its effect seen.
    pub(super) fn observed(self) -> bool {
        !matches!(self, Observed::Hung | Observed::NotObserved)
    }
}

impl Attempt {
    /// "a signal to one thread blocked in read (SIGUSR1): interrupted (EINTR in that thread)".
    pub(super) fn clause(&self) -> String {
        let signal = self
            .signal
            .as_deref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        format!("{}{signal}: {}", self.method.phrase(), self.result.phrase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attempt_round_trips_in_snake_case() {
        let a = Attempt {
            target: Target::Thread,
            method: Method::PthreadCancelCpuLoop,
            result: Observed::WholeProcessStopped,
            signal: Some("SIGSTOP".into()),
            ended_by: None,
            others_affected: Some(true),
        };
        let j = serde_json::to_value(&a).unwrap();
        assert_eq!(j["method"], "pthread_cancel_cpu_loop");
        assert_eq!(j["result"], "whole_process_stopped");
        assert!(j.get("ended_by").is_none());
        assert_eq!(serde_json::from_value::<Attempt>(j).unwrap(), a);
    }
}
