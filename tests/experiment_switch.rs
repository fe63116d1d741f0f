mod experiments_common;
use experiments_common as common;

#[test]
fn switch_quick_plays_pipe_and_futex_between_threads_and_processes() {
    let doc = common::run_quick("switch", &["--working-set", "0,16KiB"]);
    let results = doc["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        2 * 2 * 2,
        "2 units × 2 mechanisms × 2 working sets"
    );
    let cpu = doc["settings"]["cpu"].as_u64().unwrap();
    for r in results {
        assert_eq!(r["cpu"].as_u64(), Some(cpu));
        assert_eq!(r["rep_round_trip_ns"].as_array().unwrap().len(), 1);
        let rt = r["round_trip_ns"].as_f64().unwrap();
        assert!(rt > 0.0);
        assert!((r["per_switch_ns"].as_f64().unwrap() * 2.0 - rt).abs() < 1e-6);
    }
}

#[test]
fn switch_refuses_a_cpu_it_may_not_use() {
    common::assert_usage_error(&["switch", "--cpu", "4095"]);
}
