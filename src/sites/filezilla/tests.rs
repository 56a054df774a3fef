//! Tests of the FileZilla import and export, over files written like FileZilla 3.x writes them
//! (`tests/data/filezilla/`).

use super::*;
use crate::sites::bookmark::Bookmark;

fn data(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/filezilla")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn by_path<'a>(imported: &'a Imported, path: &str) -> &'a Site {
    imported
        .sites
        .iter()
        .find(|s| s.path() == path)
        .unwrap_or_else(|| {
            let all: Vec<String> = imported.sites.iter().map(Site::path).collect();
            panic!("no site {path:?} among {all:?}")
        })
}

fn password_of<'a>(imported: &'a Imported, site: &Site) -> Option<&'a str> {
    imported
        .passwords
        .iter()
        .find(|(id, _)| *id == site.id)
        .map(|(_, p)| p.expose())
}

#[test]
fn a_filezilla_3_66_file_gives_its_folders_sites_and_every_field() {
    let imported = import(&data("sitemanager-3.66.xml")).unwrap();
    let paths: Vec<String> = imported.sites.iter().map(Site::path).collect();
    assert_eq!(
        paths,
        [
            "Work/web",
            "Work/Clients/Acme uploads",
            "Work/Clients/Acme archive",
            "한국 서버/자료실",
            "한국 서버/日本のミラー",
            "GNU mirror",
            "Deploy over SFTP",
        ]
    );
    assert_eq!(imported.folders, ["Work", "Work/Clients", "한국 서버"]);

    let web = by_path(&imported, "Work/web");
    assert_eq!(web.protocol, Protocol::FtpTlsIfAvailable);
    assert_eq!(web.host, "ftp.example.com");
    assert_eq!(web.port, None, "21 is the protocol's default");
    assert_eq!(web.logon, LogonType::Normal);
    assert_eq!(web.user, "bob");
    assert_eq!(password_of(&imported, web), Some("correct horse battery"));
    assert_eq!(
        web.comments,
        "Production web server.\nDeploy only on Fridays & never at night <really>."
    );
    assert_eq!(
        web.local_dir.as_deref(),
        Some(std::path::Path::new(r"C:\Users\bob\Sites\web"))
    );
    assert_eq!(web.remote_dir.as_deref(), Some("/var/www/html"));
    assert_eq!(web.data_mode, SiteDataMode::Default);
    assert_eq!(web.charset, CharsetChoice::Auto);

    let acme = by_path(&imported, "Work/Clients/Acme uploads");
    assert_eq!(acme.protocol, Protocol::FtpExplicitTls);
    assert_eq!(acme.port, Some(2121));
    assert_eq!(acme.logon, LogonType::Account);
    assert_eq!(acme.account, "billing-42");
    assert_eq!(
        password_of(&imported, acme),
        Some("Tr0ub4dor&3-but-longer!")
    );
    assert_eq!(acme.timezone_offset_minutes, -300);
    assert_eq!(acme.data_mode, SiteDataMode::Active);
    assert_eq!(acme.max_connections, Some(3));
    assert_eq!(acme.charset, CharsetChoice::ForceUtf8);
    assert_eq!(acme.remote_dir.as_deref(), Some("/incoming"));

    let archive = by_path(&imported, "Work/Clients/Acme archive");
    assert_eq!(archive.protocol, Protocol::FtpImplicitTls);
    assert_eq!(archive.port, None, "990 is implicit TLS's default");
    assert_eq!(archive.logon, LogonType::AskForPassword);
    assert_eq!(archive.data_mode, SiteDataMode::Passive);
    assert_eq!(password_of(&imported, archive), None);

    let korean = by_path(&imported, "한국 서버/자료실");
    assert_eq!(korean.protocol, Protocol::Ftp);
    assert_eq!(korean.timezone_offset_minutes, 540);
    assert_eq!(korean.charset, CharsetChoice::Custom("CP949".into()));
    assert_eq!(korean.charset.charset().unwrap().name(), "EUC-KR");
    assert_eq!(korean.remote_dir.as_deref(), Some("/pub/자료"));
    assert_eq!(korean.comments, "EUC-KR 파일 이름");
    assert_eq!(
        password_of(&imported, korean),
        Some("한글 비밀번호 and more")
    );

    let japanese = by_path(&imported, "한국 서버/日本のミラー");
    assert_eq!(japanese.logon, LogonType::Interactive);
    assert_eq!(japanese.charset, CharsetChoice::Custom("Shift_JIS".into()));

    let gnu = by_path(&imported, "GNU mirror");
    assert_eq!(gnu.logon, LogonType::Anonymous);
    assert_eq!(gnu.folder, "");
    assert_eq!(gnu.remote_dir.as_deref(), Some("/gnu"));

    assert_eq!(imported.passwords.len(), 3);
    let ids: std::collections::HashSet<&str> =
        imported.sites.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids.len(), imported.sites.len(), "every site has its own id");
    // An SFTP site with a key file (FileZilla's logon type 5): no password of its own.
    let deploy = by_path(&imported, "Deploy over SFTP");
    assert_eq!(deploy.protocol, Protocol::Sftp);
    assert_eq!(deploy.port(), 22);
    assert_eq!(deploy.user, "deploy");
    assert_eq!(
        deploy.key_file.as_deref(),
        Some(std::path::Path::new(r"C:\Users\bob\.ssh\id_ed25519.ppk"))
    );
    assert_eq!(deploy.logon, LogonType::Normal);
    assert_eq!(password_of(&imported, deploy), None);
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);

    // Written back, FileZilla reads the same protocol, logon type and key file.
    let list = SiteList {
        folders: imported.folders.clone(),
        sites: imported.sites.clone(),
    };
    let written = export(&list, None);
    let again = import(written.as_bytes()).unwrap();
    let deploy_again = by_path(&again, "Deploy over SFTP");
    assert_eq!(deploy_again.protocol, Protocol::Sftp);
    assert_eq!(deploy_again.key_file, deploy.key_file);
    assert!(written.contains("<Protocol>1</Protocol>"), "{written}");
    assert!(written.contains("<Logontype>5</Logontype>"), "{written}");
}

