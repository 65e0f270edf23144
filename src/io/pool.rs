//! Recycled byte buffers for the hot paths (reader batches, shard blocks).
//!
//! Every batch of input lines and every block of output records is a buffer of about a
//! megabyte. Allocating each afresh makes the allocator hand back new pages that the kernel
//! must zero, and growing them copies; a pool of cleared buffers keeps the same few in use for
//! the whole run. The pool is bounded, so it never holds more than `max` idle buffers.

use std::sync::Mutex;

/// A bounded pool of cleared `Vec<u8>` buffers shared by threads.
#[derive(Debug)]
pub struct BufPool {
    idle: Mutex<Vec<Vec<u8>>>,
    max: usize,
}

impl BufPool {
    /// A pool keeping at most `max` idle buffers.
    pub fn new(max: usize) -> BufPool {
        BufPool {
            idle: Mutex::new(Vec::new()),
            max,
        }
    }

    /// An empty buffer with at least `capacity` bytes reserved: a recycled one when available.
    pub fn get(&self, capacity: usize) -> Vec<u8> {
        let recycled = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match recycled {
            Some(mut b) => {
                b.reserve(capacity);
                b
            }
            None => Vec::with_capacity(capacity),
        }
    }

    /// Returns a buffer to the pool (dropped when the pool is full).
    pub fn put(&self, mut buf: Vec<u8>) {
        if buf.capacity() == 0 {
            return;
        }
        buf.clear();
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < self.max {
                idle.push(buf);
            }
        }
    }
}

impl Default for BufPool {
    fn default() -> BufPool {
        BufPool::new(64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recycles_cleared_buffers_up_to_the_bound() {
        let pool = BufPool::new(1);
        let mut a = pool.get(16);
        a.extend_from_slice(b"abc");
        let ptr = a.as_ptr();
        pool.put(a);
        pool.put(vec![1, 2, 3]); // over the bound: dropped
        let b = pool.get(8);
        assert!(b.is_empty());
        assert_eq!(b.as_ptr(), ptr);
        assert!(pool.get(8).capacity() >= 8);
    }
}
