use super::*;
use crate::proto::listing::TimePrecision;

fn file(name: &str) -> EntryFacts<'_> {
    EntryFacts {
        name,
        path: name,
        is_dir: false,
        size: None,
        modified: None,
        permissions: None,
    }
}

fn folder(name: &str) -> EntryFacts<'_> {
    EntryFacts {
        is_dir: true,
        ..file(name)
    }
}

fn rule(conditions: Vec<Condition>) -> Rule {
    Rule {
        conditions,
        ..Rule::new("test")
    }
}

fn matches(rule: &Rule, facts: &EntryFacts) -> bool {
    rule.compile().unwrap().matches(facts)
}

fn name_rule(op: TextOp, value: &str, case_sensitive: bool) -> Rule {
    Rule {
        case_sensitive,
        ..rule(vec![Condition::name(op, value)])
    }
}

#[test]
fn every_text_operator_compares_names_as_it_says() {
    let cases = [
        (TextOp::Equals, "notes.txt", "notes.txt", "notes.txt.bak"),
        (TextOp::Contains, "tes", "notes.txt", "note.txt"),
        (TextOp::NotContains, "tes", "note.txt", "notes.txt"),
        (TextOp::BeginsWith, "not", "notes.txt", "a-notes.txt"),
        (TextOp::EndsWith, ".txt", "notes.txt", "notes.txt~"),
        (TextOp::Glob, "n*.{txt,md}", "notes.md", "notes.rs"),
        (
            TextOp::Regex,
            r"^\d{4}-\d\d\.log$",
            "2024-05.log",
            "x2024-05.log",
        ),
    ];
    for (op, value, hit, miss) in cases {
        let r = name_rule(op, value, true);
        assert!(
            matches(&r, &file(hit)),
            "{op:?} {value:?} should match {hit:?}"
        );
        assert!(
            !matches(&r, &file(miss)),
            "{op:?} {value:?} should not match {miss:?}"
        );
    }
}

#[test]
fn case_matters_only_when_the_rule_says_so() {
    for op in TextOp::ALL {
        let value = match op {
            TextOp::Glob => "*.JPG",
            TextOp::Regex => r"\.JPG$",
            TextOp::Equals => "PHOTO.JPG",
            TextOp::BeginsWith => "PHOTO",
            _ => ".JPG",
        };
        let loose = name_rule(op, value, false);
        let strict = name_rule(op, value, true);
        let expected = op != TextOp::NotContains;
        assert_eq!(
            matches(&loose, &file("photo.jpg")),
            expected,
            "{op:?} loose"
        );
        assert_eq!(
            matches(&strict, &file("photo.jpg")),
            !expected,
            "{op:?} strict"
        );
    }
}

#[test]
fn a_path_condition_looks_at_the_path_and_a_glob_star_stays_in_its_folder() {
    let r = rule(vec![Condition::Path {
        op: TextOp::Glob,
        value: "build/*".into(),
    }]);
    let at = |path: &'static str| EntryFacts {
        path,
        ..file(path.rsplit('/').next().unwrap())
    };
    assert!(matches(&r, &at("build/app.o")));
    assert!(!matches(&r, &at("build/deep/app.o")));
    assert!(!matches(&r, &at("src/app.o")));
    let contains = rule(vec![Condition::Path {
        op: TextOp::Contains,
        value: "/cache/".into(),
    }]);
    assert!(matches(&contains, &at("www/cache/x.html")));
}

#[test]
fn sizes_compare_in_their_units_and_folders_have_none() {
    let sized = |size| EntryFacts {
        size: Some(size),
        ..file("f")
    };
    let r = |op, value, unit| rule(vec![Condition::Size { op, value, unit }]);
    assert!(matches(
        &r(SizeOp::Greater, 1, SizeUnit::MiB),
        &sized(1_048_577)
    ));
    assert!(!matches(
        &r(SizeOp::Greater, 1, SizeUnit::MiB),
        &sized(1_048_576)
    ));
    assert!(matches(&r(SizeOp::Less, 2, SizeUnit::KiB), &sized(2047)));
    assert!(!matches(&r(SizeOp::Less, 2, SizeUnit::KiB), &sized(2048)));
    assert!(matches(&r(SizeOp::Equal, 3, SizeUnit::B), &sized(3)));
    assert!(matches(
        &r(SizeOp::Equal, 1, SizeUnit::GiB),
        &sized(1 << 30)
    ));
    assert!(!matches(
        &r(SizeOp::Greater, 0, SizeUnit::B),
        &file("unknown")
    ));
    let too_big = r(SizeOp::Greater, u64::MAX, SizeUnit::GiB);
    assert!(
        too_big.compile().is_err(),
        "an overflow is an error, not a wrap"
    );
}