#[test]
fn an_older_file_with_text_names_crypt_passwords_and_bookmarks() {
    let imported = import(&data("sitemanager-3.47-legacy.xml")).unwrap();
    let paths: Vec<String> = imported.sites.iter().map(Site::path).collect();
    assert_eq!(
        paths,
        [
            "Legacy/Old server with text name",
            "Legacy/Locked by master password"
        ]
    );
    assert_eq!(imported.folders, ["Legacy", "Legacy/Empty folder"]);

    let old = by_path(&imported, "Legacy/Old server with text name");
    assert_eq!(password_of(&imported, old), Some("plain-old-password"));
    assert_eq!(old.timezone_offset_minutes, 60);
    assert_eq!(old.data_mode, SiteDataMode::Active);
    assert_eq!(old.max_connections, None);

    let locked = by_path(&imported, "Legacy/Locked by master password");
    assert_eq!(locked.logon, LogonType::AskForPassword);
    assert_eq!(password_of(&imported, locked), None);
    assert_eq!(locked.remote_dir.as_deref(), Some(r"D:\share\public"));
    assert_eq!(imported.passwords.len(), 1);

    let warnings = imported.warnings.join("\n");
    assert!(warnings.contains("master password"), "{warnings}");
    assert!(!warnings.contains("bookmark"), "{warnings}");
    // Its bookmark comes with it, the DOS path as the server writes it.
    assert_eq!(
        locked.bookmarks,
        [Bookmark {
            name: "logs".into(),
            remote_dir: Some(r"D:\logs".into()),
            ..Bookmark::default()
        }]
    );
    assert!(
        warnings.contains("\"Buckets\" uses S3, not FTP or SFTP: skipped"),
        "{warnings}"
    );
    assert!(
        !warnings.contains("not-an-ftp-secret"),
        "warnings never carry a password"
    );
}

