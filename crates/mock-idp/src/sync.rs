//! The provider's one rule for poisoned locks, in one place.
//!
//! A std lock is poisoned when a thread panicked while holding it. Here that thread is a request
//! handler (or a test), and the data behind every lock of a tenant is kept consistent by each
//! operation finishing its change under one guard, so a panic leaves at worst one request's
//! change half done. Refusing every later request (or panicking again) would take a whole tenant,
//! or the provider, down for the rest of a test run because of one bad request. So poisoning is
//! ignored: the guard is recovered with `PoisonError::into_inner` and the request goes on. Every
//! lock of the provider is taken through these helpers; none decides otherwise on its own.

use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Locks `m`, recovering the guard if a holder panicked.
pub(crate) fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Read-locks `l`, recovering the guard if a writer panicked.
pub(crate) fn read<T: ?Sized>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}

/// Write-locks `l`, recovering the guard if a holder panicked.
pub(crate) fn write<T: ?Sized>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_under_the_lock_does_not_close_it() {
        let m = Mutex::new(1);
        let l = RwLock::new(1);
        let _ = std::panic::catch_unwind(|| {
            let _g = m.lock().unwrap();
            let _w = l.write().unwrap();
            panic!("a handler panicked");
        });
        assert!(m.is_poisoned() && l.is_poisoned());
        *lock(&m) += 1;
        *write(&l) += 1;
        assert_eq!((*lock(&m), *read(&l)), (2, 2));
    }
}
