//! The provider's one rule for poisoned locks, in one place.
//!
//! A std lock is poisoned when a thread panicked while holding it. Here that thread is a request
//! handler (or a test), and the data behind every lock of a tenant is kept consistent by each
//! operation finishing its change under one guard, so a panic leaves at worst one request's
//! change half done. Refusing every later request (or panicking again) would take a whole tenant,
//! or the provider, down for the rest of a test run because of one bad request. So poisoning is
//! ignored: the guard is recovered with `PoisonError::into_inner` and the request goes on. Every
//! lock of the provider is taken through these helpers; none decides otherwise on its own.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
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

/// A mutex whose holders keep a flag readable without the lock: `pending(&T)` of the value
/// as the last guard left it. For state that every request asks about and that is almost
/// always empty (scheduled key operations, armed faults): a plain load of a flag nobody writes
/// stays in each core's cache, where locking moves the mutex's line between cores.
#[derive(Debug)]
pub(crate) struct Flagged<T> {
    value: Mutex<T>,
    flag: AtomicBool,
    pending: fn(&T) -> bool,
}

impl<T> Flagged<T> {
    /// `value` behind the lock, its flag computed with `pending`.
    pub(crate) fn new(value: T, pending: fn(&T) -> bool) -> Flagged<T> {
        let flag = AtomicBool::new(pending(&value));
        Flagged {
            value: Mutex::new(value),
            flag,
            pending,
        }
    }

    /// Locks the value (poisoning ignored, as `lock`).
    pub(crate) fn lock(&self) -> FlaggedGuard<'_, T> {
        FlaggedGuard {
            guard: lock(&self.value),
            owner: self,
        }
    }

    /// `pending` of the value as the last guard left it, without locking. A change that a
    /// guard is still making may not show yet: the caller is then ordered before it.
    pub(crate) fn pending(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }
}

/// The guard of a [`Flagged`]: on release it stores the flag, before the lock is let go.
pub(crate) struct FlaggedGuard<'a, T> {
    guard: MutexGuard<'a, T>,
    owner: &'a Flagged<T>,
}

impl<T> Deref for FlaggedGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for FlaggedGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T> Drop for FlaggedGuard<'_, T> {
    fn drop(&mut self) {
        // Runs before the field `guard` is dropped, so still under the lock.
        let pending = (self.owner.pending)(&self.guard);
        if self.owner.flag.load(Ordering::Relaxed) != pending {
            self.owner.flag.store(pending, Ordering::Release);
        }
    }
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

    #[test]
    fn a_flagged_value_shows_what_its_last_guard_left() {
        let f = Flagged::new(vec![1], |v: &Vec<i32>| !v.is_empty());
        assert!(f.pending());
        f.lock().clear();
        assert!(!f.pending());
        {
            let mut g = f.lock();
            g.push(2);
            // Not yet released: the flag still says what the last guard left.
            assert!(!f.pending());
        }
        assert!(f.pending());
        let _ = std::panic::catch_unwind(|| {
            let mut g = f.lock();
            g.clear();
            panic!("a handler panicked");
        });
        assert!(!f.pending(), "a guard dropped by a panic still stores the flag");
        f.lock().push(3);
        assert!(f.pending());
    }
}
