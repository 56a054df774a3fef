//! Windows only: embeds the app icon (assets/icons/skiff.ico) as a resource, so Explorer, the
//! taskbar and Alt+Tab show it. Elsewhere this does nothing.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=assets/icons/skiff.ico");
    #[cfg(windows)]
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows") {
        let mut resource = winresource::WindowsResource::new();
        resource.set_icon("assets/icons/skiff.ico");
        resource.set("FileDescription", "Skiff FTP/FTPS client");
        resource.set("ProductName", "Skiff");
        if let Err(err) = resource.compile() {
            println!("cargo:warning=the Windows icon resource was not embedded: {err}");
        }
    }
}
