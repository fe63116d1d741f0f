//! `pingpong list`: every unit × channel combination and whether it is valid.

use crate::channel;
use crate::kinds::UnitKind;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::Table;

pub fn render() -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    let mut header = vec!["via".to_string(), "largest ball".to_string()];
    header.extend(UnitKind::ALL.iter().map(|u| u.name().to_string()));
    header.push("what it is".into());
    t.set_header(header);
    for c in channel::ALL {
        let mut row = vec![
            c.name().to_string(),
            if c.max_size() == usize::MAX {
                "any".into()
            } else {
                format!("{} B", c.max_size())
            },
        ];
        for &u in &UnitKind::ALL {
            row.push(match channel::check(*c, u) {
                Ok(()) => "valid".into(),
                Err(why) => format!("no: {why}"),
            });
        }
        row.push(c.summary().into());
        t.add_row(row);
    }
    let mut out = format!("{t}\n");
    for u in UnitKind::ALL {
        out.push_str(&format!("{:<15} {}\n", u.name(), u.summary()));
    }
    out.push_str(&format!(
        "{:<15} ping here, pong on another host's `pingpong serve` (--peer), via tcp or udp\n",
        "hosts"
    ));
    out.push_str(&format!(
        "{:<15} two MPI ranks (`pingpong mpi`, or your own mpirun), via mpi: {}\n",
        "ranks",
        if crate::mpi::BUILT {
            "built in"
        } else {
            "not in this build (cargo build --release --features mpi)"
        }
    ));
    out
}
