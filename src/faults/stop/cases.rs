//! The twelve cases: what each aims at, how, the sacrificial child's
//! argument that runs it, and the row each starts from.

use super::{Attempt, Method, Observed, Target};
use crate::faults::Row;

pub(super) struct Case {
    pub(super) case: &'static str,
    pub(super) target: Target,
    pub(super) method: Method,
    /// The sacrificial child's argument.
    pub(super) arg: &'static str,
    pub(super) signal: Option<&'static str>,
}

impl Case {
    pub(super) fn attempt(&self, result: Observed) -> Attempt {
        Attempt {
            target: self.target,
            method: self.method,
            result,
            signal: self.signal.map(Into::into),
            ended_by: None,
            others_affected: None,
        }
    }

    pub(super) fn unit(&self) -> &'static str {
        match self.target {
            Target::Thread => "thread",
            Target::Process => "process",
        }
    }

    pub(super) fn base(&self) -> Row {
        Row {
            experiment: "stop".into(),
            case: self.case.into(),
            unit: self.unit().into(),
            ..Row::default()
        }
    }
}

const fn case(
    case: &'static str,
    target: Target,
    method: Method,
    arg: &'static str,
    signal: Option<&'static str>,
) -> Case {
    Case {
        case,
        target,
        method,
        arg,
        signal,
    }
}

pub(super) const CASES: [Case; 12] = [
    case(
        "cpu loop",
        Target::Process,
        Method::Sigterm,
        "process-spin",
        Some("SIGTERM"),
    ),
    case(
        "blocked read",
        Target::Process,
        Method::Sigterm,
        "process-read",
        Some("SIGTERM"),
    ),
    case(
        "cpu loop, SIGTERM ignored",
        Target::Process,
        Method::SigtermThenSigkill,
        "process-spin-ignore",
        Some("SIGKILL"),
    ),
    case(
        "cpu loop, checks a flag",
        Target::Thread,
        Method::CooperativeFlag,
        "thread-coop-spin",
        None,
    ),
    case(
        "blocked read, checks a flag on EINTR",
        Target::Thread,
        Method::FlagAndSignal,
        "thread-coop-read",
        Some("SIGUSR1"),
    ),
    case(
        "blocked read, signal to that thread",
        Target::Thread,
        Method::SignalEintr,
        "thread-signal-read",
        Some("SIGUSR1"),
    ),
    case(
        "blocked read, pthread_cancel",
        Target::Thread,
        Method::PthreadCancelBlocked,
        "thread-cancel-read",
        None,
    ),
    case(
        "cpu loop, pthread_cancel (deferred)",
        Target::Thread,
        Method::PthreadCancelCpuLoop,
        "thread-cancel-spin",
        None,
    ),
    case(
        "cpu loop, pthread_cancel (asynchronous)",
        Target::Thread,
        Method::PthreadCancelAsyncCpuLoop,
        "thread-cancel-async-spin",
        None,
    ),
    case(
        "SIGKILL to one thread (tgkill)",
        Target::Thread,
        Method::FatalSignalToThread,
        "thread-sigkill",
        Some("SIGKILL"),
    ),
    case(
        "SIGTERM to one thread (pthread_kill)",
        Target::Thread,
        Method::FatalSignalToThread,
        "thread-sigterm",
        Some("SIGTERM"),
    ),
    case(
        "SIGSTOP to one thread (tgkill)",
        Target::Thread,
        Method::StopSignalToThread,
        "thread-sigstop",
        Some("SIGSTOP"),
    ),
];
