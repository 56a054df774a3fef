//! Synchronized browsing (View > Synchronized browsing, the toolbar's ⇅ Sync browse, a
//! site's own setting): entering a folder on one side enters the same relative folder on the
//! other. Pure: the two folders shown when it was switched on are the bases, and a folder
//! entered on one side is found on the other by the path below (or above) its base, names
//! converted between the local disk's bytes and the server's charset.

use crate::gui::actions::Side;
use crate::proto::charset::Charset;

/// The two folders that correspond.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncBrowse {
    /// OS bytes of an absolute local path.
    pub local_base: Vec<u8>,
    /// Server bytes.
    pub remote_base: Vec<u8>,
}

fn components(path: &[u8]) -> Vec<&[u8]> {
    path.split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .collect()
}

fn join(components: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in components {
        out.push(b'/');
        out.extend_from_slice(c);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

impl SyncBrowse {
    /// The folder the other side enters when `side` enters `path`; `None` when there is no
    /// such folder (above the other side's root) or a name has no spelling there.
    pub fn follow(&self, side: Side, path: &[u8], charset: Charset) -> Option<Vec<u8>> {
        let (here, there) = match side {
            Side::Local => (&self.local_base, &self.remote_base),
            Side::Remote => (&self.remote_base, &self.local_base),
        };
        let base = components(here);
        let entered = components(path);
        let common = base
            .iter()
            .zip(&entered)
            .take_while(|(a, b)| a == b)
            .count();
        let up = base.len() - common;
        let other = components(there);
        let kept = other.len().checked_sub(up)?;
        let mut target: Vec<Vec<u8>> = other[..kept].iter().map(|c| c.to_vec()).collect();
        for name in &entered[common..] {
            let converted = match side {
                // A local name (UTF-8 on Linux) in the server's charset.
                Side::Local => charset.encode(std::str::from_utf8(name).ok()?).ok()?,
                // A server name as the local disk spells it.
                Side::Remote => charset.decode(name).as_bytes().to_vec(),
            };
            target.push(converted);
        }
        Some(join(&target))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> SyncBrowse {
        SyncBrowse {
            local_base: b"/home/mina/site".to_vec(),
            remote_base: b"/var/www".to_vec(),
        }
    }

    #[test]
    fn a_folder_below_one_base_is_the_same_folder_below_the_other() {
        let utf8 = Charset::UTF8;
        let p = pair();
        assert_eq!(
            p.follow(Side::Local, b"/home/mina/site/css/img", utf8)
                .unwrap(),
            b"/var/www/css/img"
        );
        assert_eq!(
            p.follow(Side::Remote, b"/var/www/blog", utf8).unwrap(),
            b"/home/mina/site/blog"
        );
        assert_eq!(
            p.follow(Side::Remote, b"/var/www", utf8).unwrap(),
            b"/home/mina/site"
        );
    }

    #[test]
    fn going_up_or_sideways_moves_the_other_side_as_far() {
        let utf8 = Charset::UTF8;
        let p = pair();
        assert_eq!(p.follow(Side::Local, b"/home/mina", utf8).unwrap(), b"/var");
        assert_eq!(
            p.follow(Side::Local, b"/home/mina/other/x", utf8).unwrap(),
            b"/var/other/x"
        );
        assert_eq!(p.follow(Side::Local, b"/home", utf8).unwrap(), b"/");
        assert_eq!(
            p.follow(Side::Local, b"/", utf8),
            None,
            "above the server's root"
        );
    }

    #[test]
    fn names_are_converted_between_the_disk_and_a_legacy_charset() {
        let cp949 = Charset::from_name("cp949").unwrap();
        let p = pair();
        let remote = p
            .follow(Side::Local, "/home/mina/site/자료".as_bytes(), cp949)
            .unwrap();
        let mut expected = b"/var/www/".to_vec();
        expected.extend(cp949.encode("자료").unwrap());
        assert_eq!(remote, expected);
        assert_eq!(
            p.follow(Side::Remote, &remote, cp949).unwrap(),
            "/home/mina/site/자료".as_bytes()
        );
        // A local name the server's charset cannot spell: no folder to follow to.
        assert_eq!(
            p.follow(Side::Local, "/home/mina/site/🚀".as_bytes(), cp949),
            None
        );
    }
}
