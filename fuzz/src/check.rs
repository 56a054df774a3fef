//! Properties every listing entry has, whatever format produced it.

use skiff::proto::listing::{Entry, MAX_LINE_BYTES, Timestamp};

/// A name is addressable and came from one (possibly VMS-joined) line; a date is a real
/// calendar date and renders without overflow.
pub fn entry_is_sane(entry: &Entry) {
    assert!(!entry.name.is_empty(), "a nameless entry");
    assert!(!entry.name.contains(&b'\n'), "a name holds a line feed");
    assert!(
        entry.name.len() <= 2 * MAX_LINE_BYTES + 1,
        "a name past two lines"
    );
    if let Some(target) = &entry.link_target {
        assert!(!target.contains(&b'\n'), "a link target holds a line feed");
    }
    if let Some(t) = entry.modified {
        timestamp_is_valid(t);
    }
    let _ = entry.name_lossy();
}

pub fn timestamp_is_valid(t: Timestamp) {
    assert_eq!(
        Timestamp::new(
            t.year,
            t.month,
            t.day,
            t.hour,
            t.minute,
            t.second,
            t.precision
        ),
        Some(t),
        "an impossible date"
    );
    let _ = t.to_unix_secs();
    let _ = t.to_rfc3339();
    let _ = t.to_string();
}
