//! Custom commands and queue tools in the real window (issue 22, points 4 and 5), against
//! vsftpd on loopback: Server > Enter custom command… sends a line and its reply is in the
//! message log; a line with a newline is refused in the dialog and nothing is sent; a queue
//! exported to a file (no password in it) and imported into another window comes back and
//! runs; and "close the window" after the queue closes it. Every wait is bounded.

use crate::common::{FtpServer, ServerKind};
use crate::gui_common::*;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use skiff::gui::SkiffApp;
use skiff::gui::notification::AfterQueue;
use skiff::gui::queue_view::QueueTab;
use skiff::log::LogKind;

/// The message log's lines of one kind.
fn log_of(h: &Harness<'_, SkiffApp>, kind: LogKind) -> Vec<String> {
    h.state()
        .model()
        .log
        .iter()
        .filter(|l| l.kind == kind)
        .map(|l| l.text.clone())
        .collect()
}

/// Server > Enter custom command…, then `line` typed into its field and Send clicked.
fn send_custom_command(h: &mut Harness<'_, SkiffApp>, line: &str) {
    h.get_by_label("Server").click();
    settle(h);
    h.get_by_label("Enter custom command…").click();
    step_until(h, "the custom command dialog", |h| {
        h.query_by_role_and_label(Role::Window, "Enter custom command")
            .is_some()
    });
    settle(h);
    h.get_by_label("Command:").click();
    settle(h);
    h.event(egui::Event::Text(line.to_owned()));
    settle(h);
    h.get_by_label("Send").click();
    settle(h);
}

/// Right-click on a remote file, then a context-menu entry.
fn remote_context_menu(h: &mut Harness<'_, SkiffApp>, name: &str, entry: &str) {
    let at = remote_table_row(h, name);
    click_at(h, at, egui::PointerButton::Secondary);
    settle(h);
    h.get_by_label(entry).click();
    settle(h);
}

#[test]
fn a_custom_command_is_sent_and_its_reply_is_in_the_log() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut h = window(&rt, local.path());
    quickconnect(&mut h, &server);
    // The TLS-first attempt before plain FTP was allowed left its line.
    let errors_before = error_lines(&h).len();

    send_custom_command(&mut h, "SYST");
    step_until(&mut h, "SYST's reply in the log", |h| {
        log_of(h, LogKind::Response)
            .iter()
            .any(|r| r.starts_with("215") && r.contains("UNIX"))
    });
    assert!(log_of(&h, LogKind::Command).iter().any(|c| c == "SYST"));
    assert!(
        h.state().custom_command_window().is_none(),
        "closed once sent"
    );
    assert_eq!(
        error_lines(&h).len(),
        errors_before,
        "{:?}",
        error_lines(&h)
    );
}

#[test]
fn a_command_with_a_newline_is_refused_in_the_dialog_and_nothing_is_sent() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut h = window(&rt, local.path());
    quickconnect(&mut h, &server);
    let sent_before = log_of(&h, LogKind::Command).len();

    send_custom_command(&mut h, "SITE HELP\nDELE www");
    let window = h.state().custom_command_window().expect("still open");
    assert!(
        window
            .refused
            .as_deref()
            .is_some_and(|r| r.contains("one line")),
        "{:?}",
        window.refused
    );
    assert!(has_label(&h, "Not sent: a command is one line"));
    // A few more frames: still nothing went out.
    settle(&mut h);
    let sent: Vec<String> = log_of(&h, LogKind::Command)
        .into_iter()
        .skip(sent_before)
        .collect();
    assert!(sent.is_empty(), "{sent:?}");
}

#[test]
fn an_exported_queue_imports_into_another_window_without_its_password_and_runs() {
    // pure-ftpd: its test password is not also the user name, as vsftpd's is.
    let server = FtpServer::start(ServerKind::PureFtpd);
    server.write_file("a.txt", b"first file");
    server.write_file("b.txt", b"second file");
    let local = tempfile::tempdir().unwrap();
    let exported = tempfile::tempdir().unwrap();
    let file = exported.path().join("queue.json");
    let rt = runtime();
    let _enter = rt.enter();

    {
        let mut h = window(&rt, local.path());
        quickconnect(&mut h, &server);
        for name in ["a.txt", "b.txt"] {
            remote_context_menu(&mut h, name, "Add files to queue");
        }
        step_until(&mut h, "two queued items", |h| {
            h.state().model().queue.count(QueueTab::Queued) == 2
        });
        h.state_mut().export_queue_to(file.clone());
        step_until(&mut h, "the export", |h| {
            log_of(h, LogKind::Status)
                .iter()
                .any(|l| l.starts_with("Exported 2 queue items"))
        });
    }
    let text = std::fs::read_to_string(&file).unwrap();
    crate::common::secrets::assert_no_file_holds(std::slice::from_ref(&file), server.password());
    assert!(text.contains(&hex_of("a.txt")), "{text}");

    // Another window, which knows no password yet: the items come back queued.
    let mut h = window(&rt, local.path());
    h.state_mut().import_queue_from(file.clone());
    step_until(&mut h, "the imported items", |h| {
        h.state().model().queue.count(QueueTab::Queued) == 2
    });
    let remotes: Vec<String> = (h.state().model().queue.tab(QueueTab::Queued))
        .iter()
        .map(|r| r.remote.clone())
        .collect();
    assert!(
        remotes[0].ends_with("a.txt") && remotes[1].ends_with("b.txt"),
        "{remotes:?}"
    );
    // Logged on (the password typed), the queue runs them.
    quickconnect(&mut h, &server);
    h.get_by_label("Process queue").click();
    step_until(&mut h, "both downloads", |h| {
        h.state().model().queue.count(QueueTab::Successful) == 2
    });
    assert_eq!(
        std::fs::read(local.path().join("b.txt")).unwrap(),
        b"second file"
    );
}

