//! LIST output in every format (Unix, DOS/IIS, VMS, EPLF, mainframe, ...), over arbitrary
//! bytes in arbitrary chunks, with each server-type hint and a range of "now" values.
//!
//! Input: `[hint, now, seed_hi, seed_lo, stream...]`: the hint byte picks the server type,
//! the now byte one of a few clocks (ordinary, New Year, a leap day, the ends of `i32`
//! years), the rest is `skiff_fuzz::Chunked`.
//!
//! Properties: chunked parsing equals whole parsing (VMS entries split over two lines
//! included); no more entries than lines; every entry is sane (named, no line feed, a real
//! date that renders without overflow).
#![no_main]

use libfuzzer_sys::fuzz_target;
use skiff::proto::listing::{ListingFormat, ServerType, TimePrecision, Timestamp};
use skiff_fuzz::Chunked;
use skiff_fuzz::check::listing_parses_alike_whole_and_chunked;

fn now(selector: u8) -> Option<Timestamp> {
    let (year, month, day, hour, minute, second) = match selector % 8 {
        0..=3 => (2026, 11, 25, 12, 0, 0),
        4 => (2027, 1, 1, 0, 30, 0),
        5 => (2024, 2, 29, 23, 59, 59),
        6 => (i32::MAX, 12, 31, 23, 59, 59),
        _ => (i32::MIN, 1, 1, 0, 0, 0),
    };
    Timestamp::new(
        year,
        month,
        day,
        hour,
        minute,
        second,
        TimePrecision::Second,
    )
}

fuzz_target!(|data: &[u8]| {
    let Some((&[hint, clock], rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let server = match hint % 8 {
        0..=4 => ServerType::Auto,
        5 => ServerType::Mvs,
        6 => ServerType::Zvm,
        _ => ServerType::HpNonStop,
    };
    let (Some(now), Some(input)) = (now(clock), Chunked::new(rest)) else {
        return;
    };
    listing_parses_alike_whole_and_chunked(&input, ListingFormat::List, server, now);
});
