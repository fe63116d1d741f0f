//! Opening and dropping every shared-memory channel's ends leaves no
//! descriptor and no mapping behind. Its own test binary with one test, so
//! no other test opens descriptors meanwhile.

use pingpong::channel::{self, Setup};
use std::time::Duration;

fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn pingpong_maps() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .filter(|l| l.contains("pingpong-"))
        .count()
}

#[test]
fn shared_channels_leave_no_descriptor_and_no_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let before = (fds(), pingpong_maps());
    for name in ["spin", "futex", "spin-futex", "eventfd", "shm-ring", "mpsc"] {
        let ch = channel::by_name(name).unwrap();
        let pair = ch
            .prepare(&Setup {
                size: 64,
                dir: dir.path(),
                loss_timeout: Duration::from_secs(1),
            })
            .unwrap();
        let mut ping = pair.ping.open().unwrap();
        let pong = pair.pong.open().unwrap();
        let echo = std::thread::spawn(move || {
            let mut pong = pong;
            let mut b = [0u8; 64];
            for _ in 0..100 {
                pong.recv(&mut b).unwrap();
                pong.send(&b).unwrap();
            }
        });
        let mut back = [0u8; 64];
        for i in 0..100u8 {
            ping.send(&[i; 64]).unwrap();
            ping.recv(&mut back).unwrap();
            assert_eq!(back, [i; 64], "{name}");
        }
        echo.join().unwrap();
        drop(ping);
    }
    assert_eq!((fds(), pingpong_maps()), before);
}
