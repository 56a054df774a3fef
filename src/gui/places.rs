//! The local tree's places: the home folder, the root of the file system, and mounted
//! volumes (USB sticks, other disks, network shares under /media, /mnt or /run/media), as a
//! file manager's sidebar has them. Read once, off the UI thread (`read`); the parser of
//! `/proc/mounts` is a pure function over its bytes.

use std::path::{Path, PathBuf};

/// One place: what the button says and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub label: String,
    pub path: PathBuf,
}

/// Home, the root (`/`, or each drive on Windows), then mounted volumes.
pub fn read() -> Vec<Place> {
    let mut places = Vec::new();
    if let Some(home) = directories::UserDirs::new().map(|u| u.home_dir().to_path_buf()) {
        places.push(Place {
            label: "🏠 Home".into(),
            path: home,
        });
    }
    #[cfg(windows)]
    for letter in b'A'..=b'Z' {
        let drive = PathBuf::from(format!("{}:\\", letter as char));
        if drive.is_dir() {
            places.push(Place {
                label: format!("🖴 {}:", letter as char),
                path: drive,
            });
        }
    }
    #[cfg(not(windows))]
    places.push(Place {
        label: "🖴 /".into(),
        path: PathBuf::from("/"),
    });
    if let Ok(mounts) = std::fs::read("/proc/mounts") {
        for path in volumes(&mounts) {
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            places.push(Place {
                label: format!("💾 {name}"),
                path,
            });
        }
    }
    places
}

/// The mount points in a `/proc/mounts` text that are volumes a user put there: under
/// `/media/`, `/mnt/` or `/run/media/`, in the order mounted, each once. The kernel writes
/// a space in a path as `\040` (and tab, newline, backslash likewise in octal).
pub fn volumes(mounts: &[u8]) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    for line in mounts.split(|&b| b == b'\n') {
        let mut fields = line.split(|&b| b == b' ');
        let (Some(_device), Some(point)) = (fields.next(), fields.next()) else {
            continue;
        };
        let point = unescape(point);
        let path = PathBuf::from(crate::local::bytes_os(&point));
        let user_volume = ["/media/", "/mnt/", "/run/media/"]
            .iter()
            .any(|prefix| path.starts_with(prefix) && path != Path::new(prefix));
        if user_volume && !found.contains(&path) {
            found.push(path);
        }
    }
    found
}

/// `\040` → space: the kernel's octal escapes in mount paths.
fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let octal = field
            .get(i + 1..i + 4)
            .filter(|d| field[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match octal.map(|d| d.iter().fold(0u32, |n, c| n * 8 + u32::from(c - b'0'))) {
            Some(byte) if byte <= 0xff => {
                out.push(byte as u8);
                i += 4;
            }
            _ => {
                out.push(field[i]);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes_are_the_mounts_a_user_put_under_media_mnt_or_run_media() {
        let mounts = b"sysfs /sys sysfs rw,nosuid 0 0\n\
/dev/vda1 / ext4 rw,relatime 0 0\n\
/dev/sdb1 /media/kim/USB\\040STICK vfat rw 0 0\n\
/dev/sdc1 /run/media/ana/Backup ext4 rw 0 0\n\
server:/export /mnt/nas nfs4 rw 0 0\n\
/dev/sdb1 /media/kim/USB\\040STICK vfat rw 0 0\n\
tmpfs /run tmpfs rw 0 0\n\
/dev/sdd1 /mnt ext4 rw 0 0\n\
broken-line\n";
        assert_eq!(
            volumes(mounts),
            vec![
                PathBuf::from("/media/kim/USB STICK"),
                PathBuf::from("/run/media/ana/Backup"),
                PathBuf::from("/mnt/nas"),
            ]
        );
        assert!(volumes(b"").is_empty());
    }

    #[test]
    fn octal_escapes_decode_and_anything_else_stays() {
        assert_eq!(unescape(br"a\040b\011c\\d\0"), b"a b\tc\\\\d\\0".to_vec());
        assert_eq!(unescape(br"\134"), b"\\".to_vec());
        assert_eq!(
            unescape(br"\777"),
            br"\777".to_vec(),
            "past a byte: kept as written"
        );
    }
}
