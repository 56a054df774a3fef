//! Frame times of the real window with a 100,000-entry remote folder, listed once by a LIST
//! server (vsftpd) and once by an MLSD server (pure-ftpd): the frames while the listing
//! arrives, idle, scrolling, sorting by each column (ascending and descending clicks), and
//! the quick filter typed a character per frame and erased. Printed (median, p95 and max of
//! single frames), never asserted. The folders are listed by real servers on loopback (run
//! as root: the servers chroot), through the engine, exactly as the window does; the frames
//! run through egui_kittest without a display, so a figure is egui's layout and the app's
//! own work, without the GPU.
//!
//!     sudo cargo bench --bench gui_frames
//!
//! (`cargo test --all-targets` builds this and runs it without `--bench`: it then only
//! says how to run it, because it takes minutes.)

#![allow(clippy::unwrap_used, clippy::print_stdout)] // a benchmark's output is its point

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/gui_common/mod.rs"]
mod gui_common;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use common::{FtpServer, ServerKind};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use skiff::gui::SkiffApp;
use skiff::gui::pane::SortColumn;

const ENTRIES: usize = 100_000;
/// One in this many entries is a folder (they sort first whatever the column).
const DIR_EVERY: usize = 50;
/// Frames timed for idle and for scrolling.
const FRAMES: usize = 120;
/// Rounds of clicks on every column header (each round: two clicks per column).
const SORT_ROUNDS: usize = 3;
/// What is typed into the quick filter, a character per frame, then erased with Backspace.
const NEEDLES: [&str; 3] = ["report", "7_1", ".tar"];
/// No phase runs longer than this (the loops are bounded in count too).
const PHASE_LIMIT: Duration = Duration::from_secs(120);

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("gui_frames: a benchmark; run it with `sudo cargo bench --bench gui_frames`");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for (kind, name) in [
        (ServerKind::Vsftpd, "LIST (vsftpd)"),
        (ServerKind::PureFtpd, "MLSD (pure-ftpd)"),
    ] {
        let server = FtpServer::start(kind);
        let started = Instant::now();
        fill(&server.root().join("big"));
        println!(
            "\n== {name}: created {ENTRIES} entries in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        *SEEN.lock().unwrap() = (0.0, 0, 0);
        run(&rt, &server);
        let (max, over, all) = *SEEN.lock().unwrap();
        println!(
            "case window 100,000 entries, {name} | slowest frame {max:.1} ms | {over} of {all} frames over 16 ms"
        );
    }
}

