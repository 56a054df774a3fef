//! The Bookmarks menu's two dialogs, as FileZilla has them: "Add bookmark" (prefilled with
//! the folders shown; global, or the connected site's own) and "Manage bookmarks" (both
//! lists: choose one to edit, rename by editing its name, add, duplicate, delete; OK saves
//! both). Each draws itself and says how it ended; `app/bookmarks.rs` saves. Escape or a
//! click outside cancels.

use eframe::egui;

use crate::gui::form;
use crate::sites::bookmark::{self, Bookmark};

/// A bookmark as its fields are typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    pub name: String,
    pub local: String,
    pub remote: String,
    pub sync: bool,
    pub compare: bool,
}

impl Draft {
    pub fn of(bookmark: &Bookmark) -> Self {
        Self {
            name: bookmark.name.clone(),
            local: bookmark
                .local_dir
                .as_ref()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            remote: bookmark.remote_dir.clone().unwrap_or_default(),
            sync: bookmark.sync_browsing,
            compare: bookmark.directory_comparison,
        }
    }

    /// The bookmark typed, tidied (names trimmed, empty folders as none); not yet checked.
    pub fn bookmark(&self) -> Bookmark {
        let local = self.local.trim();
        Bookmark {
            name: self.name.clone(),
            local_dir: (!local.is_empty()).then(|| local.into()),
            remote_dir: Some(self.remote.clone()),
            sync_browsing: self.sync,
            directory_comparison: self.compare,
        }
        .tidied()
    }
}

/// The fields of one bookmark, in a grid labelled for screen readers and tests.
fn draft_ui(ui: &mut egui::Ui, id: &str, draft: &mut Draft) {
    form::grid(ui, id, |ui| {
        form::labelled(ui, "Name:", |ui| ui.add(wide(&mut draft.name)));
        form::labelled(ui, "Local folder:", |ui| ui.add(wide(&mut draft.local)));
        form::labelled(ui, "Remote folder:", |ui| ui.add(wide(&mut draft.remote)));
    });
    ui.checkbox(&mut draft.sync, "Use synchronized browsing")
        .on_hover_text("Needs both folders: entering a folder on one side enters it on the other");
    ui.checkbox(&mut draft.compare, "Directory comparison");
}

fn wide(text: &mut String) -> egui::TextEdit<'_> {
    egui::TextEdit::singleline(text).desired_width(360.0)
}

/// OK/Cancel: `Some(true)` for OK, `Some(false)` for Cancel.
fn buttons_ui(ui: &mut egui::Ui, ok: &str) -> Option<bool> {
    let mut result = None;
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        if ui.button(ok).clicked() {
            result = Some(true);
        }
        if ui.button("Cancel").clicked() {
            result = Some(false);
        }
    });
    result
}

/// The saved site the window is connected to: its id and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectedSite {
    pub id: String,
    pub name: String,
}

/// Bookmarks > Add bookmark…
#[derive(Debug, Clone)]
pub struct AddBookmark {
    pub draft: Draft,
    /// Where a site-specific bookmark goes; `None`: only global ones can be made.
    pub site: Option<ConnectedSite>,
    pub site_specific: bool,
    /// Why the last OK did not save.
    pub error: Option<String>,
}

/// How a dialog's frame ended.
pub enum AddOutcome {
    Open,
    Cancelled,
    /// Add `bookmark` to the site's list (`Some(site id)`) or the global one.
    Add {
        bookmark: Bookmark,
        site: Option<String>,
    },
}

impl AddBookmark {
    /// Prefilled with the folders shown; site-specific when connected to a saved site.
    pub fn new(local: String, remote: String, site: Option<ConnectedSite>) -> Self {
        Self {
            draft: Draft {
                local,
                remote,
                ..Draft::default()
            },
            site_specific: site.is_some(),
            site,
            error: None,
        }
    }

    pub fn ui(&mut self, ctx: &egui::Context) -> AddOutcome {
        let modal = egui::Modal::new(egui::Id::unique("skiff-add-bookmark")).show(ctx, |ui| {
            ui.set_min_width(460.0);
            ui.heading("Add bookmark");
            ui.horizontal(|ui| {
                ui.radio_value(&mut self.site_specific, false, "Global bookmark");
                let site_label = match &self.site {
                    Some(site) => format!("Site-specific bookmark ({})", site.name),
                    None => "Site-specific bookmark".to_owned(),
                };
                ui.add_enabled_ui(self.site.is_some(), |ui| {
                    ui.radio_value(&mut self.site_specific, true, site_label)
                })
                .response
                .on_disabled_hover_text("Connect with a site of the Site Manager first");
            });
            ui.add_space(4.0);
            draft_ui(ui, "add-bookmark", &mut self.draft);
            if let Some(error) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            match buttons_ui(ui, "Add") {
                Some(true) => AddOutcome::Add {
                    bookmark: self.draft.bookmark(),
                    site: self
                        .site
                        .as_ref()
                        .filter(|_| self.site_specific)
                        .map(|s| s.id.clone()),
                },
                Some(false) => AddOutcome::Cancelled,
                None => AddOutcome::Open,
            }
        });
        if modal.should_close() && matches!(modal.inner, AddOutcome::Open) {
            return AddOutcome::Cancelled;
        }
        modal.inner
    }
}

