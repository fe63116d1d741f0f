//! `flume`: `flume` (unbounded) channels, one each way (threads only).

super::queue::queue_channel!(
    Flume,
    "flume",
    "flume, ball moved as a Vec (threads only)",
    flume,
    unbounded
);
