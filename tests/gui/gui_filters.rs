//! Issue 21, point 4 in the window: View > Filename filters… ticks a rule for the remote
//! pane, which then hides the rows it matches and says how many; the toolbar's toggle
//! brings them back; a folder downloaded with "Apply to transfers, comparison and sync"
//! skips what the remote rules match, sizes included (checked on the local disk).

use crate::common::{FtpServer, ServerKind};
use crate::gui_common::*;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use skiff::folder_sync::rules::{Condition, RULES_FILE, Rule, RuleBook, SizeOp, SizeUnit};
use skiff::gui::SkiffApp;

/// The names of the rows a pane shows.
fn rows(harness: &Harness<'_, SkiffApp>, local: bool) -> Vec<String> {
    let model = harness.state().model();
    let pane = if local {
        &model.local.files
    } else {
        &model.remote.files
    };
    let mut names: Vec<String> = (0..pane.len())
        .map(|row| pane.row(row).unwrap().name_lossy())
        .collect();
    names.sort();
    names
}

/// View > Filename filters…, open and settled.
fn open_filters(harness: &mut Harness<'_, SkiffApp>) {
    harness.get_by_label("View").click();
    settle(harness);
    harness.get_by_label("Filename filters…").click();
    step_until(harness, "the filters dialog", |h| {
        has_label(h, "Apply to transfers, comparison and sync")
    });
    // A window finds its place in its first frames.
    settle(harness);
}

/// Ticks `rule` for the remote pane: the "Remote" box on the rule's row.
fn tick_remote(harness: &mut Harness<'_, SkiffApp>, rule: &str) {
    let row = harness.get_by_label(rule).rect().center().y;
    let tick = harness
        .get_all_by_label("Remote")
        .map(|n| n.rect().center())
        .min_by(|a, b| (a.y - row).abs().total_cmp(&(b.y - row).abs()))
        .unwrap();
    click_at(harness, tick, egui::PointerButton::Primary);
    settle(harness);
}

#[test]
fn a_rule_ticked_for_the_remote_pane_hides_its_rows_with_a_hint_and_the_toggle_brings_them_back() {
    let server = FtpServer::start(ServerKind::Libunftp);
    server.write_file("index.html", b"<html>");
    server.write_file("index.html~", b"old");
    server.write_file("draft.swp", b"swap");
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("notes.txt~"), b"mine").unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    quickconnect(&mut harness, &server);
    assert_eq!(
        rows(&harness, false),
        ["draft.swp", "index.html", "index.html~"]
    );
    assert!(!has_label(&harness, "hidden by filters"));

    open_filters(&mut harness);
    tick_remote(&mut harness, "Editor temporary files");
    harness.get_by_label("OK").click();
    step_until(&mut harness, "the remote rows filtered", |h| {
        rows(h, false) == ["index.html"]
    });
    assert!(has_label(&harness, "2 hidden by filters"));
    assert_eq!(
        rows(&harness, true),
        ["notes.txt~"],
        "the rule is ticked for the remote pane only"
    );
    // Saved for the next start, off the UI thread.
    let saved = harness.config_dir().join("filters.toml");
    step_until(&mut harness, "filters.toml saved", |_| {
        std::fs::read_to_string(&saved)
            .is_ok_and(|text| text.contains("remote = [\"Editor temporary files\"]"))
    });

    // The toolbar's toggle: every row back, and again hidden.
    harness.get_by_label("Filters").click();
    step_until(&mut harness, "every remote row back", |h| {
        rows(h, false).len() == 3
    });
    assert!(!has_label(&harness, "hidden by filters"));
    harness.get_by_label("Filters").click();
    step_until(&mut harness, "the rows hidden again", |h| {
        rows(h, false) == ["index.html"]
    });
}

