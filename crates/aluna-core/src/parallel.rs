//! Thread pools, cancellation and deterministic parallel reductions.
//!
//! Floating-point addition is not associative, so a reduction that adds per-thread parts in the
//! order threads finish can change its last bits with the thread count. Here items are cut into
//! fixed-size chunks, each chunk is folded on its own, and the chunk results are combined in chunk
//! order: the result is the same for one thread or many.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::error::{Error, Result};

/// Items per chunk in [`ordered_fold`].
pub const CHUNK: usize = 64;
/// Chunks in flight at once in [`ordered_fold`]; memory is `WAVE` accumulators.
pub const WAVE: usize = 16;
/// Most chunks [`ordered_map`] cuts its items into: each chunk makes its scratch state once, and
/// per-node measures keep scratch the size of the graph, so many small chunks would spend their
/// time allocating it.
pub const MAX_MAP_CHUNKS: usize = 128;

/// A flag that a long computation polls between items to stop early.
///
/// The Python binding sets it when the user presses Ctrl-C.
#[derive(Debug, Default)]
pub struct Cancel(AtomicBool);

impl Cancel {
    /// A flag that is not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ask the computation to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether stopping was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// `Err(Error::Cancelled)` once stopping was asked for.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }
}

fn pools() -> &'static Mutex<BTreeMap<usize, Arc<rayon::ThreadPool>>> {
    static POOLS: std::sync::OnceLock<Mutex<BTreeMap<usize, Arc<rayon::ThreadPool>>>> =
        std::sync::OnceLock::new();
    POOLS.get_or_init(|| Mutex::new(BTreeMap::new()))
}

/// Run `work` on a rayon pool with `threads` threads (`None`: rayon's global pool, sized by
/// `RAYON_NUM_THREADS` or the number of cores). Pools are built once per size and reused.
pub fn install<T: Send>(threads: Option<usize>, work: impl FnOnce() -> T + Send) -> Result<T> {
    let Some(n) = threads else {
        return Ok(work());
    };
    if n == 0 {
        return Err(Error::argument(
            "threads",
            "must be at least 1 (or None for all cores)",
        ));
    }
    let pool = {
        let mut map = pools()
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match map.get(&n) {
            Some(pool) => Arc::clone(pool),
            None => {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .thread_name(move |i| format!("aluna-{n}-{i}"))
                    .build()
                    .map_err(|e| Error::argument("threads", e.to_string()))?;
                let pool = Arc::new(pool);
                map.insert(n, Arc::clone(&pool));
                pool
            }
        }
    };
    Ok(pool.install(work))
}

/// Fixed-size ranges covering `0..n`, `size` items each (the last may be shorter).
pub fn chunks(n: usize, size: usize) -> Vec<Range<usize>> {
    let size = size.max(1);
    (0..n.div_ceil(size))
        .map(|c| c * size..((c + 1) * size).min(n))
        .collect()
}

/// The index of the first item of `values` for which `bad` holds, scanning blocks of 2^16 items
/// in parallel (each block sequentially, so the per-item cost is that of a plain loop; rayon's
/// `position_first` checks a shared flag at every item).
///
/// # Example
/// ```
/// use aluna_core::parallel::first_position;
/// let v: Vec<f64> = (0..200_000).map(|i| if i == 150_001 { f64::NAN } else { 1.0 }).collect();
/// assert_eq!(first_position(&v, |x| x.is_nan()), Some(150_001));
/// assert_eq!(first_position(&v[..10], |x| x.is_nan()), None);
/// ```
pub fn first_position<T: Sync>(values: &[T], bad: impl Fn(&T) -> bool + Sync) -> Option<usize> {
    const BLOCK: usize = 1 << 16;
    let found: Vec<Option<usize>> = values
        .par_chunks(BLOCK)
        .enumerate()
        .map(|(b, block)| block.iter().position(&bad).map(|k| b * BLOCK + k))
        .collect();
    found.into_iter().flatten().next()
}

