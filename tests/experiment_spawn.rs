mod experiments_common;
use experiments_common as common;

#[test]
fn spawn_quick_times_every_method_with_and_without_a_heap() {
    let doc = common::run_quick("spawn", &["--heap", "16MiB"]);
    let results = doc["results"].as_array().unwrap();
    let methods: Vec<&str> = results
        .iter()
        .map(|r| r["method"].as_str().unwrap())
        .collect();
    for m in [
        "fork",
        "vfork",
        "posix-spawn",
        "reexec",
        "std-thread",
        "pthread",
        "scoped-thread",
        "tokio-task",
    ] {
        assert!(methods.contains(&m), "{m} missing from {methods:?}");
    }
    let with_heap = results
        .iter()
        .filter(|r| r["parent_heap_bytes"].as_u64() == Some(16 << 20))
        .count();
    assert_eq!(
        with_heap, 5,
        "fork, vfork, posix_spawn, re-exec, thread again with the heap"
    );
    for r in results {
        let n = r["iterations"].as_u64().unwrap();
        assert!(n >= 5);
        assert_eq!(r["total"]["count"].as_u64(), Some(n));
        assert_eq!(r["create"]["count"].as_u64(), Some(n));
        assert!(r["total"]["median"].as_f64().unwrap() >= r["create"]["min"].as_f64().unwrap());
        assert_eq!(r["all_clean"], true, "{}", r["method"]);
    }
    assert_eq!(doc["settings"]["heap_bytes"].as_u64(), Some(16 << 20));
}

#[test]
fn spawn_refuses_a_bad_heap_size() {
    common::assert_usage_error(&["spawn", "--heap", "lots"]);
}
