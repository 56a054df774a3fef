//! The Site Manager window (File > Site Manager, Ctrl+S), as FileZilla's: on the left a tree
//! of folders and sites with New site, New folder, Rename, Duplicate and Delete, where sites
//! and folders are dragged onto folders to move them; on the right the selected site's
//! General, Advanced, Transfer settings and Charset tabs; Connect, OK and Cancel below.
//!
//! The window edits a copy of the site list and hands it back on OK or Connect; passwords
//! typed here go to the password store then (never into `sites.toml`). Unsaved changes are
//! asked about (Save / Discard / Cancel) when the window is closed with Escape or its ×, or
//! another site is chosen; the Cancel button discards them without asking.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use eframe::egui;

use crate::gui::form::{error_row, labelled, parse_ip, parse_port, parse_range};
use crate::proto::charset::Charset;
use crate::sites::credentials::StoreKind;
use crate::sites::site::{
    CharsetChoice, LogonType, Protocol, Site, SiteDataMode, SiteList, clean_name, new_site_id,
};

/// The custom charsets offered in the Charset tab (any other name can be typed).
pub const CHARSETS: [&str; 8] = [
    "cp949",
    "euc-kr",
    "shift_jis",
    "euc-jp",
    "gb18030",
    "big5",
    "windows-1252",
    "iso-8859-2",
];

/// A row of the tree: a folder (by path; `""` is the top, "My Sites") or a site (by id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Node {
    Folder(String),
    Site(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    General,
    Advanced,
    Transfer,
    Charset,
}

/// A change to the password store that OK or Connect asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordOp {
    Set(String, crate::secret::Secret),
    Remove(String),
    /// A duplicated site takes the original's saved password.
    Copy {
        from: String,
        to: String,
    },
}

/// What a frame of the window ended with.
#[derive(Debug)]
pub enum Outcome {
    Open,
    /// Closed without saving (nothing was changed, or the changes were discarded).
    Closed,
    /// OK, Connect, or Save in the unsaved-changes prompt.
    Save {
        sites: SiteList,
        passwords: Vec<PasswordOp>,
        /// Connect with this site (and this password, when one was typed) after saving.
        connect: Option<(String, Option<crate::secret::Secret>)>,
        close: bool,
    },
    /// Connect without changes to save.
    Connect(String),
    /// The user picked another password store (the keyring is unavailable).
    SwitchStore(StoreKind),
    /// Browse for the selected site's default local folder (the app opens the dialog).
    BrowseLocal {
        site: String,
        start: Option<PathBuf>,
    },
}

/// What the window knows of the rest of the app, each frame.
pub struct Context<'a> {
    pub store: StoreKind,
    /// Why the OS keyring cannot be used, when it was tried and failed.
    pub keyring_problem: Option<&'a str>,
    /// The global "transfers at once", shown as the default.
    pub global_parallel: usize,
}

#[derive(Debug, Clone)]
enum Prompt {
    ConfirmDelete(Node),
    Unsaved(After),
}

#[derive(Debug, Clone)]
enum After {
    Close,
    Select(Node),
}

/// Text fields that are parsed (port, port range, IP, charset): what was typed, for the
/// site shown, so a half-typed value can be shown with its error.
#[derive(Debug, Clone, Default)]
struct Form {
    site: String,
    port: String,
    range: String,
    ip: String,
    charset: String,
}

impl Form {
    fn of(site: &Site) -> Self {
        Self {
            site: site.id.clone(),
            port: site.port.map(|p| p.to_string()).unwrap_or_default(),
            range: site
                .active_port_range
                .map(|r| r.to_string())
                .unwrap_or_default(),
            ip: site
                .external_ip
                .map(|ip| ip.to_string())
                .unwrap_or_default(),
            charset: match &site.charset {
                CharsetChoice::Custom(name) => name.clone(),
                _ => String::new(),
            },
        }
    }
}

pub struct SiteManager {
    /// The list being edited.
    pub draft: SiteList,
    /// The list as saved.
    saved: SiteList,
    pub selected: Option<Node>,
    pub tab: Tab,
    /// Passwords typed, by site id, not yet in the store.
    passwords: HashMap<String, String>,
    /// Duplicates whose password comes from another site's saved one: (from, to).
    copies: Vec<(String, String)>,
    form: Form,
    collapsed: BTreeSet<String>,
    /// The row being renamed and the name typed so far.
    renaming: Option<(Node, String)>,
    prompt: Option<Prompt>,
}

impl SiteManager {
    pub fn new(sites: SiteList) -> Self {
        let selected = sites.sites.first().map(|s| Node::Site(s.id.clone()));
        let mut manager = Self {
            draft: sites.clone(),
            saved: sites,
            selected,
            tab: Tab::General,
            passwords: HashMap::new(),
            copies: Vec::new(),
            form: Form::default(),
            collapsed: BTreeSet::new(),
            renaming: None,
            prompt: None,
        };
        manager.sync_form();
        manager
    }

    /// Opens with `site` added (not yet saved) and selected: File > Copy current connection
    /// to Site Manager.
    pub fn with_new_site(sites: SiteList, mut site: Site, password: Option<String>) -> Self {
        let mut manager = Self::new(sites);
        site.name = manager.draft.free_name(&site.folder, &site.name);
        let id = site.id.clone();
        manager.draft.sites.push(site);
        if let Some(password) = password.filter(|p| !p.is_empty()) {
            manager.passwords.insert(id.clone(), password);
        }
        manager.selected = Some(Node::Site(id));
        manager.sync_form();
        manager
    }

    /// The saved list changed underneath (it was saved): this is now the saved state.
    pub fn mark_saved(&mut self) {
        self.saved = self.draft.clone();
        self.passwords.clear();
        self.copies.clear();
    }

    /// Any change not yet saved?
    pub fn is_dirty(&self) -> bool {
        self.draft != self.saved || !self.passwords.is_empty()
    }

    fn site_dirty(&self, id: &str) -> bool {
        self.draft.get(id) != self.saved.get(id) || self.passwords.contains_key(id)
    }