/// Which list a bookmark in the manager is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Site,
}

/// Bookmarks > Manage bookmarks…: copies of both lists, edited until OK.
#[derive(Debug, Clone)]
pub struct ManageBookmarks {
    pub global: Vec<Draft>,
    /// The connected site and its bookmarks (none when not connected with a site).
    pub site: Option<(ConnectedSite, Vec<Draft>)>,
    pub selected: Option<(Scope, usize)>,
    pub error: Option<String>,
}

pub enum ManageOutcome {
    Open,
    Cancelled,
    /// Save both lists as they are now (checked).
    Save {
        global: Vec<Bookmark>,
        site: Option<(String, Vec<Bookmark>)>,
    },
}

impl ManageBookmarks {
    pub fn new(global: &[Bookmark], site: Option<(ConnectedSite, &[Bookmark])>) -> Self {
        let drafts = |list: &[Bookmark]| list.iter().map(Draft::of).collect::<Vec<_>>();
        let global = drafts(global);
        let selected = (!global.is_empty()).then_some((Scope::Global, 0));
        Self {
            global,
            site: site.map(|(s, list)| (s, drafts(list))),
            selected,
            error: None,
        }
    }

    fn list_mut(&mut self, scope: Scope) -> Option<&mut Vec<Draft>> {
        match scope {
            Scope::Global => Some(&mut self.global),
            Scope::Site => self.site.as_mut().map(|(_, list)| list),
        }
    }

    /// A new bookmark in the selected bookmark's list (the global one if none), selected.
    pub fn add(&mut self, copy_selected: bool) {
        let scope = self.selected.map_or(Scope::Global, |(s, _)| s);
        let selected = self.selected;
        let Some(list) = self.list_mut(scope) else {
            return;
        };
        let mut draft = match (copy_selected, selected) {
            (true, Some((_, i))) => list.get(i).cloned().unwrap_or_default(),
            _ => Draft::default(),
        };
        let base = if draft.name.is_empty() {
            "New bookmark".to_owned()
        } else {
            draft.name.clone()
        };
        let taken: Vec<Bookmark> = list.iter().map(Draft::bookmark).collect();
        draft.name = bookmark::free_name(&taken, &base);
        list.push(draft);
        let index = list.len() - 1;
        self.selected = Some((scope, index));
    }

    /// Deletes the selected bookmark.
    pub fn delete(&mut self) {
        let Some((scope, i)) = self.selected.take() else {
            return;
        };
        if let Some(list) = self.list_mut(scope)
            && i < list.len()
        {
            list.remove(i);
        }
    }

    /// Both lists checked: every bookmark valid, no name twice in one list; else the
    /// problem, with the bookmark selected.
    pub fn checked(&mut self) -> Result<ManageOutcome, String> {
        let lists = [
            (Scope::Global, "Global bookmarks", Some(&self.global)),
            (
                Scope::Site,
                "Site-specific bookmarks",
                self.site.as_ref().map(|(_, l)| l),
            ),
        ];
        let mut saved = Vec::new();
        for (scope, title, list) in lists {
            let Some(list) = list else {
                saved.push(None);
                continue;
            };
            let bookmarks: Vec<Bookmark> = list.iter().map(Draft::bookmark).collect();
            if let Err((i, err)) = bookmark::check_all(&bookmarks) {
                let name = &bookmarks[i].name;
                self.selected = Some((scope, i));
                return Err(format!("{title}, {name:?}: {err}"));
            }
            saved.push(Some(bookmarks));
        }
        let mut saved = saved.into_iter();
        let global = saved.next().flatten().unwrap_or_default();
        let site = saved.next().flatten();
        Ok(ManageOutcome::Save {
            global,
            site: site.and_then(|list| self.site.as_ref().map(|(s, _)| (s.id.clone(), list))),
        })
    }

