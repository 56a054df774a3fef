//! Free loopback ports for servers and for the client's active-mode range.
//!
//! Tests run in parallel threads and parallel processes, so a range is chosen at a random
//! base, every port in it is checked by binding, and a process-wide registry keeps two
//! servers of one test binary from ever sharing a port.

use std::collections::HashSet;
use std::hash::{BuildHasher as _, Hasher as _};
use std::net::TcpListener;
use std::sync::Mutex;

static TAKEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// 20000-32699: above the usual service ports and below Linux's ephemeral range
/// (32768-60999), so an outgoing connection's local port never lands in a test's range.
fn usable(port: u16) -> bool {
    (20000..32700).contains(&port)
}

fn random_u64() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.finish()
}

fn bindable(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// `n` consecutive free TCP ports on loopback, reserved for this process.
pub fn free_port_range(n: u16) -> (u16, u16) {
    assert!((1..=200).contains(&n));
    for _ in 0..500 {
        let base = 20000 + (random_u64() % 12700) as u16;
        let last = base + n - 1;
        if !(usable(base) && usable(last)) {
            continue;
        }
        let mut taken = TAKEN.lock().unwrap();
        let taken = taken.get_or_insert_with(HashSet::new);
        if (base..=last).any(|p| taken.contains(&p)) {
            continue;
        }
        if (base..=last).all(bindable) {
            taken.extend(base..=last);
            return (base, last);
        }
    }
    panic!("no free range of {n} loopback ports found after 500 tries");
}

pub fn free_port() -> u16 {
    free_port_range(1).0
}
