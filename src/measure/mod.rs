//! What is measured around the rally: the clock, the checksum, where players
//! run, CPU usage, the machine's other load, and the machine itself.

pub mod checksum;
pub mod clock;
pub mod load;
pub mod machine;
pub mod placement;
pub mod rusage;
