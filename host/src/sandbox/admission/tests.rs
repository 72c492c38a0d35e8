//! Admission and fair share, with real waits on a small sandbox.
use super::*;

fn config(slots: usize, per_tenant: usize, max_queued: usize, wait_ms: u64) -> AdmissionConfig {
    AdmissionConfig {
        slots,
        per_tenant,
        max_queued,
        max_wait: Duration::from_millis(wait_ms),
    }
}

#[tokio::test]
async fn a_full_queue_is_refused_at_once() {
    let adm = Admission::new(config(1, 1, 2, 5_000), 100);
    let _running = adm.admit("a").await.unwrap();
    let (a1, a2) = (adm.clone(), adm.clone());
    let w1 = tokio::spawn(async move { a1.admit("b").await.map(drop) });
    let w2 = tokio::spawn(async move { a2.admit("c").await.map(drop) });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(adm.load(), (1, 2));
    let started = Instant::now();
    let e = adm.admit("d").await.err().expect("refused");
    assert!(started.elapsed() < Duration::from_millis(100));
    assert_eq!(e.reason, "too many calls are waiting");
    drop(_running);
    w1.await.unwrap().unwrap();
    w2.await.unwrap().unwrap();
    assert_eq!(adm.load(), (0, 0));
}

#[tokio::test]
async fn a_wait_past_the_bound_is_refused() {
    let adm = Admission::new(config(1, 1, 10, 100), 100);
    let _running = adm.admit("a").await.unwrap();
    let started = Instant::now();
    let e = adm.admit("b").await.err().expect("refused");
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(e.reason, "waited too long for a slot");
    assert_eq!(adm.load(), (1, 0));
}

#[tokio::test]
async fn one_tenant_cannot_fill_the_queue() {
    let adm = Admission::new(config(1, 1, 4, 5_000), 100);
    let _running = adm.admit("a").await.unwrap();
    let mut waiting = Vec::new();
    for _ in 0..2 {
        let a = adm.clone();
        waiting.push(tokio::spawn(async move { a.admit("b").await.map(drop) }));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(adm.admit("b").await.is_err(), "b holds half the queue");
    let a = adm.clone();
    let other = tokio::spawn(async move { a.admit("c").await.map(drop) });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(adm.load(), (1, 3));
    drop(_running);
    other.await.unwrap().unwrap();
    for w in waiting {
        w.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn the_least_served_tenant_goes_first() {
    let adm = Admission::new(config(1, 1, 100, 5_000), 100);
    // Tenant "heavy" has used 50 ms; "light" has used nothing.
    let p = adm.admit("heavy").await.unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for name in ["heavy", "heavy", "light"] {
        let (a, order) = (adm.clone(), order.clone());
        tasks.push(tokio::spawn(async move {
            let permit = a.admit(name).await.unwrap();
            order.lock().unwrap().push(name);
            drop(permit);
        }));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(p);
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(order.lock().unwrap()[0], "light");
}

#[tokio::test]
async fn a_long_call_is_charged_eight_times_over() {
    let adm = Admission::new(config(2, 1, 100, 5_000), 100);
    let mut long = adm.admit("hog").await.unwrap();
    std::thread::sleep(Duration::from_millis(10));
    // Alone, a check-in keeps the slot.
    assert_eq!(long.check_in(), Duration::ZERO);
    std::thread::sleep(Duration::from_millis(10));
    drop(long);
    let before = adm.lock().tenants["hog"].used;
    // 20 ms of real time, all of it charged at the long-call weight.
    assert!(before >= 160_000_000, "{before}");
    // A call that never checks in is charged its time once.
    let short = adm.admit("hog").await.unwrap();
    std::thread::sleep(Duration::from_millis(10));
    drop(short);
    let charged = adm.lock().tenants["hog"].used - before;
    assert!((10_000_000..40_000_000).contains(&charged), "{charged}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_call_yields_to_a_waiting_tenant() {
    let adm = Admission::new(config(1, 1, 100, 5_000), 100);
    let mut long = adm.admit("hog").await.unwrap();
    let runner = tokio::task::spawn_blocking(move || {
        let mut waited = Duration::ZERO;
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(200) {
            std::thread::sleep(Duration::from_millis(2));
            waited += long.check_in();
        }
        waited
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let started = Instant::now();
    let p = adm.admit("light").await.unwrap();
    let admitted_in = started.elapsed();
    tokio::time::sleep(Duration::from_millis(30)).await;
    drop(p);
    let waited = runner.await.unwrap();
    assert!(admitted_in < Duration::from_millis(50), "{admitted_in:?}");
    assert!(waited >= Duration::from_millis(25), "{waited:?}");
    assert_eq!(adm.load(), (0, 0));
}