fn full_site(name: &str, folder: &str) -> Site {
    Site {
        name: name.into(),
        folder: folder.into(),
        protocol: Protocol::FtpExplicitTls,
        host: "ftp.example.kr".into(),
        port: Some(2121),
        logon: LogonType::Account,
        user: "kim & <co>".into(),
        account: "acct \"1\"".into(),
        comments: "line one\nline two\r\n\ttabbed & <marked> \"quoted\" 'single'".into(),
        local_dir: Some(PathBuf::from("/home/kim/사진")),
        remote_dir: Some("/pub/자료/日本 語/emoji 📁".into()),
        timezone_offset_minutes: -540,
        data_mode: SiteDataMode::Active,
        active_port_range: Some("50200-50210".parse().unwrap()),
        external_ip: Some("203.0.113.5".parse().unwrap()),
        passive_fallback: Some(false),
        max_connections: Some(3),
        charset: CharsetChoice::Custom("cp949".into()),
        synchronized_browsing: true,
        post_logon_commands: vec!["SITE UMASK 002".into(), "SITE IDLE <600> & more".into()],
        bookmarks: vec![
            Bookmark {
                name: "보고서 & <co>".into(),
                local_dir: Some(PathBuf::from("/home/kim/사진/보고서")),
                remote_dir: Some("/pub/자료/보고서".into()),
                sync_browsing: true,
                directory_comparison: true,
            },
            Bookmark {
                name: "only remote".into(),
                remote_dir: Some("/var/log".into()),
                directory_comparison: true,
                ..Bookmark::default()
            },
        ],
        ..Site::default()
    }
}

#[test]
fn export_then_import_keeps_every_field() {
    let mut variants = vec![
        full_site("회사 서버", "Work/Clients/고객"),
        Site {
            name: "plain".into(),
            logon: LogonType::Anonymous,
            host: "::1".into(),
            ..Site::default()
        },
        Site {
            name: "implicit".into(),
            folder: "Work".into(),
            protocol: Protocol::FtpImplicitTls,
            host: "h".into(),
            logon: LogonType::Interactive,
            user: "u".into(),
            data_mode: SiteDataMode::Passive,
            passive_fallback: Some(true),
            charset: CharsetChoice::ForceUtf8,
            remote_dir: Some("C:\\data\\in".into()),
            ..Site::default()
        },
        Site {
            name: "insecure".into(),
            folder: "日本".into(),
            protocol: Protocol::Ftp,
            host: "h2".into(),
            logon: LogonType::AskForPassword,
            user: "u2".into(),
            remote_dir: Some("/".into()),
            external_ip: Some("2001:db8::7".parse().unwrap()),
            ..Site::default()
        },
        Site {
            name: "normal".into(),
            host: "h3".into(),
            user: "u3".into(),
            ..Site::default()
        },
    ];
    variants[0].timezone_offset_minutes = 90;
    let list = SiteList {
        folders: vec!["Empty/Deeper".into()],
        sites: variants,
    };
    let secrets = |site: &Site| -> Option<Secret> {
        Some(Secret::new(format!(
            "pw of {} & <{}>",
            site.name, site.host
        )))
    };
    let xml = export(&list, Some(&secrets));
    let back = import(xml.as_bytes()).unwrap();
    assert!(back.warnings.is_empty(), "{:?}", back.warnings);
    assert_eq!(back.sites.len(), list.sites.len());
    for original in &list.sites {
        let imported = by_path(&back, &original.path());
        let same_id = Site {
            id: original.id.clone(),
            ..imported.clone()
        };
        assert_eq!(&same_id, original);
        let expected = original
            .logon
            .saves_password()
            .then(|| format!("pw of {} & <{}>", original.name, original.host));
        assert_eq!(password_of(&back, imported).map(str::to_owned), expected);
    }
    assert!(back.folders.contains(&"Empty/Deeper".to_owned()));
    assert!(back.folders.contains(&"Work/Clients/고객".to_owned()));

    let without = export(&list, None);
    assert!(!without.contains("<Pass"), "{without}");
    assert!(import(without.as_bytes()).unwrap().passwords.is_empty());
    assert!(
        xml.contains("<Name>회사 서버</Name>"),
        "names stay readable UTF-8"
    );
}

