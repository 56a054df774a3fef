//! The window's look, where egui's defaults do not serve a file manager: in the light theme
//! egui draws text fields and buttons without an outline (white on near-white), so a field
//! could not be told from the panel it sits on.

use eframe::egui;

/// egui's light visuals, with an outline on idle text fields and buttons.
pub fn light_visuals() -> egui::Visuals {
    let mut visuals = egui::Visuals::light();
    visuals.widgets.inactive.bg_stroke = egui::Stroke::new(1.0, egui::Color32::from_gray(160));
    visuals
}

/// Installs the window's visuals (once: they live in the context).
pub fn install(ctx: &egui::Context) {
    ctx.set_visuals_of(egui::Theme::Light, light_visuals());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn light_text_fields_have_an_outline_that_stands_out() {
        let visuals = light_visuals();
        let stroke = visuals.widgets.inactive.bg_stroke;
        assert!(stroke.width >= 1.0);
        // Against the field's own background and the panel's: clearly darker than both.
        for fill in [visuals.text_edit_bg_color(), visuals.panel_fill] {
            let (line, back) = (stroke.color.r(), fill.r());
            assert!(back.saturating_sub(line) >= 60, "{line} on {back}");
        }
    }
}