    /// A folder chosen with Browse… for a site's default local folder.
    pub fn set_local_dir(&mut self, site: &str, dir: PathBuf) {
        if let Some(site) = self.draft.get_mut(site) {
            site.local_dir = Some(dir);
        }
    }

    fn selected_site_id(&self) -> Option<String> {
        match &self.selected {
            Some(Node::Site(id)) if self.draft.get(id).is_some() => Some(id.clone()),
            _ => None,
        }
    }

    /// The folder new sites and folders go into: the selected folder, or the selected
    /// site's folder.
    fn target_folder(&self) -> String {
        match &self.selected {
            Some(Node::Folder(path)) => path.clone(),
            Some(Node::Site(id)) => self
                .draft
                .get(id)
                .map(|s| s.folder.clone())
                .unwrap_or_default(),
            None => String::new(),
        }
    }

    fn sync_form(&mut self) {
        if let Some(id) = self.selected_site_id()
            && self.form.site != id
            && let Some(site) = self.draft.get(&id)
        {
            self.form = Form::of(site);
        }
    }

    fn select(&mut self, node: Node) {
        if self.selected.as_ref() == Some(&node) {
            return;
        }
        if let Some(id) = self.selected_site_id()
            && self.site_dirty(&id)
        {
            self.prompt = Some(Prompt::Unsaved(After::Select(node)));
            return;
        }
        self.selected = Some(node);
        self.sync_form();
    }

    /// The changes of the selected site go; a site never saved goes entirely.
    fn discard_selected(&mut self) {
        let Some(id) = self.selected_site_id() else {
            return;
        };
        self.passwords.remove(&id);
        self.copies.retain(|(_, to)| *to != id);
        match self.saved.get(&id).cloned() {
            Some(original) => {
                if let Some(site) = self.draft.get_mut(&id) {
                    *site = original;
                }
            }
            None => self.draft.sites.retain(|s| s.id != id),
        }
        self.form = Form::default();
    }

    fn new_site(&mut self) {
        let folder = self.target_folder();
        let site = Site {
            name: self.draft.free_name(&folder, "New site"),
            folder: folder.clone(),
            ..Site::default()
        };
        let node = Node::Site(site.id.clone());
        self.renaming = Some((node.clone(), site.name.clone()));
        self.draft.sites.push(site);
        self.collapsed.remove(&folder);
        self.selected = Some(node);
        self.sync_form();
    }

    fn new_folder(&mut self) {
        let parent = self.target_folder();
        let existing = self.draft.all_folders();
        let path_of = |name: &str| {
            if parent.is_empty() {
                name.to_owned()
            } else {
                format!("{parent}/{name}")
            }
        };
        let name = std::iter::once("New folder".to_owned())
            .chain((2..).map(|n| format!("New folder ({n})")))
            .find(|name| !existing.contains(&path_of(name)))
            .unwrap_or_else(|| "New folder".to_owned());
        let path = path_of(&name);
        self.draft.folders.push(path.clone());
        self.draft.folders.sort();
        self.collapsed.remove(&parent);
        let node = Node::Folder(path);
        self.renaming = Some((node.clone(), name));
        self.selected = Some(node);
    }

    fn duplicate(&mut self) {
        let Some(id) = self.selected_site_id() else {
            return;
        };
        let Some(original) = self.draft.get(&id).cloned() else {
            return;
        };
        let copy = Site {
            id: new_site_id(),
            name: self
                .draft
                .free_name(&original.folder, &format!("Copy of {}", original.name)),
            ..original
        };
        if let Some(password) = self.passwords.get(&id).cloned() {
            self.passwords.insert(copy.id.clone(), password);
        } else if self.saved.get(&id).is_some() && copy.logon.saves_password() {
            self.copies.push((id, copy.id.clone()));
        }
        let node = Node::Site(copy.id.clone());
        self.draft.sites.push(copy);
        self.selected = Some(node);
        self.sync_form();
    }

    fn delete(&mut self, node: &Node) {
        match node {
            Node::Site(id) => {
                self.draft.sites.retain(|s| s.id != *id);
                self.passwords.remove(id);
                self.copies.retain(|(_, to)| to != id);
            }
            Node::Folder(path) if !path.is_empty() => {
                for id in self.draft.remove_folder(path) {
                    self.passwords.remove(&id);
                    self.copies.retain(|(_, to)| *to != id);
                }
            }
            Node::Folder(_) => {}
        }
        self.selected = None;
        self.form = Form::default();
    }

    fn commit_rename(&mut self) {
        let Some((node, text)) = self.renaming.take() else {
            return;
        };
        let name = clean_name(&text);
        match node {
            Node::Site(id) => {
                let folder = self.draft.get(&id).map(|s| s.folder.clone());
                if let Some(folder) = folder
                    && self.draft.get(&id).is_some_and(|s| s.name != name)
                {
                    let free = self.draft.free_name(&folder, &name);
                    if let Some(site) = self.draft.get_mut(&id) {
                        site.name = free;
                    }
                }
            }
            Node::Folder(path) if !path.is_empty() => {
                let parent = parent_folder(&path);
                let to = join_folder(parent, &name);
                if to != path && !self.draft.all_folders().contains(&to) {
                    self.draft.move_folder(&path, &to);
                    self.selected = Some(Node::Folder(to));
                }
            }
            Node::Folder(_) => {}
        }
    }

    /// Drops `dragged` into folder `target`.
    fn move_into(&mut self, dragged: &Node, target: &str) {
        match dragged {
            Node::Site(id) => {
                let Some(name) = self.draft.get(id).map(|s| s.name.clone()) else {
                    return;
                };
                if self.draft.get(id).is_some_and(|s| s.folder == target) {
                    return;
                }
                let free = self.draft.free_name(target, &name);
                if let Some(site) = self.draft.get_mut(id) {
                    site.folder = target.to_owned();
                    site.name = free;
                }
                if !target.is_empty() && !self.draft.all_folders().iter().any(|f| f == target) {
                    self.draft.folders.push(target.to_owned());
                }
            }
            Node::Folder(from) => {
                let inside_itself = target == from
                    || target
                        .strip_prefix(from.as_str())
                        .is_some_and(|rest| rest.starts_with('/'));
                if from.is_empty() || inside_itself || parent_folder(from) == target {
                    return;
                }
                let to = join_folder(target, base_name(from));
                if self.draft.all_folders().contains(&to) {
                    return;
                }
                self.draft.move_folder(from, &to);
                if let Some(Node::Folder(selected)) = &self.selected
                    && selected == from
                {
                    self.selected = Some(Node::Folder(to));
                }
            }
        }
        self.collapsed.remove(target);
    }