#[test]
fn the_export_is_filezilla_shaped() {
    let list = SiteList {
        folders: vec![],
        sites: vec![Site {
            name: "web".into(),
            folder: "Work".into(),
            host: "ftp.example.com".into(),
            user: "bob".into(),
            remote_dir: Some("/home/bob".into()),
            ..Site::default()
        }],
    };
    let pw = |_: &Site| Some(Secret::new("secret"));
    let xml = export(&list, Some(&pw));
    let expected = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<FileZilla3>
\t<Servers>
\t\t<Folder expanded=\"1\">Work
\t\t\t<Server>
\t\t\t\t<Host>ftp.example.com</Host>
\t\t\t\t<Port>21</Port>
\t\t\t\t<Protocol>0</Protocol>
\t\t\t\t<Type>0</Type>
\t\t\t\t<User>bob</User>
\t\t\t\t<Pass encoding=\"base64\">c2VjcmV0</Pass>
\t\t\t\t<Logontype>1</Logontype>
\t\t\t\t<PasvMode>MODE_DEFAULT</PasvMode>
\t\t\t\t<EncodingType>Auto</EncodingType>
\t\t\t\t<BypassProxy>0</BypassProxy>
\t\t\t\t<Name>web</Name>
\t\t\t\t<RemoteDir>1 0 4 home 3 bob</RemoteDir>
\t\t\t\t<SyncBrowsing>0</SyncBrowsing>
\t\t\t\t<DirectoryComparison>0</DirectoryComparison>
\t\t\t</Server>
\t\t</Folder>
\t</Servers>
</FileZilla3>
";
    assert_eq!(xml, expected);
}

#[test]
fn remote_dirs_decode_as_filezilla_writes_them() {
    assert_eq!(
        decode_remote_dir("1 0 4 home 3 bob").as_deref(),
        Some("/home/bob")
    );
    assert_eq!(decode_remote_dir("1 0").as_deref(), Some("/"));
    assert_eq!(decode_remote_dir("0 0 3 a b").as_deref(), Some("/a b"));
    assert_eq!(
        decode_remote_dir("3 0 2 C: 3 dir").as_deref(),
        Some(r"C:\dir")
    );
    assert_eq!(decode_remote_dir("10 0 2 C:").as_deref(), Some("C:/"));
    // A segment with a character outside the BMP: 2 characters, or 3 UTF-16 units (Windows).
    assert_eq!(decode_remote_dir("1 0 2 a📁").as_deref(), Some("/a📁"));
    assert_eq!(decode_remote_dir("1 0 3 a📁").as_deref(), Some("/a📁"));
    for bad in [
        "",
        "1",
        "x 0",
        "1 0 9 short",
        "1 0 0 ",
        "1 5",
        "2 0 3 VMS",
        "1 0 3 abcd",
    ] {
        assert_eq!(decode_remote_dir(bad), None, "{bad:?}");
    }
    for path in ["/home/bob", "/", "/pub/자료/with space", "C:\\a\\b"] {
        assert_eq!(
            decode_remote_dir(&encode_remote_dir(path)).as_deref(),
            Some(path)
        );
    }
}