#[test]
fn dates_compare_before_a_day_starts_or_after_it_ends() {
    let at = |y, mo, d, h, mi| EntryFacts {
        modified: Timestamp::new(y, mo, d, h, mi, 0, TimePrecision::Minute),
        ..file("f")
    };
    let before = rule(vec![Condition::Modified {
        op: DateOp::Before,
        value: "2024-05-31".into(),
    }]);
    let after = rule(vec![Condition::Modified {
        op: DateOp::After,
        value: "2024-05-31".into(),
    }]);
    assert!(matches(&before, &at(2024, 5, 30, 23, 59)));
    assert!(!matches(&before, &at(2024, 5, 31, 0, 0)));
    assert!(!matches(&after, &at(2024, 5, 31, 23, 59)), "still that day");
    assert!(matches(&after, &at(2024, 6, 1, 0, 0)));
    let moment = rule(vec![Condition::Modified {
        op: DateOp::After,
        value: "2024-05-31 12:00".into(),
    }]);
    assert!(matches(&moment, &at(2024, 5, 31, 12, 1)));
    assert!(!matches(&moment, &at(2024, 5, 31, 12, 0)));
    assert!(!matches(&before, &file("no time")), "unknown never matches");
    for bad in [
        "yesterday",
        "2024-13-01",
        "2024-02-30",
        "2024-05-31 25:00",
        "",
    ] {
        let r = rule(vec![Condition::Modified {
            op: DateOp::Before,
            value: bad.into(),
        }]);
        let err = r.compile().unwrap_err();
        assert!(err.reason.contains("not a date"), "{bad:?}: {err}");
    }
}

#[test]
fn attributes_come_from_the_name_and_the_listed_permissions() {
    let with = |name, permissions| EntryFacts {
        permissions: Some(permissions),
        ..file(name)
    };
    let attr = |attribute, is| rule(vec![Condition::Attribute { attribute, is }]);
    assert!(matches(&attr(Attribute::Hidden, true), &file(".htaccess")));
    assert!(matches(
        &attr(Attribute::Hidden, false),
        &file("index.html")
    ));
    let read_only = attr(Attribute::ReadOnly, true);
    assert!(matches(&read_only, &with("a", "-r--r--r--")));
    assert!(!matches(&read_only, &with("a", "-rw-r--r--")));
    assert!(matches(&read_only, &with("a", "444")), "a local octal mode");
    assert!(!matches(&read_only, &with("a", "0644")));
    let exec = attr(Attribute::Executable, true);
    assert!(matches(&exec, &with("run.sh", "-rwxr-xr-x")));
    assert!(
        matches(&exec, &with("run.sh", "rwsr-xr-x")),
        "setuid counts"
    );
    assert!(matches(&exec, &with("run.sh", "755")));
    assert!(!matches(&exec, &with("a", "-rw-r--r--")));
    assert!(
        !matches(&exec, &with("a", "[R----F--]")),
        "DOS attributes: unknown"
    );
    assert!(!matches(&attr(Attribute::Executable, false), &file("a")));
}

#[test]
fn conditions_combine_as_chosen_and_a_rule_applies_to_its_kinds_only() {
    let both = |combine| Rule {
        combine,
        ..rule(vec![
            Condition::name(TextOp::BeginsWith, "a"),
            Condition::name(TextOp::EndsWith, ".log"),
        ])
    };
    let expect = [
        (Combine::All, [true, false, false]),
        (Combine::Any, [true, true, false]),
        (Combine::None, [false, false, true]),
        (Combine::NotAll, [false, true, true]),
    ];
    for (combine, [a_log, b_log, b_txt]) in expect {
        let r = both(combine);
        assert_eq!(matches(&r, &file("a.log")), a_log, "{combine:?}");
        assert_eq!(matches(&r, &file("b.log")), b_log, "{combine:?}");
        assert_eq!(matches(&r, &file("b.txt")), b_txt, "{combine:?}");
    }
    let files_only = Rule {
        folders: false,
        ..name_rule(TextOp::Equals, "x", true)
    };
    assert!(matches(&files_only, &file("x")));
    assert!(!matches(&files_only, &folder("x")));
    let empty = rule(Vec::new());
    assert!(!matches(&empty, &file("x")), "no conditions filter nothing");
}

