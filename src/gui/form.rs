//! What the Site Manager and the Settings window share: labelled grid rows, an error line
//! under a field, and the parsers of what users type into fields (empty means "not set").

use eframe::egui;

use crate::net::PortRange;

/// A port number, 1-65535.
pub fn parse_port(text: &str) -> Result<Option<u16>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u16>() {
        Ok(port) if port > 0 => Ok(Some(port)),
        _ => Err(format!("{text:?} is not a port number (1-65535)")),
    }
}

/// `MIN-MAX` for active mode.
pub fn parse_range(text: &str) -> Result<Option<PortRange>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<PortRange>()
        .map(Some)
        .map_err(|e| e.to_string())
}

/// An IPv4 or IPv6 address.
pub fn parse_ip(text: &str) -> Result<Option<std::net::IpAddr>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| format!("{text:?} is not an IPv4 or IPv6 address"))
}

/// KiB/s as typed into bytes/s; empty or 0 is unlimited.
pub fn parse_kib(text: &str) -> Result<Option<u64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u64>() {
        Ok(0) => Ok(None),
        Ok(kib) if kib <= u64::MAX / 1024 => Ok(Some(kib * 1024)),
        _ => Err(format!("{text:?} is not a speed in KiB/s")),
    }
}

/// A two-column grid of labelled rows.
pub fn grid(ui: &mut egui::Ui, id: &str, add: impl FnOnce(&mut egui::Ui)) {
    egui::Grid::new(id)
        .num_columns(2)
        .spacing([10.0, 6.0])
        .show(ui, add);
}

/// A label, then the widget `add` draws, labelled by it (for screen readers and tests).
pub fn labelled(
    ui: &mut egui::Ui,
    label: &str,
    add: impl FnOnce(&mut egui::Ui) -> egui::Response,
) -> egui::Response {
    let label = ui.label(label);
    let response = add(ui).labelled_by(label.id);
    ui.end_row();
    response
}

/// The field's problem in the error colour, in the grid's second column.
pub fn error_row(ui: &mut egui::Ui, error: Option<String>) {
    if let Some(error) = error {
        ui.label("");
        ui.colored_label(ui.visuals().error_fg_color, error);
        ui.end_row();
    }
}