#[test]
fn malformed_files_give_a_clear_error_with_the_place() {
    let cases: [(&[u8], &str); 6] = [
        (b"<FileZilla3><Servers><Server><Host>h</Servers>", "line 1"),
        (b"<FileZilla3>\n<Servers>\n<Server>", "ends inside <Server>"),
        (b"not xml at all", "no root element"),
        (
            b"<FileZilla3><Servers>&bogus;</Servers></FileZilla3>",
            "bogus",
        ),
        (b"<FileZilla3/><FileZilla3/>", "after the root"),
        (b"<Settings></Settings>", "root element is <Settings>"),
    ];
    for (bytes, needle) in cases {
        let err = import(bytes).expect_err(&String::from_utf8_lossy(bytes));
        let text = err.to_string();
        assert!(text.contains(needle), "{text:?} lacks {needle:?}");
    }
    let err = import(b"<FileZilla3>\n  <Servers>\n    <Folder></Server>").unwrap_err();
    assert!(
        matches!(err, FilezillaError::Xml { line: 3, .. }),
        "{err:?}"
    );
}

#[test]
fn a_deeply_nested_file_is_refused_without_exhausting_the_stack() {
    let depth = 200_000;
    let mut xml = String::from("<FileZilla3><Servers>");
    for _ in 0..depth {
        xml.push_str("<Folder>f");
    }
    for _ in 0..depth {
        xml.push_str("</Folder>");
    }
    xml.push_str("</Servers></FileZilla3>");
    let err = import(xml.as_bytes()).unwrap_err();
    assert!(
        matches!(
            err,
            FilezillaError::TooDeep {
                limit: MAX_DEPTH,
                ..
            }
        ),
        "{err:?}"
    );

    // Just inside the limit: folders nest and come back as paths.
    let mut ok = String::from("<FileZilla3><Servers>");
    let levels = MAX_DEPTH - 5;
    for i in 0..levels {
        write!(ok, "<Folder>f{i}").unwrap();
    }
    ok.push_str("<Server><Host>h</Host><Name>deep</Name></Server>");
    for _ in 0..levels {
        ok.push_str("</Folder>");
    }
    ok.push_str("</Servers></FileZilla3>");
    let imported = import(ok.as_bytes()).unwrap();
    assert_eq!(imported.sites[0].folder.split('/').count(), levels);
    // And an export of a site that deep is written without recursion.
    let list = SiteList {
        folders: vec![],
        sites: vec![Site {
            folder: vec!["d"; 2_000].join("/"),
            host: "h".into(),
            ..Site::default()
        }],
    };
    assert!(export(&list, None).matches("</Folder>").count() == 2_000);
}

#[test]
fn a_huge_flat_file_imports_and_a_too_large_one_is_refused() {
    let mut xml = String::from("<FileZilla3><Servers>");
    for i in 0..20_000 {
        write!(
            xml,
            "<Server><Host>h{i}.example</Host><Protocol>0</Protocol><Logontype>0</Logontype><Name>site {i}</Name></Server>"
        )
        .unwrap();
    }
    xml.push_str("</Servers></FileZilla3>");
    assert_eq!(import(xml.as_bytes()).unwrap().sites.len(), 20_000);
    let big = vec![b' '; MAX_FILE_BYTES + 1];
    assert!(matches!(import(&big), Err(FilezillaError::TooLarge { .. })));
}

#[test]
fn names_with_slashes_are_cleaned_and_duplicates_renamed_on_merge() {
    let xml = "<FileZilla3><Servers><Folder>a/b<Server><Host>h</Host><Name>x/y</Name></Server>\
               <Server><Host>h</Host><Name>x/y</Name></Server></Folder></Servers></FileZilla3>";
    let imported = import(xml.as_bytes()).unwrap();
    assert_eq!(imported.sites[0].path(), "a_b/x_y");
    let mut list = SiteList::default();
    let notes = merge_into(&mut list, imported.sites, &imported.folders);
    let paths: Vec<String> = list.sites.iter().map(Site::path).collect();
    assert_eq!(paths, ["a_b/x_y", "a_b/x_y (2)"]);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(list.folders, ["a_b"]);
}

