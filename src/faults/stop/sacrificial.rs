//! Pingpong's side of a case run in a sacrificial child: the rows the child
//! reported, or, if it did not live to report, one row written from its
//! death (a fatal signal aimed at one thread is seen here as the whole
//! process dying).

use super::cases::Case;
use super::Observed;
use crate::faults::{sacrifice, Ended, Row};
use std::time::Duration;

/// Runs one attempt in a sacrificial child: the rows it reported, or, if it
/// did not live to report, one row written here from its death.
pub(super) fn in_child(c: &Case, grace_ms: u64, deadline: Duration) -> Vec<Row> {
    let args = ["stop".to_string(), c.arg.into(), grace_ms.to_string()];
    let ended = match sacrifice(&args, deadline) {
        Ok(e) => e,
        Err(e) => return vec![not_run(c, &e)],
    };
    let reports = ended.reports();
    if ended.code == Some(0) && !reports.is_empty() {
        return reports
            .into_iter()
            .map(|r| Row {
                experiment: "stop".into(),
                case: c.case.into(),
                unit: c.unit().into(),
                ..r
            })
            .collect();
    }
    vec![from_death(c, &ended)]
}

pub(super) fn not_run(c: &Case, e: &anyhow::Error) -> Row {
    Row {
        outcome: "could not run".into(),
        status: "error".into(),
        detail: format!("{e:#}"),
        stop: Some(c.attempt(Observed::NotObserved)),
        ..c.base()
    }
}

/// What a child's death shows, observed here from its wait status: after it
/// said it made its attempt (its MARK), a death by signal is the whole
/// process dying.
fn from_death(c: &Case, ended: &Ended) -> Row {
    let (result, outcome) = if ended.timed_out {
        (Observed::Hung, "hung: killed at the deadline".to_string())
    } else if let (Some(s), Some(_)) = (ended.signal, ended.mark()) {
        (
            Observed::WholeProcessDied,
            format!(
                "the whole process died ({}): every thread, not only the one aimed at",
                s.as_str()
            ),
        )
    } else {
        (
            Observed::NotObserved,
            format!(
                "not observed: the child ended ({}) before its attempt",
                ended.status
            ),
        )
    };
    let mut a = c.attempt(result);
    a.ended_by = ended.signal.map(|s| s.as_str().to_string());
    if result == Observed::WholeProcessDied {
        a.others_affected = Some(true);
    }
    let mut detail = String::new();
    if result == Observed::WholeProcessDied {
        detail.push_str(
            "the signal was aimed at one worker thread; the sacrificial child's exit status \
             (seen here by its parent) shows the whole process died; time to notice = from \
             the attempt until the child was reaped. ",
        );
    }
    detail.push_str(&ended.stderr_note());
    Row {
        outcome,
        status: ended.status.clone(),
        survived: Some(false),
        notice_ns: ended.notice_ns(),
        detail: detail.trim_end().to_string(),
        stop: Some(a),
        ..c.base()
    }
}