    /// What OK saves: the list, and the password changes for the store.
    fn save_outcome(&mut self, connect: Option<String>, close: bool) -> Outcome {
        let mut passwords = Vec::new();
        for (id, password) in &self.passwords {
            if let Some(site) = self.draft.get(id)
                && site.logon.saves_password()
                && !password.is_empty()
            {
                passwords.push(PasswordOp::Set(
                    id.clone(),
                    crate::secret::Secret::new(password.clone()),
                ));
            }
        }
        for (from, to) in &self.copies {
            if self.draft.get(to).is_some_and(|s| s.logon.saves_password()) {
                passwords.push(PasswordOp::Copy {
                    from: from.clone(),
                    to: to.clone(),
                });
            }
        }
        // Deleted sites, and sites whose logon no longer keeps a password, leave the store.
        for site in &self.saved.sites {
            let keeps = self
                .draft
                .get(&site.id)
                .is_some_and(|s| s.logon.saves_password());
            if !keeps && site.logon.saves_password() {
                passwords.push(PasswordOp::Remove(site.id.clone()));
            }
        }
        let connect = connect.map(|id| {
            let typed = self
                .passwords
                .get(&id)
                .filter(|p| !p.is_empty())
                .map(|p| crate::secret::Secret::new(p.clone()));
            (id, typed)
        });
        let sites = self.draft.clone();
        self.mark_saved();
        Outcome::Save {
            sites,
            passwords,
            connect,
            close,
        }
    }

    /// Escape or the window's ×: asks first when something is unsaved.
    fn close(&mut self) -> Outcome {
        if self.is_dirty() {
            self.prompt = Some(Prompt::Unsaved(After::Close));
            Outcome::Open
        } else {
            Outcome::Closed
        }
    }

    /// Whether the fields shown parse (OK and Connect wait until they do).
    fn form_valid(&self) -> bool {
        self.selected_site_id().is_none()
            || (parse_port(&self.form.port).is_ok()
                && parse_range(&self.form.range).is_ok()
                && parse_ip(&self.form.ip).is_ok()
                && self
                    .selected_site_id()
                    .and_then(|id| self.draft.get(&id))
                    .is_none_or(|s| s.charset.charset().is_ok()))
    }

    pub fn show(&mut self, ctx: &egui::Context, cx: &Context<'_>) -> Outcome {
        let mut open = true;
        let mut outcome = Outcome::Open;
        egui::Window::new("Site Manager")
            .id(egui::Id::unique("site-manager"))
            .open(&mut open)
            .collapsible(false)
            .resizable(true)
            .default_size([820.0, 560.0])
            .pivot(egui::Align2::CENTER_CENTER)
            .default_pos(ctx.content_rect().center())
            .min_size([640.0, 420.0])
            .show(ctx, |ui| {
                egui::Panel::bottom("sm-buttons").show(ui, |ui| {
                    ui.add_space(4.0);
                    outcome = self.buttons_ui(ui);
                });
                egui::Panel::left("sm-tree")
                    .resizable(true)
                    .default_size(260.0)
                    .min_size(180.0)
                    .show(ui, |ui| self.tree_side_ui(ui));
                egui::CentralPanel::default()
                    .show(ui, |ui| self.site_side_ui(ui, cx, &mut outcome));
            });
        if !open && matches!(outcome, Outcome::Open) {
            outcome = self.close();
        }
        if matches!(outcome, Outcome::Open) && self.prompt.is_none() && self.renaming.is_none() {
            let (escape, f2, delete) = ctx.input(|i| {
                (
                    i.key_pressed(egui::Key::Escape),
                    i.key_pressed(egui::Key::F2),
                    i.key_pressed(egui::Key::Delete),
                )
            });
            if escape {
                outcome = self.close();
            } else if !ctx.egui_wants_keyboard_input() {
                if f2 {
                    self.start_rename();
                }
                if delete && let Some(node) = self.selected.clone() {
                    self.prompt = Some(Prompt::ConfirmDelete(node));
                }
            }
        }
        if let Some(prompted) = self.prompt_ui(ctx) {
            outcome = prompted;
        }
        outcome
    }

    fn start_rename(&mut self) {
        let name = match &self.selected {
            Some(Node::Site(id)) => self.draft.get(id).map(|s| s.name.clone()),
            Some(Node::Folder(path)) if !path.is_empty() => Some(base_name(path).to_owned()),
            _ => None,
        };
        if let (Some(node), Some(name)) = (self.selected.clone(), name) {
            self.renaming = Some((node, name));
        }
    }

