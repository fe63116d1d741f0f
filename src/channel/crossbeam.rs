//! `crossbeam`: `crossbeam-channel` (unbounded) channels, one each way (threads only).

super::queue::queue_channel!(
    Crossbeam,
    "crossbeam",
    "crossbeam-channel, ball moved as a Vec (threads only)",
    crossbeam_channel,
    unbounded
);