/// `dir` with `ENTRIES` entries of varied names, sizes, times, permissions and owners, so
/// that sorting by any column is real work. Sizes are sparse (no disk used).
fn fill(dir: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    const WORDS: [&str; 10] = [
        "report", "IMG", "backup", "Invoice", "data", "log", "photo", "Track", "notes", "Archive",
    ];
    const EXTS: [&str; 10] = [
        ".txt", ".jpg", ".PNG", ".tar.gz", ".log", ".csv", ".mp3", "", ".dat", ".pdf",
    ];
    const MODES: [u32; 5] = [0o644, 0o600, 0o755, 0o640, 0o444];
    const OWNERS: [u32; 4] = [0, 1, 2, 65534];
    std::fs::create_dir(dir).unwrap();
    let now = SystemTime::now();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        // xorshift64*: varied, and the same folder every run.
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        seed.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    for i in 0..ENTRIES {
        let r = next();
        let word = WORDS[(r % 10) as usize];
        let ext = EXTS[((r >> 8) % 10) as usize];
        let name = format!("{word}_{:05x}_{i}{ext}", (r >> 16) & 0xf_ffff);
        let path = dir.join(name);
        let mode = MODES[((r >> 40) % 5) as usize];
        let owner = OWNERS[((r >> 44) % 4) as usize];
        let age = Duration::from_secs((r >> 20) % (10 * 365 * 86_400));
        if i % DIR_EVERY == 0 {
            std::fs::create_dir(&path).unwrap();
        } else {
            let file = std::fs::File::create(&path).unwrap();
            // Up to 16 GiB, most small: a size's magnitude is random too.
            file.set_len(next() % (1u64 << ((r >> 48) % 35))).unwrap();
            file.set_modified(now - age).unwrap();
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        std::os::unix::fs::chown(&path, Some(owner), Some(owner)).unwrap();
    }
}

/// A window connected to `server`'s `/big`: every action, timed frame by frame.
fn run(rt: &tokio::runtime::Runtime, server: &FtpServer) {
    let _enter = rt.enter();
    let local = tempfile::tempdir().unwrap();
    // The tests' window: a fresh engine, its own config folder (never the user's sites and
    // settings), the system's fonts as the real window has them.
    let mut harness = gui_common::window(rt, local.path());
    // Plain FTP allowed for this server, as a user who answered the question would have:
    // Quickconnect tries TLS first, and what is timed here is the listing.
    harness
        .state_mut()
        .prefs_mut()
        .allow_plain_ftp(format!("{}:{}", server.host(), server.port()));
    let url = server.url("/big");
    for (label, text) in [("Host:", url.as_str()), ("Password:", server.password())] {
        harness.get_by_label(label).click();
        harness.step();
        harness.get_by_label(label).type_text(text);
        harness.step();
    }

    // The listing: every frame from the click to a few frames after the rows are there.
    let listed = Instant::now();
    harness.get_by_label("Quickconnect").click();
    let mut arrival = Vec::new();
    while harness.state().model().remote.files.len() < ENTRIES {
        arrival.push(frame(&mut harness, None));
        assert!(
            listed.elapsed() < PHASE_LIMIT && arrival.len() < 100_000,
            "the listing never arrived"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let took = listed.elapsed();
    let shown_at = arrival.len() - 1;
    for _ in 0..10 {
        arrival.push(frame(&mut harness, None));
    }
    println!(
        "listed {} entries (connect, list, parse, sort) in {:.2} s, {} frames",
        harness.state().model().remote.files.len(),
        took.as_secs_f64(),
        arrival.len()
    );
    // Which frame was the slowest, counted from the one that showed the rows: a slow frame
    // before them is connecting or listing, at 0 it is showing them.
    if let Some((slowest, time)) = arrival.iter().enumerate().max_by_key(|(_, t)| **t) {
        println!(
            "slowest frame while listing: {:.2} ms, {:+} frames from the one that showed the rows",
            time.as_secs_f64() * 1000.0,
            slowest as i64 - shown_at as i64
        );
    }
    report("frames while the listing arrives", arrival);

    let rightmost = |h: &Harness<'_, SkiffApp>, label: &str| {
        h.get_all_by_label_contains(label)
            .max_by(|a, b| a.rect().left().total_cmp(&b.rect().left()))
            .unwrap()
            .rect()
            .center()
    };
    report(
        "idle",
        (0..FRAMES).map(|_| frame(&mut harness, None)).collect(),
    );
    let over_table = rightmost(&harness, "Filetype") + egui::vec2(0.0, 200.0);
    frame(&mut harness, Some(egui::Event::PointerMoved(over_table)));
    let wheel = |dy: f32| egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Line,
        delta: egui::vec2(0.0, dy),
        phase: egui::TouchPhase::Move,
        modifiers: egui::Modifiers::NONE,
        source: egui::MouseWheelSource::Wheel,
    };
    report(
        "scrolling (a wheel step per frame)",
        (0..FRAMES)
            .map(|i| {
                frame(
                    &mut harness,
                    Some(wheel(if i < FRAMES / 2 { -3.0 } else { 3.0 })),
                )
            })
            .collect(),
    );

    // Sorting: each header clicked twice (ascending, then descending), in rounds. A click is
    // two frames (press, release: the release sorts); both are timed.
    let columns = [
        (SortColumn::Size, "Filesize"),
        (SortColumn::Type, "Filetype"),
        (SortColumn::Modified, "Last modified"),
        (SortColumn::Permissions, "Permissions"),
        (SortColumn::Owner, "Owner/Group"),
        (SortColumn::Name, "Filename"),
    ];
    let headers: Vec<egui::Pos2> = columns.iter().map(|c| rightmost(&harness, c.1)).collect();
    let mut sorts: Vec<Vec<Duration>> = vec![Vec::new(); columns.len()];
    let sorting = Instant::now();
    for _ in 0..SORT_ROUNDS {
        for (c, &(column, _)) in columns.iter().enumerate() {
            frame(&mut harness, Some(egui::Event::PointerMoved(headers[c])));
            for ascending in [true, false] {
                for pressed in [true, false] {
                    let event = egui::Event::PointerButton {
                        pos: headers[c],
                        button: egui::PointerButton::Primary,
                        pressed,
                        modifiers: egui::Modifiers::NONE,
                    };
                    sorts[c].push(frame(&mut harness, Some(event)));
                }
                // The sorted rows on screen: the frame after the click is timed too.
                sorts[c].push(frame(&mut harness, None));
                assert_eq!(
                    harness.state().model().remote.files.sort(),
                    (column, ascending),
                    "the click sorted"
                );
            }
            assert!(sorting.elapsed() < PHASE_LIMIT, "sorting takes too long");
        }
    }
    for (c, times) in sorts.into_iter().enumerate() {
        report(&format!("sort by {} (click frames)", columns[c].1), times);
    }
    assert_eq!(harness.state().model().remote.files.len(), ENTRIES);

    // The quick filter: typed a character per frame, erased a character per frame.
    let filter = rightmost(&harness, "🔎") + egui::vec2(60.0, 0.0);
    frame(&mut harness, Some(egui::Event::PointerMoved(filter)));
    for pressed in [true, false] {
        frame(
            &mut harness,
            Some(egui::Event::PointerButton {
                pos: filter,
                button: egui::PointerButton::Primary,
                pressed,
                modifiers: egui::Modifiers::NONE,
            }),
        );
    }
    let mut typing = Vec::new();
    let mut erasing = Vec::new();
    let filtering = Instant::now();
    for needle in NEEDLES {
        for c in needle.chars() {
            typing.push(frame(&mut harness, Some(egui::Event::Text(c.into()))));
        }
        let narrowed = harness.state().model().remote.files.len();
        assert!(
            (1..ENTRIES).contains(&narrowed),
            "{needle:?} filtered to {narrowed} rows"
        );
        for _ in needle.chars() {
            for pressed in [true, false] {
                erasing.push(frame(
                    &mut harness,
                    Some(egui::Event::Key {
                        key: egui::Key::Backspace,
                        physical_key: None,
                        pressed,
                        repeat: false,
                        modifiers: egui::Modifiers::NONE,
                    }),
                ));
            }
        }
        assert_eq!(
            harness.state().model().remote.files.len(),
            ENTRIES,
            "the filter erased"
        );
        assert!(
            filtering.elapsed() < PHASE_LIMIT,
            "filtering takes too long"
        );
    }
    report("quick filter, typing (a character per frame)", typing);
    report("quick filter, erasing (Backspace press/release)", erasing);
}

/// One frame, with `event` (if any) as its input; how long it took.
fn frame(harness: &mut Harness<'_, SkiffApp>, event: Option<egui::Event>) -> Duration {
    if let Some(event) = event {
        harness.event(event);
    }
    let start = Instant::now();
    harness.step();
    start.elapsed()
}

/// Every frame `report` saw for the current server: the slowest, how many took over 16 ms,
/// how many in all (for the one `case` line bench/all.sh collects).
static SEEN: std::sync::Mutex<(f64, usize, usize)> = std::sync::Mutex::new((0.0, 0, 0));

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    {
        let mut seen = SEEN.lock().unwrap();
        let max = times.last().map_or(0.0, |t| t.as_secs_f64() * 1000.0);
        seen.0 = seen.0.max(max);
        seen.1 += times
            .iter()
            .filter(|t| t.as_secs_f64() * 1000.0 > 16.0)
            .count();
        seen.2 += times.len();
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = times[times.len() / 2];
    let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)];
    let over = times.iter().filter(|t| ms(**t) > 16.0).count();
    println!(
        "{what:<50} median {:6.2} ms  p95 {:6.2} ms  max {:6.2} ms  ({} frames, {over} over 16 ms)",
        ms(median),
        ms(p95),
        ms(*times.last().unwrap()),
        times.len()
    );
}