    fn buttons_ui(&mut self, ui: &mut egui::Ui) -> Outcome {
        let mut outcome = Outcome::Open;
        let valid = self.form_valid();
        ui.horizontal(|ui| {
            let site = self.selected_site_id();
            let can_connect = valid
                && site
                    .as_ref()
                    .and_then(|id| self.draft.get(id))
                    .is_some_and(|s| !s.host.trim().is_empty());
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                // Cancel means what it says, as in FileZilla: the changes go, unasked. (Escape
                // and the window's × may be slips, so they ask.)
                if ui
                    .button("Cancel")
                    .on_hover_text("Close without saving the changes")
                    .clicked()
                {
                    outcome = Outcome::Closed;
                }
                if ui.add_enabled(valid, egui::Button::new("OK")).clicked() {
                    outcome = self.save_outcome(None, true);
                }
                if ui
                    .add_enabled(can_connect, egui::Button::new("Connect"))
                    .on_hover_text("Save and connect to the selected site")
                    .clicked()
                    && let Some(id) = site
                {
                    outcome = if self.is_dirty() {
                        self.save_outcome(Some(id), true)
                    } else {
                        Outcome::Connect(id)
                    };
                }
                if self.is_dirty() {
                    ui.weak("Changes not saved yet");
                }
            });
        });
        outcome
    }

    fn tree_side_ui(&mut self, ui: &mut egui::Ui) {
        ui.label("Select entry:");
        let has_site = self.selected_site_id().is_some();
        let removable = matches!(&self.selected, Some(Node::Site(_)))
            || matches!(&self.selected, Some(Node::Folder(p)) if !p.is_empty());
        egui::Panel::bottom("sm-tree-buttons").show(ui, |ui| {
            ui.add_space(4.0);
            egui::Grid::new("sm-tree-button-grid")
                .num_columns(2)
                .spacing([6.0, 4.0])
                .show(ui, |ui| {
                    let width = (ui.available_width() / 2.0 - 6.0).max(80.0);
                    let button = |text: &str| egui::Button::new(text).min_size([width, 0.0].into());
                    if ui.add(button("New site")).clicked() {
                        self.commit_rename();
                        self.new_site();
                    }
                    if ui.add(button("New folder")).clicked() {
                        self.commit_rename();
                        self.new_folder();
                    }
                    ui.end_row();
                    if ui.add_enabled(removable, button("Rename")).clicked() {
                        self.start_rename();
                    }
                    if ui.add_enabled(removable, button("Delete")).clicked()
                        && let Some(node) = self.selected.clone()
                    {
                        self.prompt = Some(Prompt::ConfirmDelete(node));
                    }
                    ui.end_row();
                    if ui.add_enabled(has_site, button("Duplicate")).clicked() {
                        self.duplicate();
                    }
                    ui.end_row();
                });
        });
        egui::CentralPanel::default()
            .frame(
                egui::Frame::new()
                    .fill(ui.visuals().extreme_bg_color)
                    .stroke(ui.visuals().widgets.noninteractive.bg_stroke)
                    .inner_margin(4),
            )
            .show(ui, |ui| {
                egui::ScrollArea::both()
                    .id_salt("sm-tree-scroll")
                    .auto_shrink([false, false])
                    .show(ui, |ui| self.tree_ui(ui));
            });
    }

    fn tree_ui(&mut self, ui: &mut egui::Ui) {
        let rows = tree_rows(&self.draft, &self.collapsed);
        let mut clicked = None;
        let mut dropped: Option<(Node, String)> = None;
        let mut toggled = None;
        let mut rename_done = false;
        for row in &rows {
            let selected = self.selected.as_ref() == Some(&row.node);
            let folder_path = match &row.node {
                Node::Folder(path) => Some(path.clone()),
                Node::Site(_) => None,
            };
            let inner = ui.horizontal(|ui| {
                ui.add_space(row.depth as f32 * 16.0);
                if folder_path.is_some() {
                    let arrow = if row.expanded { "⏷" } else { "⏵" };
                    if ui
                        .add(egui::Button::new(arrow).frame(false).small())
                        .clicked()
                    {
                        toggled = folder_path.clone();
                    }
                } else {
                    ui.add_space(18.0);
                }
                if let Some((node, text)) = &mut self.renaming
                    && *node == row.node
                {
                    let edit = ui.add(egui::TextEdit::singleline(text).desired_width(160.0));
                    if !edit.has_focus() && !edit.lost_focus() {
                        edit.request_focus();
                    }
                    if edit.lost_focus() {
                        rename_done = true;
                    }
                    return None;
                }
                let icon = if folder_path.is_some() {
                    "🗀"
                } else {
                    "🖥"
                };
                let response = ui.add(
                    egui::Button::selectable(selected, format!("{icon} {}", row.name))
                        .sense(egui::Sense::click_and_drag()),
                );
                Some(response)
            });
            let Some(response) = inner.inner else {
                continue;
            };
            if row.node != Node::Folder(String::new()) {
                response.dnd_set_drag_payload(row.node.clone());
            }
            if response.clicked() || response.drag_started() {
                clicked = Some(row.node.clone());
            }
            if response.double_clicked() && folder_path.is_some() {
                toggled = folder_path.clone();
            }
            if let Some(target) = &folder_path {
                let area = inner.response.union(response.clone());
                if let Some(dragged) = area.dnd_hover_payload::<Node>()
                    && *dragged != row.node
                {
                    ui.painter().rect_stroke(
                        area.rect,
                        2.0,
                        ui.visuals().selection.stroke,
                        egui::StrokeKind::Inside,
                    );
                }
                if let Some(dragged) = area.dnd_release_payload::<Node>() {
                    dropped = Some(((*dragged).clone(), target.clone()));
                }
            }
        }
        if rename_done {
            let cancelled = ui.input(|i| i.key_pressed(egui::Key::Escape));
            if cancelled {
                self.renaming = None;
            } else {
                self.commit_rename();
            }
        }
        if let Some(path) = toggled
            && !self.collapsed.remove(&path)
        {
            self.collapsed.insert(path);
        }
        if let Some((dragged, target)) = dropped {
            self.move_into(&dragged, &target);
        } else if let Some(node) = clicked {
            if self.renaming.as_ref().is_some_and(|(n, _)| *n != node) {
                self.commit_rename();
            }
            self.select(node);
        }
    }

    fn site_side_ui(&mut self, ui: &mut egui::Ui, cx: &Context<'_>, outcome: &mut Outcome) {
        self.sync_form();
        let Some(id) = self.selected_site_id() else {
            ui.add_space(20.0);
            ui.vertical_centered(|ui| {
                ui.weak(match &self.selected {
                    Some(Node::Folder(_)) => {
                        "A folder: drag sites onto it, or add one with New site."
                    }
                    _ => "Select a site on the left, or create one with New site.",
                });
            });
            return;
        };
        ui.horizontal(|ui| {
            for (tab, name) in [
                (Tab::General, "General"),
                (Tab::Advanced, "Advanced"),
                (Tab::Transfer, "Transfer settings"),
                (Tab::Charset, "Charset"),
            ] {
                ui.selectable_value(&mut self.tab, tab, name);
            }
        });
        ui.separator();
        let tab = self.tab;
        let Self {
            draft,
            form,
            passwords,
            ..
        } = self;
        let Some(site) = draft.get_mut(&id) else {
            return;
        };
        egui::ScrollArea::vertical()
            .id_salt("sm-site-scroll")
            .auto_shrink([false, false])
            .show(ui, |ui| match tab {
                Tab::General => general_ui(ui, site, form, passwords, cx, outcome),
                Tab::Advanced => advanced_ui(ui, site, outcome),
                Tab::Transfer => transfer_ui(ui, site, form, cx),
                Tab::Charset => charset_ui(ui, site, form),
            });
    }

    fn prompt_ui(&mut self, ctx: &egui::Context) -> Option<Outcome> {
        let prompt = self.prompt.clone()?;
        let mut result = None;
        let modal = egui::Modal::new(egui::Id::unique("site-manager-prompt")).show(ctx, |ui| {
            ui.set_min_width(360.0);
            match &prompt {
                Prompt::ConfirmDelete(node) => {
                    ui.heading("Delete");
                    ui.label(match node {
                        Node::Site(id) => format!(
                            "Really delete the site {}?",
                            self.draft.get(id).map(|s| s.name.as_str()).unwrap_or("")
                        ),
                        Node::Folder(path) => format!(
                            "Really delete the folder {} and every site in it?",
                            base_name(path)
                        ),
                    });
                    ui.add_space(6.0);
                    ui.horizontal(|ui| {
                        if ui.button("Delete").clicked() {
                            result = Some(1);
                        }
                        if ui.button("Cancel").clicked() {
                            result = Some(0);
                        }
                    });
                }
                Prompt::Unsaved(_) => {
                    ui.heading("Unsaved changes");
                    ui.label("The Site Manager has changes that are not saved yet.");
                    ui.add_space(6.0);
                    ui.horizontal(|ui| {
                        if ui
                            .add_enabled(self.form_valid(), egui::Button::new("Save"))
                            .clicked()
                        {
                            result = Some(2);
                        }
                        if ui.button("Discard").clicked() {
                            result = Some(1);
                        }
                        if ui.button("Cancel").clicked() {
                            result = Some(0);
                        }
                    });
                }
            }
        });
        if modal.should_close() && result.is_none() {
            result = Some(0);
        }
        let choice = result?;
        self.prompt = None;
        match (prompt, choice) {
            (Prompt::ConfirmDelete(node), 1) => {
                self.delete(&node);
                None
            }
            (Prompt::Unsaved(After::Close), 2) => Some(self.save_outcome(None, true)),
            (Prompt::Unsaved(After::Close), 1) => Some(Outcome::Closed),
            (Prompt::Unsaved(After::Select(node)), 2) => {
                let saved = self.save_outcome(None, false);
                self.selected = Some(node);
                self.sync_form();
                Some(saved)
            }
            (Prompt::Unsaved(After::Select(node)), 1) => {
                self.discard_selected();
                self.selected = Some(node);
                self.sync_form();
                None
            }
            _ => None,
        }
    }
}

