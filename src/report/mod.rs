//! The report: one self-contained HTML file (no network, no script, inline
//! SVG) that opens with the bottom line and the at-a-glance chart, then the
//! verdicts, the plots behind them and what a fault does.

pub mod chart;
pub mod html;
pub mod plots;
