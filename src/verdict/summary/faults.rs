//! What a crash does in a thread and in a child process, counted from the
//! fault experiment's rows.

use super::{measured, unmeasured, why, Sentence, Topic};
use crate::evidence::Evidence;
use crate::faults::{Observed, Row};

/// What a crash does: the fault experiment's rows, counted.
pub(super) fn crash(ev: &Evidence, rows: Option<&[Row]>, ru: bool) -> Sentence {
    let crashes: Vec<&Row> = rows
        .unwrap_or(&[])
        .iter()
        .filter(|r| r.experiment == "crash")
        .collect();
    let of =
        |unit: &str| -> Vec<&Row> { crashes.iter().copied().filter(|r| r.unit == unit).collect() };
    let (threads, processes) = (of("thread"), of("process"));
    if threads.is_empty() || processes.is_empty() {
        let why = why(ev, "faults", ru);
        return unmeasured(
            Topic::Crash,
            if ru {
                format!("Что делает сбой в потоке и в процессе, не измерено: {why}.")
            } else {
                format!("What a crash in a thread and in a process does was not measured: {why}.")
            },
        );
    }
    let ended = |rows: &[&Row]| -> Vec<String> {
        rows.iter()
            .filter(|r| matches!(r.observed, Observed::ProgramEnded { .. }))
            .map(|r| r.case.clone())
            .collect()
    };
    let contained = |rows: &[&Row]| {
        rows.iter()
            .filter(|r| r.observed == Observed::Contained)
            .count()
    };
    let (te, pe) = (ended(&threads), ended(&processes));
    let pc = contained(&processes);
    let list = |v: &[String]| {
        if v.is_empty() {
            String::new()
        } else {
            format!(" ({})", v.join(", "))
        }
    };
    let text = if ru {
        format!(
            "Сбой в потоке завершил всю программу в {} из {} случаев{}; в дочернем процессе — в {} из {}{} (завершался только сам процесс: {pc}).",
            te.len(),
            threads.len(),
            list(&te),
            pe.len(),
            processes.len(),
            list(&pe)
        )
    } else {
        format!(
            "A fault in a thread ended the whole program in {} of {} cases{}; in a child process, in {} of {}{} (only the process ended: {pc}).",
            te.len(),
            threads.len(),
            list(&te),
            pe.len(),
            processes.len(),
            list(&pe)
        )
    };
    measured(Topic::Crash, text, vec![])
}

#[cfg(test)]
mod tests {
    use super::super::of;
    use super::super::testing::sentence;
    use super::*;

    #[test]
    fn the_crash_sentence_counts_the_rows() {
        let row = |unit: &str, case: &str, ended: bool| -> Row {
            serde_json::from_value(serde_json::json!({
                "experiment": "crash", "case": case, "unit": unit, "outcome": "", "status": "",
                "survived": !ended, "notice_ns": null, "detail": "", "figures": {},
                "observed": if ended { serde_json::json!({"kind": "program_ended", "signal": "SIGABRT", "code": null, "hung": false}) }
                            else { serde_json::json!({"kind": "contained"}) }
            }))
            .unwrap()
        };
        let rows = vec![
            row("thread", "abort", true),
            row("thread", "panic", false),
            row("process", "abort", false),
            row("process", "panic", false),
        ];
        let s = of(&Evidence::default(), &[], Some(&rows), false);
        let c = sentence(&s, Topic::Crash);
        assert!(c.text.contains("1 of 2 cases (abort)"), "{}", c.text);
        assert!(c.text.contains("0 of 2"), "{}", c.text);
        let all = vec![
            row("thread", "abort", true),
            row("thread", "panic", true),
            row("process", "abort", false),
        ];
        let s2 = of(&Evidence::default(), &[], Some(&all), false);
        assert_ne!(sentence(&s2, Topic::Crash).text, c.text);
    }
}