/// One row of the tree as drawn.
struct Row {
    node: Node,
    name: String,
    depth: usize,
    expanded: bool,
}

/// "My Sites", then folders (each followed by what is inside) and sites, by name.
fn tree_rows(list: &SiteList, collapsed: &BTreeSet<String>) -> Vec<Row> {
    let folders = list.all_folders();
    let mut rows = Vec::new();
    fn add(
        rows: &mut Vec<Row>,
        list: &SiteList,
        folders: &[String],
        collapsed: &BTreeSet<String>,
        folder: &str,
        depth: usize,
    ) {
        let expanded = !collapsed.contains(folder);
        rows.push(Row {
            node: Node::Folder(folder.to_owned()),
            name: if folder.is_empty() {
                "My Sites".to_owned()
            } else {
                base_name(folder).to_owned()
            },
            depth,
            expanded,
        });
        if !expanded {
            return;
        }
        let mut children: Vec<&String> = folders
            .iter()
            .filter(|f| parent_folder(f) == folder)
            .collect();
        children.sort_by_key(|f| f.to_lowercase());
        for child in children {
            add(rows, list, folders, collapsed, child, depth + 1);
        }
        let mut sites: Vec<&Site> = list.sites.iter().filter(|s| s.folder == folder).collect();
        sites.sort_by_key(|s| s.name.to_lowercase());
        for site in sites {
            rows.push(Row {
                node: Node::Site(site.id.clone()),
                name: site.name.clone(),
                depth: depth + 1,
                expanded: false,
            });
        }
    }
    add(&mut rows, list, &folders, collapsed, "", 0);
    rows
}

fn parent_folder(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(parent, _)| parent)
}

fn base_name(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, name)| name)
}

fn join_folder(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}/{name}")
    }
}

