//! Frame times of the real window with a 100,000-entry remote folder: idle, scrolling,
//! sorting by a column, and filtering. Printed, never asserted. The folder is listed by a
//! real vsftpd on loopback (run as root: vsftpd chroots), through the engine, exactly as
//! the window does; the frames run through egui_kittest without a display, so a figure is
//! egui's layout and the app's own work, without the GPU.
//!
//!     sudo cargo bench --bench gui_frames
//!
//! (`cargo test --all-targets` builds this and runs it without `--bench`: it then only
//! says how to run it, because it takes a minute.)

#![allow(clippy::unwrap_used, clippy::print_stdout)] // a benchmark's output is its point

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/gui_common/mod.rs"]
mod gui_common;

use std::time::{Duration, Instant};

use common::{FtpServer, ServerKind};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use skiff::gui::SkiffApp;

const ENTRIES: usize = 100_000;
const FRAMES: usize = 120;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("gui_frames: a benchmark; run it with `sudo cargo bench --bench gui_frames`");
        return;
    }
    let server = FtpServer::start(ServerKind::Vsftpd);
    let started = Instant::now();
    let dir = server.root().join("big");
    std::fs::create_dir(&dir).unwrap();
    for i in 0..ENTRIES {
        std::fs::write(dir.join(format!("file-{i:06}.dat")), b"").unwrap();
    }
    println!(
        "created {ENTRIES} files in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let _enter = rt.enter();
    let local = tempfile::tempdir().unwrap();
    // The tests' window: a fresh engine, its own config folder (never the user's sites and
    // settings), the system's fonts as the real window has them.
    let mut harness = gui_common::window(&rt, local.path());
    let url = server.url("/big");
    for (label, text) in [("Host:", url.as_str()), ("Password:", server.password())] {
        harness.get_by_label(label).click();
        harness.step();
        harness.get_by_label(label).type_text(text);
        harness.step();
    }
    let listed = Instant::now();
    harness.get_by_label("Quickconnect").click();
    let mut frames = 0;
    while harness.state().model().remote.files.len() < ENTRIES {
        harness.step();
        frames += 1;
        assert!(
            listed.elapsed() < Duration::from_secs(120) && frames < 100_000,
            "the listing never arrived"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    println!(
        "listed {} entries (connect, LIST, parse, sort) in {:.2} s",
        harness.state().model().remote.files.len(),
        listed.elapsed().as_secs_f64()
    );

    let rightmost = |h: &Harness<'_, SkiffApp>, label: &str| {
        h.get_all_by_label_contains(label)
            .max_by(|a, b| a.rect().left().total_cmp(&b.rect().left()))
            .unwrap()
            .rect()
            .center()
    };
    let over_table = rightmost(&harness, "Filetype") + egui::vec2(0.0, 200.0);
    report("idle frame", time_frames(&mut harness, |_| {}));
    report(
        "scrolling (a wheel step per frame)",
        time_frames(&mut harness, |h| {
            h.hover_at(over_table);
            h.event(egui::Event::MouseWheel {
                unit: egui::MouseWheelUnit::Line,
                delta: egui::vec2(0.0, -3.0),
                phase: egui::TouchPhase::Move,
                modifiers: egui::Modifiers::NONE,
                source: egui::MouseWheelSource::Wheel,
            });
        }),
    );
    let sort_header = rightmost(&harness, "Filesize");
    let mut sorts = Vec::new();
    for _ in 0..10 {
        harness.hover_at(sort_header);
        harness.step();
        let start = Instant::now();
        for pressed in [true, false] {
            harness.event(egui::Event::PointerButton {
                pos: sort_header,
                button: egui::PointerButton::Primary,
                pressed,
                modifiers: egui::Modifiers::NONE,
            });
            harness.step();
        }
        sorts.push(start.elapsed());
    }
    report(
        "sorting 100,000 rows by size (the click's two frames)",
        sorts,
    );
    let filter = rightmost(&harness, "🔎") + egui::vec2(60.0, 0.0);
    harness.hover_at(filter);
    harness.step();
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos: filter,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
        harness.step();
    }
    report(
        "typing in the quick filter (one character per frame)",
        time_frames(&mut harness, |h| {
            h.event(egui::Event::Text("9".into()));
        }),
    );
}

fn time_frames(
    harness: &mut Harness<'_, SkiffApp>,
    mut before: impl FnMut(&mut Harness<'_, SkiffApp>),
) -> Vec<Duration> {
    let mut times = Vec::with_capacity(FRAMES);
    for _ in 0..FRAMES {
        before(harness);
        let start = Instant::now();
        harness.step();
        times.push(start.elapsed());
    }
    times
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = times[times.len() / 2];
    let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)];
    println!(
        "{what:<55} median {:6.2} ms   p95 {:6.2} ms   max {:6.2} ms",
        ms(median),
        ms(p95),
        ms(*times.last().unwrap())
    );
}
