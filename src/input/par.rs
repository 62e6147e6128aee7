//! Work over many items on rayon's pool, and over few on the calling thread.
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
        items.par_iter().with_min_len(per_task.max(1)).map(f).collect()
    }
}