fn general_ui(
    ui: &mut egui::Ui,
    site: &mut Site,
    form: &mut Form,
    passwords: &mut HashMap<String, String>,
    cx: &Context<'_>,
    outcome: &mut Outcome,
) {
    egui::Grid::new("sm-general")
        .num_columns(2)
        .spacing([10.0, 6.0])
        .show(ui, |ui| {
            labelled(ui, "Protocol:", |ui| {
                egui::ComboBox::from_id_salt("sm-protocol")
                    .width(300.0)
                    .selected_text(site.protocol.label())
                    .show_ui(ui, |ui| {
                        for protocol in Protocol::ALL {
                            ui.selectable_value(&mut site.protocol, protocol, protocol.label());
                        }
                    })
                    .response
            });
            labelled(ui, "Host:", |ui| {
                ui.add(egui::TextEdit::singleline(&mut site.host).desired_width(300.0))
            });
            let port = labelled(ui, "Port:", |ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut form.port)
                        .hint_text(site.protocol.default_port().to_string())
                        .desired_width(80.0),
                )
            });
            let parsed = parse_port(&form.port);
            if port.changed()
                && let Ok(value) = parsed
            {
                site.port = value;
            }
            error_row(ui, parsed.err());
            labelled(ui, "Logon Type:", |ui| {
                egui::ComboBox::from_id_salt("sm-logon")
                    .width(300.0)
                    .selected_text(site.logon.label())
                    .show_ui(ui, |ui| {
                        for logon in LogonType::ALL {
                            ui.selectable_value(&mut site.logon, logon, logon.label());
                        }
                    })
                    .response
            });
            let anonymous = site.logon == LogonType::Anonymous;
            labelled(ui, "User:", |ui| {
                ui.add_enabled(
                    !anonymous,
                    egui::TextEdit::singleline(&mut site.user).desired_width(300.0),
                )
            });
            if site.logon.saves_password() {
                let typed = passwords.entry(site.id.clone()).or_default();
                let hint = if cx.store == StoreKind::DontSave {
                    "asked when connecting"
                } else {
                    "type to set or replace the saved one"
                };
                labelled(ui, "Password:", |ui| {
                    ui.add_enabled(
                        cx.store != StoreKind::DontSave,
                        egui::TextEdit::singleline(typed)
                            .password(true)
                            .hint_text(hint)
                            .desired_width(300.0),
                    )
                });
                if typed.is_empty() {
                    passwords.remove(&site.id);
                }
                ui.label("");
                ui.weak(format!("Saved in: {}", cx.store));
                ui.end_row();
                if cx.store == StoreKind::Keyring
                    && let Some(problem) = cx.keyring_problem
                {
                    ui.label("");
                    ui.vertical(|ui| {
                        ui.colored_label(
                            ui.visuals().warn_fg_color,
                            format!("The OS keyring cannot be used: {problem}"),
                        );
                        ui.horizontal(|ui| {
                            if ui.button("Use a master password").clicked() {
                                *outcome = Outcome::SwitchStore(StoreKind::MasterPassword);
                            }
                            if ui.button("Don't save passwords").clicked() {
                                *outcome = Outcome::SwitchStore(StoreKind::DontSave);
                            }
                        });
                    });
                    ui.end_row();
                }
            } else if site.logon.asks_password() {
                ui.label("Password:");
                ui.weak(if site.logon == LogonType::AskForPassword {
                    "Asked when connecting, kept until Skiff closes"
                } else {
                    "Asked at every logon, never kept"
                });
                ui.end_row();
            }
            if site.logon == LogonType::Account {
                labelled(ui, "Account:", |ui| {
                    ui.add(egui::TextEdit::singleline(&mut site.account).desired_width(300.0))
                });
            }
            if site.protocol == Protocol::Sftp {
                let mut text = site
                    .key_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                let edited = labelled(ui, "Key file:", |ui| {
                    ui.add(
                        egui::TextEdit::singleline(&mut text)
                            .hint_text("empty: the SSH agent and ~/.ssh/id_*")
                            .desired_width(300.0),
                    )
                });
                if edited.changed() {
                    site.key_file =
                        (!text.trim().is_empty()).then(|| std::path::PathBuf::from(text));
                }
            }
        });
    ui.add_space(8.0);
    let label = ui.label("Comments:");
    ui.add(
        egui::TextEdit::multiline(&mut site.comments)
            .desired_rows(4)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id);
}

fn advanced_ui(ui: &mut egui::Ui, site: &mut Site, outcome: &mut Outcome) {
    egui::Grid::new("sm-advanced")
        .num_columns(2)
        .spacing([10.0, 6.0])
        .show(ui, |ui| {
            let label = ui.label("Default local directory:");
            ui.horizontal(|ui| {
                let mut text = site
                    .local_dir
                    .as_ref()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default();
                let edit = ui
                    .add(egui::TextEdit::singleline(&mut text).desired_width(280.0))
                    .labelled_by(label.id);
                if edit.changed() {
                    site.local_dir = (!text.trim().is_empty()).then(|| PathBuf::from(text.trim()));
                }
                if ui.button("Browse…").clicked() {
                    *outcome = Outcome::BrowseLocal {
                        site: site.id.clone(),
                        start: site.local_dir.clone(),
                    };
                }
            });
            ui.end_row();
            let label = ui.label("Default remote directory:");
            let mut text = site.remote_dir.clone().unwrap_or_default();
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut text)
                        .hint_text("the login folder")
                        .desired_width(280.0),
                )
                .labelled_by(label.id);
            if edit.changed() {
                site.remote_dir = (!text.trim().is_empty()).then(|| text.trim().to_owned());
            }
            ui.end_row();
            ui.label("Adjust server time, offset by:");
            ui.horizontal(|ui| {
                let mut hours = site.timezone_offset_minutes / 60;
                let mut minutes = site.timezone_offset_minutes % 60;
                let h = ui
                    .add(egui::DragValue::new(&mut hours).range(-24..=24))
                    .on_hover_text("Hours");
                ui.label("hours");
                let m = ui
                    .add(egui::DragValue::new(&mut minutes).range(-59..=59))
                    .on_hover_text("Minutes");
                ui.label("minutes");
                if h.changed() || m.changed() {
                    site.timezone_offset_minutes = hours * 60 + minutes;
                }
            });
            ui.end_row();
        });
    ui.add_space(4.0);
    ui.weak(
        "The offset is added to the times the server lists, for servers that list in \
         their own time zone.",
    );
    if site.protocol != Protocol::Sftp {
        ui.add_space(6.0);
        ui.checkbox(
            &mut site.list_hidden,
            "Show hidden files (LIST -a): for servers such as vsftpd that leave files whose \
             names start with a dot out of their listings",
        );
        ui.add_space(6.0);
        post_logon_commands_ui(ui, &mut site.post_logon_commands);
    }
    ui.add_space(6.0);
    ui.checkbox(
        &mut site.synchronized_browsing,
        "Use synchronized browsing (from the default local and remote directories)",
    );
    ui.horizontal(|ui| {
        let label = ui.label("Preserve timestamps of transferred files:");
        let shown = |choice: Option<bool>| match choice {
            None => "As in Settings",
            Some(true) => "Yes",
            Some(false) => "No",
        };
        egui::ComboBox::from_id_salt("sm-preserve-times")
            .selected_text(shown(site.preserve_timestamps))
            .show_ui(ui, |ui| {
                for choice in [None, Some(true), Some(false)] {
                    ui.selectable_value(&mut site.preserve_timestamps, choice, shown(choice));
                }
            })
            .response
            .labelled_by(label.id);
    });
}

