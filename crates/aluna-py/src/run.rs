//! Running core work away from the GIL: in a chosen thread pool, interruptible with Ctrl-C, with
//! panics caught and reported as `InternalError`, never as pyo3's `PanicException`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;

use aluna_core::parallel::{install, Cancel};
use pyo3::prelude::*;

use crate::errors::{to_py_err, InternalError};

/// How often the waiting caller wakes to let Python handle signals.
const POLL: Duration = Duration::from_millis(100);

/// Run `work` with the GIL released, on a pool of `threads` threads (`None`: rayon's global pool).
///
/// Python runs signal handlers only on its main thread, so the work runs on a helper thread while
/// the caller wakes every 100 ms to check for Ctrl-C; on an interrupt it sets the [`Cancel`] flag,
/// which algorithms poll between items, waits for the work to stop and raises
/// `KeyboardInterrupt`.
pub(crate) fn run_detached<T, W>(py: Python<'_>, threads: Option<usize>, work: W) -> PyResult<T>
where
    T: Send,
    W: FnOnce(&Cancel) -> aluna_core::Result<T> + Send,
{
    let cancel = Cancel::new();
    let (tx, mut rx) = mpsc::channel();
    std::thread::scope(|scope| {
        let cancel_ref = &cancel;
        scope.spawn(move || {
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                install(threads, || work(cancel_ref)).and_then(|r| r)
            }));
            // The receiver outlives this scope; a failed send means nobody waits any more.
            let _ = tx.send(outcome);
        });
        let mut interrupt: Option<PyErr> = None;
        loop {
            // The receiver is Send but not Sync: move it into the detached wait and back.
            let (received, back) = py.detach(move || (rx.recv_timeout(POLL), rx));
            rx = back;
            match received {
                Ok(Ok(Ok(value))) => return interrupt.map_or(Ok(value), Err),
                Ok(Ok(Err(err))) => return Err(interrupt.unwrap_or_else(|| to_py_err(err))),
                Ok(Err(_panic)) => return Err(InternalError::new_err(
                    "aluna hit an internal error; please report it with the call that caused it",
                )),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if interrupt.is_none() {
                        if let Err(err) = py.check_signals() {
                            cancel.cancel();
                            interrupt = Some(err);
                        }
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(InternalError::new_err(
                        "aluna's worker thread stopped unexpectedly",
                    ))
                }
            }
        }
    })
}
