//! FileZilla's filename filters (`filters.xml`) into Skiff's rules: each `<Filter>` a rule
//! (`Name`, `ApplyToFiles`, `ApplyToDirs`, `MatchType` All / Any / None / "Not all",
//! `MatchCase`), each `<Condition>` with FileZilla's numbers (`Type`: 0 name, 1 size,
//! 2 Windows attribute, 3 Unix permission, 4 path, 5 date; `Condition`: the operator), and
//! the current `<Set>`'s `<Item>`s (`Local`, `Remote`, one per filter) as the panes' ticks.
//! What Skiff has no equal for (a size "not equal", a date "equals", an archive bit) is left
//! out with a warning naming the filter. Pure: bytes in, rules out.

use super::{Element, FilezillaError, filezilla_root};
use crate::folder_sync::rules::{Attribute, Combine, Condition, DateOp, Rule, SizeOp, TextOp};

/// Rules read from a `filters.xml`, in its order, each with the current set's ticks.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportedFilters {
    pub rules: Vec<ImportedRule>,
    /// One sentence per condition or filter not imported.
    pub warnings: Vec<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct ImportedRule {
    pub rule: Rule,
    pub local: bool,
    pub remote: bool,
}

pub fn import_filters(xml: &[u8]) -> Result<ImportedFilters, FilezillaError> {
    let root = filezilla_root(xml)?;
    let mut out = ImportedFilters::default();
    let Some(filters) = root.child("Filters") else {
        return Ok(out);
    };
    let ticks = current_set(&root);
    for (i, filter) in filters.children_named("Filter").enumerate() {
        let (local, remote) = ticks.get(i).copied().unwrap_or((false, false));
        if let Some(rule) = read_filter(filter, &mut out.warnings) {
            out.rules.push(ImportedRule {
                rule,
                local,
                remote,
            });
        }
    }
    Ok(out)
}

/// The (local, remote) ticks of the set `<Sets Current="N">` names (the first by default).
fn current_set(root: &Element) -> Vec<(bool, bool)> {
    let Some(sets) = root.child("Sets") else {
        return Vec::new();
    };
    let current = sets
        .attr("Current")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let set = sets
        .children_named("Set")
        .nth(current)
        .or_else(|| sets.child("Set"));
    set.map(|set| {
        set.children_named("Item")
            .map(|item| {
                (
                    item.child_text("Local").trim() == "1",
                    item.child_text("Remote").trim() == "1",
                )
            })
            .collect()
    })
    .unwrap_or_default()
}

fn read_filter(filter: &Element, warnings: &mut Vec<String>) -> Option<Rule> {
    let name: String = filter.child_text("Name").trim().chars().take(255).collect();
    if name.is_empty() {
        warnings.push("A filter without a name was left out.".to_owned());
        return None;
    }
    let combine = match filter.child_text("MatchType").trim() {
        "Any" => Combine::Any,
        "None" => Combine::None,
        "Not all" => Combine::NotAll,
        _ => Combine::All,
    };
    let mut rule = Rule {
        name: name.clone(),
        combine,
        conditions: Vec::new(),
        files: filter.child_text("ApplyToFiles").trim() == "1",
        folders: filter.child_text("ApplyToDirs").trim() == "1",
        case_sensitive: filter.child_text("MatchCase").trim() == "1",
    };
    let conditions = filter.child("Conditions");
    for condition in conditions
        .iter()
        .flat_map(|c| c.children_named("Condition"))
    {
        match read_condition(condition) {
            Ok(c) => rule.conditions.push(c),
            Err(why) => warnings.push(format!("Filter {name:?}: a condition {why} was left out.")),
        }
    }
    // A condition FileZilla would take but Skiff cannot compile (an ECMAScript regex the
    // regex crate refuses) goes, rather than the whole rule.
    let mut kept = Vec::new();
    for condition in std::mem::take(&mut rule.conditions) {
        let alone = Rule {
            conditions: vec![condition.clone()],
            ..rule.clone()
        };
        match alone.compile() {
            Ok(_) => kept.push(condition),
            Err(err) => warnings.push(format!(
                "Filter {name:?}: a condition was left out: {}",
                err
            )),
        }
    }
    rule.conditions = kept;
    if rule.conditions.is_empty() {
        warnings.push(format!(
            "Filter {name:?} was left out: none of its conditions could be read."
        ));
        return None;
    }
    Some(rule)
}