#[test]
fn a_folder_download_with_apply_to_transfers_skips_what_the_remote_rules_match() {
    let server = FtpServer::start(ServerKind::Libunftp);
    server.write_file("www/index.html", b"<html>");
    server.write_file("www/index.html~", b"old");
    server.write_file("www/big.bin", &[7u8; 4096]);
    server.write_file("www/css/site.css", b"body{}");
    server.write_file("www/css/site.css.swp", b"swap");
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    // A rule on sizes saved earlier (beside the built-in ones): files over 1 KiB.
    let mut book = RuleBook::default();
    book.rules.push(Rule {
        folders: false,
        conditions: vec![Condition::Size {
            op: SizeOp::Greater,
            value: 1,
            unit: SizeUnit::KiB,
        }],
        ..Rule::new("Big files")
    });
    skiff::gui::filters::save_book(&book, &config.path().join(RULES_FILE)).unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window_with_config(&rt, local.path(), config.path(), None);
    quickconnect(&mut harness, &server);

    open_filters(&mut harness);
    tick_remote(&mut harness, "Big files");
    tick_remote(&mut harness, "Editor temporary files");
    harness
        .get_by_label("Apply to transfers, comparison and sync")
        .click();
    settle(&mut harness);
    harness.get_by_label("OK").click();
    settle(&mut harness);

    let www = remote_table_row(&harness, "🗀 www");
    click_at(&mut harness, www, egui::PointerButton::Secondary);
    harness.get_by_label("Download").click();
    let target = local.path().join("www");
    step_until(&mut harness, "the kept files on disk", |h| {
        target.join("index.html").is_file()
            && target.join("css/site.css").is_file()
            && h.state().model().counts.queued == 0
            && h.state().model().counts.running == 0
    });
    assert_eq!(
        std::fs::read(target.join("css/site.css")).unwrap(),
        b"body{}"
    );
    for skipped in ["index.html~", "big.bin", "css/site.css.swp"] {
        assert!(!target.join(skipped).exists(), "{skipped} was downloaded");
    }
}

#[test]
fn a_bad_regex_in_the_rule_editor_is_an_error_in_words_and_cannot_be_saved() {
    use egui::accesskit::Role;
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    open_filters(&mut harness);
    harness.get_by_label("New…").click();
    step_until(&mut harness, "the rule editor", |h| {
        has_label(h, "Rule name:")
    });
    settle(&mut harness);
    // The condition's operator: "contains" → "matches the regex".
    harness
        .get_all_by_role(Role::ComboBox)
        .find(|n| n.value().as_deref() == Some("contains"))
        .unwrap()
        .click();
    settle(&mut harness);
    harness.get_by_label("matches the regex").click();
    settle(&mut harness);
    // The condition's text: the text field on the row of its "−" button.
    let row = harness.get_by_label("−").rect().center().y;
    let field = harness
        .get_all_by_role(Role::TextInput)
        .min_by(|a, b| {
            let distance = |n: &egui_kittest::Node<'_>| (n.rect().center().y - row).abs();
            distance(a).total_cmp(&distance(b))
        })
        .unwrap();
    field.click();
    settle(&mut harness);
    harness
        .get_all_by_role(Role::TextInput)
        .find(|n| n.is_focused())
        .unwrap()
        .type_text("(unclosed");
    settle(&mut harness);
    assert!(
        has_label(&harness, "not a valid pattern: \"(unclosed\""),
        "the error in words"
    );
    assert!(has_label(&harness, "in the rule \"New rule\""));
    // Save is refused while the rule is wrong; Discard leaves the list as it was.
    harness.get_by_label("Save rule").click();
    settle(&mut harness);
    assert!(has_label(&harness, "Rule name:"), "still editing");
    harness.get_by_label("Discard").click();
    settle(&mut harness);
    assert!(has_label(&harness, "Editor temporary files"));
    assert!(!has_label(&harness, "New rule"));
}

#[test]
fn filezilla_filters_import_into_the_dialog_with_their_ticks_and_hide_rows_once_saved() {
    let server = FtpServer::start(ServerKind::Libunftp);
    server.write_file("app.log", b"log");
    server.write_file("app.php", b"<?php");
    let local = tempfile::tempdir().unwrap();
    let xml = local.path().join("filters.xml");
    std::fs::write(
        &xml,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<FileZilla3>
  <Filters>
    <Filter>
      <Name>Logs</Name>
      <ApplyToFiles>1</ApplyToFiles>
      <ApplyToDirs>0</ApplyToDirs>
      <MatchType>All</MatchType>
      <MatchCase>0</MatchCase>
      <Conditions>
        <Condition><Type>0</Type><Condition>3</Condition><Value>.LOG</Value></Condition>
      </Conditions>
    </Filter>
  </Filters>
  <Sets Current="0">
    <Set><Item><Local>0</Local><Remote>1</Remote></Item></Set>
  </Sets>
</FileZilla3>
"#,
    )
    .unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    quickconnect(&mut harness, &server);
    // As the dialog's "Import from FileZilla…" does once a file is picked.
    harness.state_mut().import_filters_from(xml);
    step_until(&mut harness, "the import's summary", |h| {
        has_label(h, "Imported 1 filters: Logs.")
    });
    settle(&mut harness);
    assert_eq!(
        rows(&harness, false),
        ["app.log", "app.php"],
        "not saved yet"
    );
    harness.get_by_label("OK").click();
    step_until(&mut harness, "the log hidden", |h| {
        rows(h, false) == ["app.php"]
    });
    assert!(has_label(&harness, "1 hidden by filters"));
}
