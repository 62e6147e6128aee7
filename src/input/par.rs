//! Work over many items on rayon's pool, and over few on the calling
//! thread; threads placed on another processor than the calling one.
//!
//! Starting the pool and waking its threads costs more than a province's
//! work: its 28 units' rows, names or table are done before the threads
//! would have woken. Every `par_iter` starts the pool, even over one item.

use rayon::prelude::*;

/// `f` of every item, in order: on the calling thread when there are at
/// most `per_task` items, else in parallel, at least `per_task` items a task.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], per_task: usize, f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    if items.len() <= per_task {
        items.iter().map(f).collect()
    } else {
        unpinned(|| items.par_iter().with_min_len(per_task.max(1)).map(f).collect())
    }
}

/// Sorts `items` by `by` (not stably): on the calling thread below
/// 65,536 items, else on every processor (a national year's ranks and
/// rows).
pub(crate) fn sort_unstable_by<T: Send>(items: &mut [T], by: impl Fn(&T, &T) -> std::cmp::Ordering + Sync) {
    if items.len() < 1 << 16 {
        items.sort_unstable_by(by);
    } else {
        unpinned(|| items.par_sort_unstable_by(by));
    }
}

/// Spawns `f` on `scope` on another processor than the caller's, when
/// there is one it may run on, and lets it start there at once.
///
/// Linux starts a new thread on its parent's processor, or beside it,
/// and moves it only at a balancing tick, milliseconds later: a province's
/// load is over by then. Started on the parent's processor, a thread ran
/// only once its parent waited for it; two threads of 2 ms of work each
/// took 4 ms together, and 2.1 ms once the second moves itself (a move of
/// about 0.1 ms). So the new thread moves itself off the caller's
/// processor first, and the caller yields its processor once so that a
/// thread placed beside it gets there.
pub(crate) fn spawn_beside<'scope, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    f: impl FnOnce() -> T + Send + 'scope,
) -> std::thread::ScopedJoinHandle<'scope, T> {
    let here = Processor::here();
    let handle = scope.spawn(move || {
        here.move_off();
        reserve_heap(THREAD_HEAP);
        f()
    });
    std::thread::yield_now();
    handle
}

/// The heap a thread [spawned beside](spawn_beside) the caller reserves as
/// it starts. A thread's first allocation gives it a heap of its own (an
/// arena of the C library's allocator) that grows by the page as it is
/// used, one `mprotect` a page: 128 for the self-assessment's thread of the
/// 2023 province. Each takes the lock on the process's memory map that the
/// other threads' page faults wait for. Reserved at once, it grows in one.
const THREAD_HEAP: usize = 1 << 20;

/// Reserves the heap of a process before its threads start, so that
/// neither it nor theirs grows by the page:
/// - a block above the size the C library maps apart (128 KiB at first)
///   is made and freed, which raises that size, and the size above which
///   a heap's free end is handed back, to the block's and twice that;
/// - 2 MiB of the main heap are then reserved at once, where it grew by
///   128 KiB (16 `brk` calls for the 2023 province, 6 with it).
///
/// With [`THREAD_HEAP`], the 2023 province's `score` made 11 `mprotect`
/// calls instead of 156, and took 0.93–0.95× the time (medians of two
/// rounds of 300 alternated runs).
pub fn reserve_process_heap() {
    reserve_heap(4 << 20);
    reserve_heap(2 << 20);
}

/// Reserves `bytes` of the calling thread's heap: allocated and freed at
/// once, untouched. Below the size freed ends are handed back at, the
/// block stays the heap's.
fn reserve_heap(bytes: usize) {
    drop(std::hint::black_box(Vec::<u8>::with_capacity(bytes)));
}

#[cfg(target_os = "linux")]
thread_local! {
    /// The processors a thread that [stays](Stay) on one could run on before.
    static BEFORE_STAY: std::cell::Cell<Option<rustix::thread::CpuSet>> = const { std::cell::Cell::new(None) };
}

/// `f`, which may use rayon's pool, run where the calling thread could
/// run before it [stayed](Stay) on one processor: the pool's threads,
/// started by the first job given to it, take their processors from the
/// thread that starts them, and must not all be kept on one.
pub(crate) fn unpinned<T>(f: impl FnOnce() -> T) -> T {
    #[cfg(target_os = "linux")]
    if let Some(before) = BEFORE_STAY.get() {
        let _ = rustix::thread::sched_setaffinity(None, &before);
        let got = f();
        let _ = pin_here();
        return got;
    }
    f()
}

