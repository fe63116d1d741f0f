//! Arbitrary bytes into the frame decoder and the hello parser: neither may
//! panic, and a decoded frame never claims more bytes than it was given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pingpong::net::{frame, protocol};

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((payload, used))) = frame::decode(data) {
        assert!(used <= data.len());
        assert_eq!(payload.len() + frame::PREFIX, used);
        let _ = protocol::check_version(payload);
        let _ = protocol::parse::<protocol::Hello>(payload);
    }
});