#[test]
fn base64_matches_the_standard_alphabet() {
    for text in ["", "f", "fo", "foo", "foob", "fooba", "foobar", "한글 ✓"] {
        let encoded = base64_encode(text.as_bytes());
        assert_eq!(base64_decode(&encoded).unwrap(), text.as_bytes());
    }
    assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
    assert_eq!(base64_encode(b"fo"), "Zm8=");
    assert_eq!(base64_decode("Zm8").unwrap(), b"fo");
    assert_eq!(base64_decode(" Zm9v\nYmFy ").unwrap(), b"foobar");
    assert!(base64_decode("Zm=9").is_none());
    assert!(base64_decode("Zm9v!").is_none());
}

#[test]
fn escaping_keeps_text_exact_and_drops_what_xml_cannot_carry() {
    assert_eq!(
        escape("a&b<c>\"d\"\r\n"),
        "a&amp;b&lt;c&gt;&quot;d&quot;&#13;\n"
    );
    assert_eq!(escape("bell\u{7}"), "bell\u{FFFD}");
}

#[test]
fn a_sites_bookmarks_come_with_it_with_their_flags_and_korean_names() {
    let imported = import(&data("sitemanager-3.66.xml")).unwrap();
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    assert!(imported.bookmarks.is_empty(), "no global bookmarks here");
    let korean = by_path(&imported, "한국 서버/자료실");
    assert_eq!(
        korean.bookmarks,
        [
            Bookmark {
                name: "보고서".into(),
                local_dir: Some(PathBuf::from("/home/kim/자료/보고서")),
                remote_dir: Some("/pub/자료/보고서".into()),
                sync_browsing: true,
                directory_comparison: true,
            },
            Bookmark {
                name: "Logs".into(),
                remote_dir: Some("/var/log".into()),
                ..Bookmark::default()
            },
        ]
    );
    assert!(by_path(&imported, "Work/web").bookmarks.is_empty());
}

#[test]
fn filezillas_global_bookmarks_xml_imports_as_global_bookmarks() {
    let imported = import(&data("bookmarks.xml")).unwrap();
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    assert!(imported.sites.is_empty() && imported.folders.is_empty());
    assert_eq!(
        imported.bookmarks,
        [
            Bookmark {
                name: "사진 백업".into(),
                local_dir: Some(PathBuf::from(r"C:\Users\bob\사진")),
                remote_dir: Some("/backup/사진".into()),
                sync_browsing: true,
                directory_comparison: true,
            },
            Bookmark {
                name: "Downloads".into(),
                local_dir: Some(PathBuf::from(r"C:\Users\bob\Downloads")),
                ..Bookmark::default()
            },
            Bookmark {
                name: "Server logs".into(),
                remote_dir: Some("/var/log".into()),
                directory_comparison: true,
                ..Bookmark::default()
            },
        ]
    );
}

#[test]
fn bookmarks_filezilla_would_drop_are_dropped_with_a_warning() {
    let xml = "<FileZilla3>\
        <Bookmark><LocalDir>/tmp</LocalDir></Bookmark>\
        <Bookmark><Name>empty</Name></Bookmark>\
        <Bookmark><Name>bad path</Name><RemoteDir>2 0 3 VMS</RemoteDir></Bookmark>\
        <Bookmark><Name>one side</Name><LocalDir>/srv</LocalDir><SyncBrowsing>1</SyncBrowsing></Bookmark>\
        <Bookmark><Name>one side</Name><LocalDir>/opt</LocalDir></Bookmark>\
        </FileZilla3>";
    let imported = import(xml.as_bytes()).unwrap();
    let names: Vec<&str> = imported.bookmarks.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["one side", "one side (2)"]);
    assert!(
        !imported.bookmarks[0].sync_browsing,
        "synchronized browsing needs both folders"
    );
    let warnings = imported.warnings.join("\n");
    assert_eq!(imported.warnings.len(), 5, "{warnings}");
    for needle in [
        "has no name",
        "\"empty\" has no folder",
        "\"2 0 3 VMS\"",
        "exists already",
    ] {
        assert!(warnings.contains(needle), "{needle:?} in {warnings}");
    }
}

