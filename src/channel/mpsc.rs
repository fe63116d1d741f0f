//! `mpsc`: `std::sync::mpsc` channels, one each way (threads only).

super::queue::queue_channel!(
    Mpsc,
    "mpsc",
    "std::sync::mpsc, ball moved as a Vec (threads only)",
    std::sync::mpsc,
    channel
);