/// FTP's post-logon commands: one line each, sent in order after every logon. A line
/// that cannot be sent (a line break in it) says so under it; empty ones are dropped.
fn post_logon_commands_ui(ui: &mut egui::Ui, commands: &mut Vec<String>) {
    ui.label("Post-logon commands (sent in order after each logon; replies in the log):");
    let mut remove = None;
    for (i, command) in commands.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            let label = ui.label(format!("Command {}:", i + 1));
            ui.add(
                egui::TextEdit::singleline(command)
                    .hint_text("SITE UMASK 002")
                    .desired_width(320.0),
            )
            .labelled_by(label.id);
            if ui
                .button("✖")
                .on_hover_text("Remove this command")
                .clicked()
            {
                remove = Some(i);
            }
        });
        if let Err(err) = crate::proto::command::check_raw_line(command.as_bytes())
            && !command.is_empty()
        {
            ui.colored_label(ui.visuals().error_fg_color, err.to_string());
        }
    }
    if let Some(i) = remove {
        commands.remove(i);
    }
    if ui.button("Add command").clicked() {
        commands.retain(|c| !c.trim().is_empty());
        commands.push(String::new());
    }
}

fn transfer_ui(ui: &mut egui::Ui, site: &mut Site, form: &mut Form, cx: &Context<'_>) {
    if site.protocol == Protocol::Sftp {
        // SFTP moves files inside its one SSH connection: no data connections to set up.
        ui.weak("SFTP needs no transfer mode, port range or external address.");
        ui.add_space(6.0);
        egui::Grid::new("sm-transfer-sftp")
            .num_columns(2)
            .spacing([10.0, 6.0])
            .show(ui, |ui| max_connections_ui(ui, site, cx));
        return;
    }
    ui.strong("Transfer mode");
    ui.horizontal(|ui| {
        for mode in [
            SiteDataMode::Default,
            SiteDataMode::Active,
            SiteDataMode::Passive,
        ] {
            ui.radio_value(&mut site.data_mode, mode, mode.label());
        }
    });
    ui.add_space(6.0);
    egui::Grid::new("sm-transfer")
        .num_columns(2)
        .spacing([10.0, 6.0])
        .show(ui, |ui| {
            let range = labelled(ui, "Active mode port range:", |ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut form.range)
                        .hint_text("MIN-MAX, e.g. 50200-50210; empty: global")
                        .desired_width(300.0),
                )
            });
            let parsed = parse_range(&form.range);
            if range.changed()
                && let Ok(value) = parsed
            {
                site.active_port_range = value;
            }
            error_row(ui, parsed.err());
            let ip = labelled(ui, "External IP address:", |ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut form.ip)
                        .hint_text("announced behind NAT; empty: global")
                        .desired_width(300.0),
                )
            });
            let parsed = parse_ip(&form.ip);
            if ip.changed()
                && let Ok(value) = parsed
            {
                site.external_ip = value;
            }
            error_row(ui, parsed.err());
            labelled(ui, "Passive fallback to active:", |ui| {
                let text = |v: Option<bool>| match v {
                    None => "Default",
                    Some(true) => "On",
                    Some(false) => "Off",
                };
                egui::ComboBox::from_id_salt("sm-fallback")
                    .selected_text(text(site.passive_fallback))
                    .show_ui(ui, |ui| {
                        for value in [None, Some(true), Some(false)] {
                            ui.selectable_value(&mut site.passive_fallback, value, text(value));
                        }
                    })
                    .response
            });
            tri_state_ui(ui, "Try EPSV first:", "sm-epsv", &mut site.prefer_epsv);
            tri_state_ui(
                ui,
                "Passive: connect to the server's own address:",
                "sm-control-peer",
                &mut site.use_control_peer_for_pasv,
            );
            max_connections_ui(ui, site, cx);
        });
}

fn max_connections_ui(ui: &mut egui::Ui, site: &mut Site, cx: &Context<'_>) {
    labelled(ui, "Maximum simultaneous connections:", |ui| {
        let text = |v: Option<u8>| match v {
            None => format!("Default ({})", cx.global_parallel),
            Some(n) => n.to_string(),
        };
        egui::ComboBox::from_id_salt("sm-max-connections")
            .selected_text(text(site.max_connections))
            .show_ui(ui, |ui| {
                for value in std::iter::once(None).chain((1..=10).map(Some)) {
                    ui.selectable_value(&mut site.max_connections, value, text(value));
                }
            })
            .response
    });
}