#[test]
fn exported_bookmarks_read_back_the_same_both_kinds() {
    let global = vec![
        Bookmark {
            name: "사진 & <백업>".into(),
            local_dir: Some(PathBuf::from("/home/kim/사진")),
            remote_dir: Some("/backup/사진/📁".into()),
            sync_browsing: true,
            directory_comparison: true,
        },
        Bookmark {
            name: "dos".into(),
            remote_dir: Some(r"C:\data\in".into()),
            ..Bookmark::default()
        },
    ];
    let xml = export_bookmarks(&global);
    assert_eq!(
        xml.lines().nth(3).map(str::trim),
        Some("<Name>사진 &amp; &lt;백업&gt;</Name>")
    );
    assert!(
        xml.contains("<RemoteDir>1 0 6 backup 2 사진 1 📁</RemoteDir>"),
        "{xml}"
    );
    assert!(
        !export_bookmarks(&global[1..]).contains("SyncBrowsing"),
        "off is left out"
    );
    let back = import(xml.as_bytes()).unwrap();
    assert!(back.warnings.is_empty(), "{:?}", back.warnings);
    assert_eq!(back.bookmarks, global);

    let list = SiteList {
        folders: vec![],
        sites: vec![full_site("회사", "Work")],
    };
    let again = import(export(&list, None).as_bytes()).unwrap();
    assert_eq!(again.sites[0].bookmarks, list.sites[0].bookmarks);
}

#[test]
fn post_logon_commands_come_in_for_ftp_sites_and_go_back_out() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<FileZilla3 version="3.66.4" platform="unix">
	<Servers>
		<Server>
			<Host>ftp.example.com</Host>
			<Port>21</Port>
			<Protocol>0</Protocol>
			<Type>0</Type>
			<User>bob</User>
			<Logontype>2</Logontype>
			<PostLoginCommands>
				<Command>SITE UMASK 002</Command>
				<Command>   </Command>
				<Command>SITE HELP&#10;DELE x</Command>
				<Command>CWD /www &amp; more</Command>
			</PostLoginCommands>
			<Name>web</Name>
		</Server>
		<Server>
			<Host>ssh.example.com</Host>
			<Port>22</Port>
			<Protocol>1</Protocol>
			<Type>0</Type>
			<User>deploy</User>
			<Logontype>2</Logontype>
			<PostLoginCommands>
				<Command>SITE UMASK 002</Command>
			</PostLoginCommands>
			<Name>ssh</Name>
		</Server>
	</Servers>
</FileZilla3>
"#;
    let imported = import(xml.as_bytes()).unwrap();
    let web = by_path(&imported, "web");
    assert_eq!(
        web.post_logon_commands,
        ["SITE UMASK 002", "CWD /www & more"]
    );
    let ssh = by_path(&imported, "ssh");
    assert!(ssh.post_logon_commands.is_empty());
    assert_eq!(imported.warnings.len(), 2, "{:?}", imported.warnings);
    assert!(
        imported.warnings[0].contains("SITE HELP") && imported.warnings[0].contains("one line"),
        "{:?}",
        imported.warnings
    );
    assert!(
        imported.warnings[1].contains("SFTP has no post-logon commands"),
        "{:?}",
        imported.warnings
    );

    let list = SiteList {
        folders: Vec::new(),
        sites: imported.sites.clone(),
    };
    let out = export(&list, None);
    assert!(
        out.contains("<PostLoginCommands>\n\t\t\t\t<Command>SITE UMASK 002</Command>\n\t\t\t\t<Command>CWD /www &amp; more</Command>\n\t\t\t</PostLoginCommands>"),
        "{out}"
    );
    assert_eq!(
        out.matches("<PostLoginCommands>").count(),
        1,
        "none for SFTP"
    );
    let back = import(out.as_bytes()).unwrap();
    assert_eq!(
        by_path(&back, "web").post_logon_commands,
        web.post_logon_commands
    );
}
