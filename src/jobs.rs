//! Independent jobs on threads (natively, `--jobs N`): each job's result lands in its own slot,
//! so the outcome does not depend on how many threads ran them or in which order they finished.
//! Jobs tell the caller's thread what they do through messages, which it handles as they come.
//! In the page, jobs run on a pool of Web Workers instead (see `www/pool.js`).

/// How many threads `jobs: 0` means: every core this process may use.
pub fn threads(jobs: usize) -> usize {
    if jobs > 0 {
        return jobs;
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
    #[cfg(target_arch = "wasm32")]
    {
        1
    }
}

/// Runs `job(i, tell)` for every `i` of `order` (started in that order) on up to `threads`
/// threads; `tell` sends a message that `on_message` handles on the calling thread. Returns the
/// results indexed by `i` (`order` must be a permutation of `0..order.len()`).
#[cfg(not(target_arch = "wasm32"))]
pub fn parallel<T: Send, M: Send>(
    threads: usize,
    order: &[usize],
    job: impl Fn(usize, &dyn Fn(M)) -> T + Sync,
    on_message: &mut dyn FnMut(M),
) -> Vec<T> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;
    enum Msg<T, M> {
        Told(M),
        Done(usize, T),
    }
    let n = order.len();
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<Msg<T, M>>();
    let mut slots: Vec<Option<T>> = (0..n).map(|_| None).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, n.max(1)) {
            let tx = tx.clone();
            let (next, job) = (&next, &job);
            scope.spawn(move || {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&i) = order.get(k) else { break };
                    let tell = |m: M| {
                        let _ = tx.send(Msg::Told(m));
                    };
                    let out = job(i, &tell);
                    if tx.send(Msg::Done(i, out)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for msg in rx {
            match msg {
                Msg::Told(m) => on_message(m),
                Msg::Done(i, out) => slots[i] = Some(out),
            }
        }
    });
    slots
        .into_iter()
        .map(|s| s.expect("every job ran (a panicking job panics the caller first)"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_in_job_order_whatever_the_threads() {
        let order: Vec<usize> = (0..23).rev().collect();
        let square = |i: usize, tell: &dyn Fn(usize)| {
            tell(i);
            i * i
        };
        let mut told = Vec::new();
        let one = parallel(1, &order, square, &mut |m| told.push(m));
        // One thread takes the jobs in the order given.
        assert_eq!(told, order);
        let mut count = 0;
        let four = parallel(4, &order, square, &mut |_| count += 1);
        assert_eq!(count, 23);
        assert_eq!(one, four);
        assert_eq!(one, (0..23).map(|i| i * i).collect::<Vec<_>>());
        assert!(parallel(3, &[], square, &mut |_| {}).is_empty());
    }
}