fn hex_of(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn close_the_window_after_the_queue_closes_it() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("report.txt", b"monthly");
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut h = window(&rt, local.path());
    quickconnect(&mut h, &server);

    // Chosen from Transfer > Action after queue completes.
    h.get_by_label("Transfer").click();
    settle(&mut h);
    h.get_by_label("Action after queue completes").click();
    settle(&mut h);
    h.get_by_label("Close the window").click();
    settle(&mut h);
    assert_eq!(h.state().after_queue(), AfterQueue::CloseWindow);
    let closing = |h: &Harness<'_, SkiffApp>| {
        h.output()
            .viewport_output
            .values()
            .any(|v| v.commands.contains(&egui::ViewportCommand::Close))
    };
    assert!(!closing(&h), "not before the queue ran");

    remote_context_menu(&mut h, "report.txt", "Download");
    step_until(&mut h, "the window to close after the download", closing);
    assert_eq!(
        std::fs::read(local.path().join("report.txt")).unwrap(),
        b"monthly"
    );
    assert!(
        log_of(&h, LogKind::Status)
            .iter()
            .any(|l| l.contains("closing the window")),
        "said in the log"
    );
}

#[test]
fn a_notification_without_a_session_bus_is_a_status_line_not_a_crash() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("report.txt", b"monthly");
    let local = tempfile::tempdir().unwrap();
    let nowhere = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut h = window(&rt, local.path());
    quickconnect(&mut h, &server);
    h.state_mut().set_after_queue(AfterQueue::Notify);
    h.state_mut().set_notification_bus(format!(
        "unix:path={}",
        nowhere.path().join("no-bus").display()
    ));

    remote_context_menu(&mut h, "report.txt", "Download");
    step_until(&mut h, "the notification's fate", |h| {
        log_of(h, LogKind::Status)
            .iter()
            .any(|l| l.starts_with("No desktop notification"))
    });
    assert_eq!(
        std::fs::read(local.path().join("report.txt")).unwrap(),
        b"monthly"
    );
    // The window goes on: another frame, still open and connected.
    settle(&mut h);
    assert!(h.state().model().connected);
}

#[test]
fn a_post_logon_command_added_in_the_site_manager_runs_at_connect_with_its_reply_logged() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    config_with_loopback_site(config.path(), &server);
    let rt = runtime();
    let _enter = rt.enter();
    let mut h = window_with_config(&rt, local.path(), config.path(), None);
    let manager = |h: &Harness<'_, SkiffApp>| {
        h.query_by_role_and_label(Role::Window, "Site Manager")
            .is_some()
    };

    h.get_by_label("🗄 Site Manager").click();
    step_until(&mut h, "the Site Manager", manager);
    let window = || Role::Window;
    h.get_by_role_and_label(window(), "Site Manager")
        .get_by_label("🖥 Loopback")
        .click();
    settle(&mut h);
    h.get_by_role_and_label(window(), "Site Manager")
        .get_by_label("Advanced")
        .click();
    settle(&mut h);
    h.get_by_label("Add command").click();
    settle(&mut h);
    h.get_by_label("Command 1:").click();
    settle(&mut h);
    h.event(egui::Event::Text("SITE HELP".into()));
    settle(&mut h);
    h.get_by_role_and_label(window(), "Site Manager")
        .get_by_label("Connect")
        .click();
    step_until(&mut h, "the password question", |h| {
        h.query_by_label("Enter password").is_some()
    });
    settle(&mut h);
    h.event(egui::Event::Text(server.password().to_owned()));
    settle(&mut h);
    h.get_by_label("Connect").click();
    step_until(&mut h, "SITE HELP's reply after the logon", |h| {
        h.state().model().connected
            && log_of(h, LogKind::Response)
                .iter()
                .any(|r| r.starts_with("214"))
    });
    assert_eq!(
        h.state().sites().sites[0].post_logon_commands,
        ["SITE HELP"],
        "kept with the site"
    );
    let commands = log_of(&h, LogKind::Command);
    let pass = commands.iter().position(|c| c.starts_with("PASS")).unwrap();
    let help = commands.iter().position(|c| c == "SITE HELP").unwrap();
    assert!(pass < help, "{commands:?}");
    let saved = std::fs::read_to_string(config.path().join("sites.toml")).unwrap();
    assert!(saved.contains("SITE HELP"), "{saved}");
}