/// Keeps the calling thread on the processor it runs on now.
#[cfg(target_os = "linux")]
fn pin_here() -> rustix::io::Result<()> {
    let mut one = rustix::thread::CpuSet::new();
    one.set(rustix::thread::sched_getcpu());
    rustix::thread::sched_setaffinity(None, &one)
}

/// Keeps the calling thread on the processor it runs on until dropped,
/// then lets it run anywhere it could before: while a province loads, so
/// that the threads [spawned beside it](spawn_beside) keep the others. A
/// thread woken from a wait is often moved to the processor of the thread
/// that woke it, and there it waited for the threads beside it while its
/// own processor stood idle.
pub(crate) struct Stay(#[cfg(target_os = "linux")] Option<rustix::thread::CpuSet>);

impl Stay {
    pub(crate) fn here() -> Stay {
        #[cfg(target_os = "linux")]
        {
            let before = rustix::thread::sched_getaffinity(None).ok().filter(|set| set.count() > 1);
            let pinned = before.as_ref().and_then(|_| pin_here().ok());
            // Already kept on one (a stay within a stay): nothing to undo.
            let before = pinned.and(before);
            if before.is_some() {
                BEFORE_STAY.set(before);
            }
            Stay(before)
        }
        #[cfg(not(target_os = "linux"))]
        Stay()
    }
}

impl Drop for Stay {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        if let Some(before) = &self.0 {
            let _ = rustix::thread::sched_setaffinity(None, before);
            BEFORE_STAY.set(None);
        }
    }
}

/// Where a thread spawned beside the caller goes: the processors the
/// caller could run on (before it [stayed](Stay) on one) but its own.
#[derive(Clone, Copy)]
struct Processor(#[cfg(target_os = "linux")] Option<rustix::thread::CpuSet>);

impl Processor {
    /// Beside the calling thread.
    fn here() -> Processor {
        #[cfg(target_os = "linux")]
        {
            let allowed = BEFORE_STAY.get().or_else(|| rustix::thread::sched_getaffinity(None).ok());
            let here = rustix::thread::sched_getcpu();
            Processor(allowed.filter(|set| set.is_set(here) && set.count() > 1).map(|mut set| {
                set.unset(here);
                set
            }))
        }
        #[cfg(not(target_os = "linux"))]
        Processor()
    }

    /// Moves the calling thread there (nowhere else: it stays).
    fn move_off(self) {
        #[cfg(target_os = "linux")]
        if let Some(set) = &self.0 {
            let _ = rustix::thread::sched_setaffinity(None, set);
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn allowed() -> usize {
        rustix::thread::sched_getaffinity(None).map(|s| s.count() as usize).unwrap_or(0)
    }

    #[test]
    fn a_stay_pins_until_dropped_and_lets_the_pool_start_anywhere() {
        // On a thread of its own: the test harness's threads are shared.
        std::thread::spawn(|| {
            let before = allowed();
            {
                let _stay = Stay::here();
                let want = if before > 1 { 1 } else { before };
                assert_eq!(allowed(), want, "kept on one processor while it stays");
                assert_eq!(unpinned(allowed), before, "a job for the pool runs where the thread could run before");
                assert_eq!(allowed(), want, "and the thread stays again after it");
            }
            assert_eq!(allowed(), before, "free again once the stay ends");
        })
        .join()
        .unwrap();
    }

    #[test]
    fn a_thread_spawned_beside_runs_off_the_callers_processor() {
        std::thread::spawn(|| {
            let before = rustix::thread::sched_getaffinity(None).unwrap();
            let _stay = Stay::here();
            let here = rustix::thread::sched_getcpu();
            let theirs = std::thread::scope(|s| spawn_beside(s, || rustix::thread::sched_getaffinity(None).unwrap()).join().unwrap());
            if before.count() > 1 {
                assert!(!theirs.is_set(here), "not on the caller's processor {here}");
                assert!(theirs.count() >= 1);
            }
        })
        .join()
        .unwrap();
    }
}
