//! MLSD streams and MLST lines (RFC 3659 facts), over arbitrary bytes in arbitrary chunks.
//!
//! Input: `[seed_hi, seed_lo, stream...]` (see `skiff_fuzz::Chunked`).
//!
//! Properties: chunked parsing equals whole parsing; no more entries than lines; every
//! entry is sane (named, a real date); and each line gives the same entry through the MLST
//! line parser as through the MLSD stream parser (which also names `cdir`/`pdir` `.`/`..`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use skiff::proto::listing::{
    ListingFormat, MAX_LINE_BYTES, ServerType, TimePrecision, Timestamp, parse_listing,
    parse_mlsx_line,
};
use skiff_fuzz::Chunked;
use skiff_fuzz::check::{entry_is_sane, listing_parses_alike_whole_and_chunked};

fuzz_target!(|data: &[u8]| {
    let Some(input) = Chunked::new(data) else {
        return;
    };
    let Some(now) = Timestamp::new(2026, 11, 25, 12, 0, 0, TimePrecision::Second) else {
        return;
    };
    let (whole_bytes, _) =
        listing_parses_alike_whole_and_chunked(&input, ListingFormat::Mlsd, ServerType::Auto, now);

    // Line by line (bounded: only the first lines of a large expanded stream).
    for line in whole_bytes.split(|&b| b == b'\n').take(64) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > MAX_LINE_BYTES {
            continue;
        }
        let alone = parse_listing(
            &[line, b"\r\n"].concat(),
            ListingFormat::Mlsd,
            ServerType::Auto,
            now,
        );
        match parse_mlsx_line(line) {
            Some(entry) => {
                entry_is_sane(&entry);
                assert!(
                    line.ends_with(&entry.name),
                    "the name is not the line's end"
                );
                assert_eq!(alone, [entry]);
            }
            None => assert!(
                alone.is_empty()
                    || (alone.len() == 1 && [&b"."[..], b".."].contains(&&alone[0].name[..])),
                "{alone:?}"
            ),
        }
    }
});