fn charset_ui(ui: &mut egui::Ui, site: &mut Site, form: &mut Form) {
    ui.label("The server uses the following charset for file names:");
    ui.add_space(4.0);
    let mut kind = match site.charset {
        CharsetChoice::Auto => 0,
        CharsetChoice::ForceUtf8 => 1,
        CharsetChoice::Custom(_) => 2,
    };
    let before = kind;
    ui.radio_value(
        &mut kind,
        0,
        "Autodetect (UTF-8; other names shown in the fallback charset of Edit > Settings)",
    );
    ui.radio_value(&mut kind, 1, "Force UTF-8");
    ui.radio_value(&mut kind, 2, "Use custom charset");
    if kind != before {
        site.charset = match kind {
            0 => CharsetChoice::Auto,
            1 => CharsetChoice::ForceUtf8,
            _ => {
                if form.charset.trim().is_empty() {
                    form.charset = CHARSETS[0].to_owned();
                }
                CharsetChoice::Custom(form.charset.trim().to_owned())
            }
        };
    }
    ui.add_enabled_ui(kind == 2, |ui| {
        ui.horizontal(|ui| {
            ui.add_space(24.0);
            let label = ui.label("Encoding:");
            let mut changed = ui
                .add(egui::TextEdit::singleline(&mut form.charset).desired_width(140.0))
                .labelled_by(label.id)
                .changed();
            egui::ComboBox::from_id_salt("sm-charset")
                .selected_text("Choose…")
                .show_ui(ui, |ui| {
                    for name in CHARSETS {
                        if ui.selectable_label(form.charset == name, name).clicked() {
                            form.charset = name.to_owned();
                            changed = true;
                        }
                    }
                });
            if changed && kind == 2 {
                site.charset = CharsetChoice::Custom(form.charset.trim().to_owned());
            }
        });
        if kind == 2 {
            match Charset::from_name(form.charset.trim()) {
                Ok(charset) => {
                    ui.weak(format!("Names are decoded as {}.", charset.name()));
                }
                Err(err) => {
                    ui.colored_label(ui.visuals().error_fg_color, err.to_string());
                }
            }
        }
    });
    ui.add_space(6.0);
    ui.weak(
        "Korean servers often use cp949 (euc-kr), Japanese ones shift_jis or euc-jp, \
         Chinese ones gb18030 or big5.",
    );
}

/// A labelled Default / On / Off choice for a site's override of a global setting.
fn tri_state_ui(ui: &mut egui::Ui, label: &str, id: &str, value: &mut Option<bool>) {
    labelled(ui, label, |ui| {
        let text = |v: Option<bool>| match v {
            None => "Default",
            Some(true) => "On",
            Some(false) => "Off",
        };
        egui::ComboBox::from_id_salt(id)
            .selected_text(text(*value))
            .show_ui(ui, |ui| {
                for choice in [None, Some(true), Some(false)] {
                    ui.selectable_value(value, choice, text(choice));
                }
            })
            .response
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(name: &str, folder: &str) -> Site {
        Site {
            name: name.into(),
            folder: folder.into(),
            ..Site::default()
        }
    }

    fn names(manager: &SiteManager) -> Vec<String> {
        tree_rows(&manager.draft, &manager.collapsed)
            .iter()
            .map(|r| format!("{}{}", " ".repeat(r.depth), r.name))
            .collect()
    }

    #[test]
    fn the_tree_shows_folders_before_sites_by_name() {
        let list = SiteList {
            folders: vec!["Empty".into()],
            sites: vec![
                site("web", "Work"),
                site("nas", ""),
                site("db", "Work/Clients"),
            ],
        };
        let manager = SiteManager::new(list);
        assert_eq!(
            names(&manager),
            [
                "My Sites",
                " Empty",
                " Work",
                "  Clients",
                "   db",
                "  web",
                " nas"
            ]
        );
    }

    #[test]
    fn sites_and_folders_move_by_drop_but_never_into_themselves() {
        let a = site("a", "");
        let id = a.id.clone();
        let mut manager = SiteManager::new(SiteList {
            folders: vec!["Work".into(), "Home".into()],
            sites: vec![a, site("b", "Work")],
        });
        manager.move_into(&Node::Site(id.clone()), "Work");
        assert_eq!(manager.draft.get(&id).unwrap().folder, "Work");
        manager.move_into(&Node::Folder("Work".into()), "Home");
        assert_eq!(manager.draft.get(&id).unwrap().folder, "Home/Work");
        manager.move_into(&Node::Folder("Home".into()), "Home/Work");
        assert_eq!(manager.draft.get(&id).unwrap().folder, "Home/Work");
        assert!(manager.is_dirty());
    }

    #[test]
    fn saving_sets_typed_passwords_and_removes_those_of_deleted_sites() {
        let kept = Site {
            host: "h".into(),
            ..site("kept", "")
        };
        let gone = site("gone", "");
        let (kept_id, gone_id) = (kept.id.clone(), gone.id.clone());
        let mut manager = SiteManager::new(SiteList {
            folders: vec![],
            sites: vec![kept, gone],
        });
        manager.passwords.insert(kept_id.clone(), "pw".into());
        manager.delete(&Node::Site(gone_id.clone()));
        let Outcome::Save {
            sites, passwords, ..
        } = manager.save_outcome(None, true)
        else {
            panic!("not a save");
        };
        assert_eq!(sites.sites.len(), 1);
        assert!(passwords.contains(&PasswordOp::Set(kept_id, crate::secret::Secret::new("pw"))));
        assert!(passwords.contains(&PasswordOp::Remove(gone_id)));
        assert!(!manager.is_dirty());
    }

    #[test]
    fn discarding_a_new_site_removes_it_and_an_edited_one_goes_back() {
        let old = Site {
            host: "old".into(),
            ..site("old", "")
        };
        let old_id = old.id.clone();
        let mut manager = SiteManager::new(SiteList {
            folders: vec![],
            sites: vec![old],
        });
        manager.draft.get_mut(&old_id).unwrap().host = "changed".into();
        manager.select(Node::Folder(String::new()));
        assert!(matches!(manager.prompt, Some(Prompt::Unsaved(_))));
        manager.discard_selected();
        assert_eq!(manager.draft.get(&old_id).unwrap().host, "old");
        manager.new_site();
        assert!(manager.is_dirty());
        manager.discard_selected();
        assert!(!manager.is_dirty());
    }

    #[test]
    fn fields_are_checked() {
        assert_eq!(parse_port(""), Ok(None));
        assert_eq!(parse_port("2121"), Ok(Some(2121)));
        assert!(parse_port("0").is_err() && parse_port("http").is_err());
        assert_eq!(
            parse_range("50200-50210").unwrap().unwrap().to_string(),
            "50200-50210"
        );
        assert!(parse_range("50210-50200").is_err() && parse_range("80-90").is_err());
        assert!(parse_ip("203.0.113.5").unwrap().is_some());
        assert!(parse_ip("::1").unwrap().is_some());
        assert!(parse_ip("300.1.1.1").is_err());
    }
}
