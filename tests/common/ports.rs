//! Free loopback ports for servers and for the client's active-mode range.
//!
//! Tests run in parallel threads and parallel processes, so a range is chosen at a random
//! base, every port in it is checked by binding, and a process-wide registry keeps two
//! servers of one test binary from ever sharing a port.

use std::collections::HashSet;
use std::hash::{BuildHasher as _, Hasher as _};
use std::net::{Ipv6Addr, TcpListener};
use std::sync::{Mutex, OnceLock};

static TAKEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// 20000-32699: above the usual service ports, clear of the fixed 50000-50200 ranges of the
/// peer servers and benchmarks, and below Linux's ephemeral range (32768-60999), so that an
/// outgoing connection's local port (the kernel picks those from the ephemeral range) can
/// never land in a test server's range while the test runs.
const FIRST: u16 = 20000;
const END: u16 = 32700;

fn random_u64() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.write_u32(std::process::id());
    hasher.finish()
}

fn has_ipv6_loopback() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).is_ok())
}

/// Free on 127.0.0.1, and on ::1 too when there is one (a server may bind either).
fn bindable(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
        && (!has_ipv6_loopback() || TcpListener::bind((Ipv6Addr::LOCALHOST, port)).is_ok())
}

/// `n` consecutive free TCP ports on loopback, reserved for this process (never handed out
/// twice by one test binary). The base is random, so parallel test processes rarely collide.
pub fn free_port_range(n: u16) -> (u16, u16) {
    assert!(
        (1..=200).contains(&n),
        "free_port_range({n}): 1..=200 ports"
    );
    for _ in 0..500 {
        let base = FIRST + (random_u64() % u64::from(END - FIRST - n + 1)) as u16;
        let last = base + n - 1;
        let mut taken = TAKEN.lock().unwrap_or_else(|e| e.into_inner());
        let taken = taken.get_or_insert_with(HashSet::new);
        if (base..=last).any(|p| taken.contains(&p)) {
            continue;
        }
        if (base..=last).all(bindable) {
            taken.extend(base..=last);
            return (base, last);
        }
    }
    panic!("no free range of {n} loopback ports in {FIRST}-{END} after 500 tries");
}

/// One free loopback port, reserved like those of `free_port_range`.
pub fn free_port() -> u16 {
    free_port_range(1).0
}