#[test]
fn the_built_in_rules_catch_vcs_folders_and_editor_leftovers() {
    let vcs = Rule::version_control();
    assert!(matches(&vcs, &folder(".git")));
    assert!(matches(&vcs, &folder("CVS")));
    assert!(!matches(&vcs, &folder(".github")));
    assert!(!matches(&vcs, &file(".git")), "folders only");
    let temp = Rule::editor_temporaries();
    for name in [
        "index.html~",
        ".x.swp",
        ".#notes",
        "#draft#",
        ".DS_Store",
        "THUMBS.DB",
    ] {
        assert!(matches(&temp, &file(name)), "{name}");
    }
    assert!(!matches(&temp, &file("index.html")));
    assert!(!matches(&temp, &folder("backup~")), "files only");
}

#[test]
fn a_bad_regex_or_glob_is_an_error_in_words_naming_the_rule() {
    let bad = Rule {
        name: "Logs".into(),
        ..name_rule(TextOp::Regex, "(unclosed", false)
    };
    let err = bad.compile().unwrap_err();
    assert_eq!(err.pattern, "(unclosed");
    assert!(err.reason.contains("Logs"), "{err}");
    assert!(!err.reason.contains('\n'), "one line: {err}");
    assert!(name_rule(TextOp::Glob, "[abc", false).compile().is_err());
    assert!(name_rule(TextOp::Glob, "", false).compile().is_err());
    for op in TextOp::ALL {
        let err = name_rule(op, "", false).compile().unwrap_err();
        assert!(err.reason.contains("empty"), "{op:?}: {err}");
    }
}

#[test]
fn the_rule_book_keeps_ticks_per_pane_through_renames_and_deletes() {
    let mut book = RuleBook::default();
    assert_eq!(book.rules.len(), 2, "the built-ins");
    assert!(book.pane_rules(PaneSide::Remote).is_empty());
    book.set_on(PaneSide::Remote, "Editor temporary files", true);
    assert_eq!(book.pane_rules(PaneSide::Remote).len(), 1);
    assert!(book.pane_rules(PaneSide::Local).is_empty());
    book.enabled = false;
    assert!(book.pane_rules(PaneSide::Remote).is_empty(), "the toggle");
    assert_eq!(book.active(PaneSide::Remote).len(), 1, "still ticked");
    book.enabled = true;
    assert_eq!(
        book.free_name("Editor temporary files"),
        "Editor temporary files (2)"
    );
    book.rules[1].name = "Temp".into();
    book.rename("Editor temporary files", "Temp");
    assert!(book.is_on(PaneSide::Remote, "Temp"));
    book.delete("Temp");
    assert!(!book.is_on(PaneSide::Remote, "Temp"));
    assert_eq!(book.rules.len(), 1);
}

#[test]
fn transfer_filters_follow_the_apply_switch_and_honour_sizes() {
    let mut book = RuleBook::default();
    book.rules.push(Rule {
        name: "Big".into(),
        ..rule(vec![Condition::Size {
            op: SizeOp::Greater,
            value: 10,
            unit: SizeUnit::B,
        }])
    });
    book.set_on(PaneSide::Local, "Big", true);
    assert_eq!(book.transfer_filters(PaneSide::Local).unwrap(), None);
    book.apply_to_transfers = true;
    let filters = book.transfer_filters(PaneSide::Local).unwrap().unwrap();
    let big = crate::folder_sync::Known {
        size: Some(11),
        ..Default::default()
    };
    let small = crate::folder_sync::Known {
        size: Some(10),
        ..Default::default()
    };
    assert!(!filters.takes_known("a/big.bin", &big));
    assert!(filters.takes_known("a/small.bin", &small));
    assert!(
        filters.takes("a/unknown.bin", false),
        "no size known: taken"
    );
    assert_eq!(book.transfer_filters(PaneSide::Remote).unwrap(), None);
}

#[test]
fn imported_rules_get_free_names_and_their_ticks() {
    let mut book = RuleBook::default();
    let names = book.add_imported(vec![
        (Rule::version_control(), false, true),
        (Rule::new("Logs"), true, false),
    ]);
    assert_eq!(names, ["Version-control folders (2)", "Logs"]);
    assert!(book.is_on(PaneSide::Remote, "Version-control folders (2)"));
    assert!(!book.is_on(PaneSide::Remote, "Version-control folders"));
    assert!(book.is_on(PaneSide::Local, "Logs"));
    assert_eq!(book.rules.len(), 4);
}

#[test]
fn queue_files_without_rules_still_read_and_rules_survive_a_round_trip() {
    let old: crate::folder_sync::Patterns =
        serde_json::from_str(r#"{"exclude":["*.log"]}"#).unwrap();
    assert!(old.rules.is_empty());
    let with = crate::folder_sync::Patterns {
        rules: vec![Rule::version_control()],
        ..old
    };
    let text = serde_json::to_string(&with).unwrap();
    let back: crate::folder_sync::Patterns = serde_json::from_str(&text).unwrap();
    assert_eq!(back, with);
}