/// One `<Condition>`, or why it has no equal in Skiff (words after "a condition").
fn read_condition(el: &Element) -> Result<Condition, String> {
    let kind = el.child_text("Type").trim().parse::<i64>().unwrap_or(-1);
    let op = el
        .child_text("Condition")
        .trim()
        .parse::<i64>()
        .unwrap_or(0);
    let value = el.child_text("Value");
    let text_op = || match op {
        0 => Ok(TextOp::Contains),
        1 => Ok(TextOp::Equals),
        2 => Ok(TextOp::BeginsWith),
        3 => Ok(TextOp::EndsWith),
        4 => Ok(TextOp::Regex),
        5 => Ok(TextOp::NotContains),
        other => Err(format!("with the unknown operator {other}")),
    };
    match kind {
        0 => Ok(Condition::Name {
            op: text_op()?,
            value,
        }),
        4 => Ok(Condition::Path {
            op: text_op()?,
            value,
        }),
        1 => {
            let op = match op {
                0 => SizeOp::Greater,
                1 => SizeOp::Equal,
                3 => SizeOp::Less,
                _ => return Err("\"size is not equal to\"".to_owned()),
            };
            let bytes = value
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("on the size {value:?}"))?;
            Ok(Condition::Size {
                op,
                value: bytes,
                unit: crate::folder_sync::rules::SizeUnit::B,
            })
        }
        2 => {
            // Windows attributes: 3 hidden, 4 read-only (archive, compressed, encrypted and
            // system have no meaning on a server's listing).
            let attribute = match op {
                3 => Attribute::Hidden,
                4 => Attribute::ReadOnly,
                _ => return Err("on a Windows attribute Skiff does not know".to_owned()),
            };
            Ok(Condition::Attribute {
                attribute,
                is: value.trim() == "1",
            })
        }
        3 => {
            // Unix permissions: 1 the owner's write bit, 2 the owner's execute bit.
            let set = value.trim() == "1";
            match op {
                1 => Ok(Condition::Attribute {
                    attribute: Attribute::ReadOnly,
                    is: !set,
                }),
                2 => Ok(Condition::Attribute {
                    attribute: Attribute::Executable,
                    is: set,
                }),
                _ => Err("on a permission bit other than the owner's write or execute".into()),
            }
        }
        5 => {
            let op = match op {
                0 => DateOp::Before,
                3 => DateOp::After,
                _ => return Err("\"date equals\" or \"date is not\"".to_owned()),
            };
            if crate::folder_sync::rules::parse_moment(&value).is_none() {
                return Err(format!("on the date {value:?}"));
            }
            Ok(Condition::Modified { op, value })
        }
        other => Err(format!("of the unknown type {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<FileZilla3 version="3.66.1" platform="*nix">
  <Filters>
    <Filter>
      <Name>Temporary and backup files</Name>
      <ApplyToFiles>1</ApplyToFiles>
      <ApplyToDirs>0</ApplyToDirs>
      <MatchType>Any</MatchType>
      <MatchCase>0</MatchCase>
      <Conditions>
        <Condition><Type>0</Type><Condition>3</Condition><Value>.bak</Value></Condition>
        <Condition><Type>0</Type><Condition>4</Condition><Value>^#.*#$</Value></Condition>
        <Condition><Type>1</Type><Condition>2</Condition><Value>0</Value></Condition>
      </Conditions>
    </Filter>
    <Filter>
      <Name>CVS and SVN folders</Name>
      <ApplyToFiles>0</ApplyToFiles>
      <ApplyToDirs>1</ApplyToDirs>
      <MatchType>Any</MatchType>
      <MatchCase>1</MatchCase>
      <Conditions>
        <Condition><Type>0</Type><Condition>1</Condition><Value>CVS</Value></Condition>
        <Condition><Type>0</Type><Condition>1</Condition><Value>.svn</Value></Condition>
      </Conditions>
    </Filter>
    <Filter>
      <Name>Old or big, not executable</Name>
      <ApplyToFiles>1</ApplyToFiles>
      <ApplyToDirs>1</ApplyToDirs>
      <MatchType>Not all</MatchType>
      <MatchCase>0</MatchCase>
      <Conditions>
        <Condition><Type>5</Type><Condition>0</Condition><Value>2020-01-31</Value></Condition>
        <Condition><Type>1</Type><Condition>0</Condition><Value>1048576</Value></Condition>
        <Condition><Type>3</Type><Condition>2</Condition><Value>0</Value></Condition>
        <Condition><Type>4</Type><Condition>5</Condition><Value>/keep/</Value></Condition>
      </Conditions>
    </Filter>
    <Filter>
      <Name>Only archive bits</Name>
      <ApplyToFiles>1</ApplyToFiles>
      <ApplyToDirs>0</ApplyToDirs>
      <MatchType>All</MatchType>
      <MatchCase>0</MatchCase>
      <Conditions>
        <Condition><Type>2</Type><Condition>0</Condition><Value>1</Value></Condition>
      </Conditions>
    </Filter>
  </Filters>
  <Sets Current="1">
    <Set><Item><Local>0</Local><Remote>0</Remote></Item><Item><Local>0</Local><Remote>0</Remote></Item><Item><Local>0</Local><Remote>0</Remote></Item><Item><Local>0</Local><Remote>0</Remote></Item></Set>
    <Set><Name>Web</Name><Item><Local>1</Local><Remote>1</Remote></Item><Item><Local>0</Local><Remote>1</Remote></Item><Item><Local>0</Local><Remote>0</Remote></Item><Item><Local>1</Local><Remote>0</Remote></Item></Set>
  </Sets>
</FileZilla3>
"#;

    #[test]
    fn filezilla_filters_become_rules_with_the_current_sets_ticks() {
        let imported = import_filters(FILE.as_bytes()).unwrap();
        let names: Vec<&str> = imported
            .rules
            .iter()
            .map(|r| r.rule.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "Temporary and backup files",
                "CVS and SVN folders",
                "Old or big, not executable"
            ]
        );
        let temp = &imported.rules[0];
        assert!(temp.local && temp.remote, "the set named by Current");
        assert_eq!(temp.rule.combine, Combine::Any);
        assert!(temp.rule.files && !temp.rule.folders && !temp.rule.case_sensitive);
        assert_eq!(
            temp.rule.conditions,
            [
                Condition::name(TextOp::EndsWith, ".bak"),
                Condition::name(TextOp::Regex, "^#.*#$"),
            ]
        );
        let vcs = &imported.rules[1];
        assert!(!vcs.local && vcs.remote);
        assert!(vcs.rule.case_sensitive && vcs.rule.folders && !vcs.rule.files);
        let old = &imported.rules[2].rule;
        assert_eq!(old.combine, Combine::NotAll);
        assert_eq!(
            old.conditions,
            [
                Condition::Modified {
                    op: DateOp::Before,
                    value: "2020-01-31".into()
                },
                Condition::Size {
                    op: SizeOp::Greater,
                    value: 1_048_576,
                    unit: crate::folder_sync::rules::SizeUnit::B
                },
                Condition::Attribute {
                    attribute: Attribute::Executable,
                    is: false
                },
                Condition::Path {
                    op: TextOp::NotContains,
                    value: "/keep/".into()
                },
            ]
        );
        // Every imported rule compiles.
        for r in &imported.rules {
            r.rule.compile().unwrap();
        }
        let warnings = imported.warnings.join("\n");
        assert!(warnings.contains("size is not equal to"), "{warnings}");
        assert!(warnings.contains("Only archive bits"), "{warnings}");
    }

    #[test]
    fn a_file_that_is_not_filezillas_is_refused_and_one_without_filters_is_empty() {
        assert!(matches!(
            import_filters(b"<Other/>"),
            Err(FilezillaError::NotFileZilla(_))
        ));
        assert!(import_filters(b"<FileZilla3><Filters>").is_err());
        let empty = import_filters(b"<FileZilla3/>").unwrap();
        assert_eq!(empty, ImportedFilters::default());
    }
}
