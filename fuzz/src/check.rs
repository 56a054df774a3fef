//! Properties every listing entry has, whatever format produced it.

use skiff::proto::listing::{
    Entry, ListingFormat, ListingLimits, ListingParser, ListingTooLarge, MAX_LINE_BYTES,
    ServerType, Timestamp, parse_listing,
};

use crate::Chunked;

/// Parses `input` whole and in its chunks, checks that both give the same entries, no more
/// entries than lines, and every entry sane; returns the bytes and the entries.
pub fn listing_parses_alike_whole_and_chunked(
    input: &Chunked<'_>,
    format: ListingFormat,
    server: ServerType,
    now: Timestamp,
) -> (Vec<u8>, Vec<Entry>) {
    let whole_bytes = input.joined();
    let whole = parse_listing(&whole_bytes, format, server, now);
    let mut parser = ListingParser::new(format, server, now);
    for chunk in &input.chunks {
        parser.push(chunk);
    }
    assert_eq!(parser.finish(), whole, "chunking changed the entries");
    let lines = whole_bytes.split(|&b| b == b'\n').count();
    assert!(whole.len() <= lines);
    whole.iter().for_each(entry_is_sane);
    listing_caps_hold(input, format, server, now, &whole);
    (whole_bytes, whole)
}

/// Under caps of exactly the listing's size (half of it, for inputs of even length) the
/// parser never holds more entries than allowed; a listing within its caps gives exactly
/// the uncapped entries, and one past them says which cap it passed.
fn listing_caps_hold(
    input: &Chunked<'_>,
    format: ListingFormat,
    server: ServerType,
    now: Timestamp,
    uncapped: &[Entry],
) {
    let total: usize = input.chunks.iter().map(|c| c.len()).sum();
    let share = if total.is_multiple_of(2) { 2 } else { 1 };
    let limits = ListingLimits {
        max_bytes: (total as u64 / share).max(1),
        max_entries: (uncapped.len() / share as usize).max(1),
        min_rate: 0,
    };
    let mut parser = ListingParser::new(format, server, now).with_limits(limits);
    for chunk in &input.chunks {
        parser.push(chunk);
    }
    let passed = parser.too_large();
    let entries = parser.finish();
    assert!(entries.len() <= limits.max_entries, "past the entry cap");
    match passed {
        None => assert_eq!(entries, uncapped, "a listing within its caps changed"),
        Some(ListingTooLarge::Bytes { limit }) => assert_eq!(limit, limits.max_bytes),
        Some(ListingTooLarge::Entries { limit }) => assert_eq!(limit, limits.max_entries),
    }
    if total as u64 > limits.max_bytes {
        assert!(
            passed.is_some(),
            "{total} bytes passed a {} byte cap",
            limits.max_bytes
        );
    }
    if share == 1 {
        assert_eq!(passed, None, "a listing exactly at its caps is within them");
    }
}

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