/// Fold items `0..n` into a vector of `len` floats, in parallel, with a result that does not
/// depend on the number of threads.
///
/// `state` makes the scratch space one chunk reuses across its items (a BFS queue, distance
/// arrays); `add(item, &mut scratch, &mut acc)` adds one item's share to the chunk's accumulator.
/// Chunks of [`CHUNK`] items run [`WAVE`] at a time and are summed into the total in chunk order.
/// Between chunks the cancel flag is polled.
///
/// ```
/// use aluna_core::parallel::{ordered_fold, Cancel};
/// let cancel = Cancel::new();
/// let total = ordered_fold(1000, 2, &cancel, || (), |i, _, acc| {
///     acc[0] += 0.1 * i as f64;
///     acc[1] += 1.0;
/// }).unwrap();
/// assert_eq!(total[1], 1000.0);
/// ```
pub fn ordered_fold<S, MakeState, Add>(
    n: usize,
    len: usize,
    cancel: &Cancel,
    state: MakeState,
    add: Add,
) -> Result<Vec<f64>>
where
    MakeState: Fn() -> S + Sync,
    Add: Fn(usize, &mut S, &mut [f64]) + Sync,
{
    let ranges = chunks(n, CHUNK);
    let mut total = vec![0.0; len];
    for wave in ranges.chunks(WAVE) {
        cancel.check()?;
        let parts: Vec<Vec<f64>> = wave
            .par_iter()
            .map(|range| {
                let mut scratch = state();
                let mut acc = vec![0.0; len];
                for item in range.clone() {
                    if cancel.is_cancelled() {
                        break;
                    }
                    add(item, &mut scratch, &mut acc);
                }
                acc
            })
            .collect();
        cancel.check()?;
        for part in &parts {
            total.iter_mut().zip(part).for_each(|(t, x)| *t += x);
        }
    }
    Ok(total)
}

/// Map items `0..n` in parallel, keeping item order, polling `cancel` between items.
///
/// Items are cut into at most [`MAX_MAP_CHUNKS`] chunks of at least [`CHUNK`] items; each chunk
/// makes its scratch state once with `state`, and `f(item, &mut scratch)` computes an item's
/// value (leaving the scratch as it needs to find it). Each value is computed by one thread,
/// so the output is the same, in item order, whatever the thread count.
pub fn ordered_map<T, S, MakeState, F>(
    n: usize,
    cancel: &Cancel,
    state: MakeState,
    f: F,
) -> Result<Vec<T>>
where
    T: Send,
    MakeState: Fn() -> S + Sync,
    F: Fn(usize, &mut S) -> T + Sync,
{
    let ranges = chunks(n, n.div_ceil(MAX_MAP_CHUNKS).max(CHUNK));
    let parts: Vec<Vec<T>> = ranges
        .par_iter()
        .map(|range| {
            let mut scratch = state();
            let mut out = Vec::with_capacity(range.len());
            for item in range.clone() {
                if cancel.is_cancelled() {
                    break;
                }
                out.push(f(item, &mut scratch));
            }
            out
        })
        .collect();
    cancel.check()?;
    Ok(parts.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum_of_thirds(threads: usize) -> Vec<f64> {
        install(Some(threads), || {
            ordered_fold(
                10_000,
                3,
                &Cancel::new(),
                || 0usize,
                |i, calls, acc| {
                    *calls += 1;
                    acc[i % 3] += 1.0 / (i as f64 + 3.0);
                },
            )
        })
        .unwrap()
        .unwrap()
    }

    #[test]
    fn fold_is_identical_for_any_thread_count() {
        let one = sum_of_thirds(1);
        for threads in [2, 3, 8] {
            let many = sum_of_thirds(threads);
            assert_eq!(
                one.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                many.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn map_keeps_order() {
        let out = install(Some(4), || {
            ordered_map(1000, &Cancel::new(), || (), |i, _| i * 2)
        })
        .unwrap()
        .unwrap();
        assert_eq!(out, (0..1000).map(|i| i * 2).collect::<Vec<_>>());
    }

    #[test]
    fn cancelled_fold_returns_cancelled() {
        let cancel = Cancel::new();
        cancel.cancel();
        let err = ordered_fold(10, 1, &cancel, || (), |_, _, _| {}).unwrap_err();
        assert_eq!(err, Error::Cancelled);
    }

    #[test]
    fn zero_threads_is_an_argument_error() {
        assert!(matches!(
            install(Some(0), || ()),
            Err(Error::InvalidArgument {
                name: "threads",
                ..
            })
        ));
    }

    #[test]
    fn chunks_cover_range() {
        assert_eq!(chunks(5, 2), vec![0..2, 2..4, 4..5]);
        assert!(chunks(0, 64).is_empty());
    }
}