    pub fn ui(&mut self, ctx: &egui::Context) -> ManageOutcome {
        let modal = egui::Modal::new(egui::Id::unique("skiff-manage-bookmarks")).show(ctx, |ui| {
            ui.set_min_width(640.0);
            ui.heading("Bookmarks");
            ui.horizontal_top(|ui| {
                ui.vertical(|ui| {
                    ui.set_width(220.0);
                    self.lists_ui(ui);
                    ui.add_space(6.0);
                    ui.horizontal_wrapped(|ui| {
                        if ui.button("New bookmark").clicked() {
                            self.add(false);
                        }
                        if ui
                            .add_enabled(self.selected.is_some(), egui::Button::new("Duplicate"))
                            .clicked()
                        {
                            self.add(true);
                        }
                        if ui
                            .add_enabled(self.selected.is_some(), egui::Button::new("Delete"))
                            .clicked()
                        {
                            self.delete();
                        }
                    });
                });
                // (A separator here would take the row's height, which grows with it.)
                ui.add_space(16.0);
                ui.vertical(|ui| {
                    let selected = self.selected;
                    match selected.and_then(|(scope, i)| self.list_mut(scope)?.get_mut(i)) {
                        Some(draft) => draft_ui(ui, "manage-bookmark", draft),
                        None => {
                            ui.weak("Choose a bookmark to edit it, or make a new one.");
                        }
                    }
                });
            });
            if let Some(error) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            match buttons_ui(ui, "OK") {
                Some(true) => match self.checked() {
                    Ok(outcome) => outcome,
                    Err(err) => {
                        self.error = Some(err);
                        ManageOutcome::Open
                    }
                },
                Some(false) => ManageOutcome::Cancelled,
                None => ManageOutcome::Open,
            }
        });
        if modal.should_close() && matches!(modal.inner, ManageOutcome::Open) {
            return ManageOutcome::Cancelled;
        }
        modal.inner
    }

    /// Both lists, each bookmark a selectable row.
    fn lists_ui(&mut self, ui: &mut egui::Ui) {
        let mut clicked = None;
        let mut list_ui = |ui: &mut egui::Ui, scope: Scope, list: &[Draft]| {
            if list.is_empty() {
                ui.weak("  (none)");
            }
            for (i, draft) in list.iter().enumerate() {
                let name = match draft.name.trim() {
                    "" => "(no name)",
                    name => name,
                };
                let on = self.selected == Some((scope, i));
                if ui.selectable_label(on, format!("🔖 {name}")).clicked() {
                    clicked = Some((scope, i));
                }
            }
        };
        ui.strong("Global bookmarks");
        list_ui(ui, Scope::Global, &self.global);
        if let Some((site, list)) = &self.site {
            ui.add_space(6.0);
            ui.strong(format!("Site-specific bookmarks ({})", site.name));
            list_ui(ui, Scope::Site, list);
        }
        if clicked.is_some() {
            self.selected = clicked;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> ConnectedSite {
        ConnectedSite {
            id: "s1".into(),
            name: "web".into(),
        }
    }

    fn named(name: &str, remote: &str) -> Bookmark {
        Bookmark {
            name: name.into(),
            remote_dir: Some(remote.into()),
            ..Bookmark::default()
        }
    }

    #[test]
    fn a_draft_reads_back_as_its_bookmark_with_empty_folders_as_none() {
        let full = Bookmark {
            name: "사진".into(),
            local_dir: Some("/home/kim/사진".into()),
            remote_dir: Some("/pub/사진".into()),
            sync_browsing: true,
            directory_comparison: true,
        };
        assert_eq!(Draft::of(&full).bookmark(), full);
        let typed = Draft {
            name: " logs ".into(),
            local: "  ".into(),
            remote: "/var/log ".into(),
            ..Draft::default()
        };
        assert_eq!(typed.bookmark(), named("logs", "/var/log"));
    }

    #[test]
    fn the_manager_adds_duplicates_and_deletes_in_the_selected_list() {
        let globals = [named("a", "/a")];
        let own = [named("b", "/b")];
        let mut manager = ManageBookmarks::new(&globals, Some((site(), &own[..])));
        assert_eq!(manager.selected, Some((Scope::Global, 0)));
        manager.selected = Some((Scope::Site, 0));
        manager.add(true);
        let (_, list) = manager.site.as_ref().unwrap();
        assert_eq!(list[1].name, "b (2)");
        assert_eq!(list[1].remote, "/b");
        assert_eq!(manager.selected, Some((Scope::Site, 1)));
        manager.delete();
        manager.selected = Some((Scope::Global, 0));
        manager.delete();
        let Ok(ManageOutcome::Save { global, site }) = manager.checked() else {
            panic!("not saved")
        };
        assert!(global.is_empty());
        assert_eq!(site, Some(("s1".to_owned(), vec![named("b", "/b")])));
    }

    #[test]
    fn the_manager_refuses_a_nameless_or_repeated_bookmark_and_selects_it() {
        let globals = [named("a", "/a"), named("b", "/b")];
        let mut manager = ManageBookmarks::new(&globals, None);
        manager.global[1].name = "a".into();
        let err = manager.checked().err().unwrap();
        assert!(err.contains("exists already"), "{err}");
        assert_eq!(manager.selected, Some((Scope::Global, 1)));
        manager.add(false);
        assert_eq!(manager.global[2].name, "New bookmark");
        manager.global[1].name = "b".into();
        let err = manager.checked().err().unwrap();
        assert!(err.contains("at least one folder"), "{err}");
        assert_eq!(manager.selected, Some((Scope::Global, 2)));
    }
}
