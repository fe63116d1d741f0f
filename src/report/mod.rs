//! The report: one self-contained HTML file (no network, no script, inline
//! SVG) with the machine, the verdicts and the plots behind them.

pub mod html;
pub mod svg;
