#!/usr/bin/env bash
# Writes the seed corpora, fuzz/corpus/<target>/seed-*, from the tests' data: every row of
# tests/data/listings.tsv (the FileZilla conformance rows, = shared/conformance/), the
# in-module test strings of src/proto/{reply,pasv,feat}.rs, src/proto/listing and
# src/url.rs, and a few server captures. Each seed starts with the target's header bytes
# (see the `//!` of each fuzz_targets/*.rs). Run from anywhere; rerunning rewrites them.
set -euo pipefail
cd "$(dirname "$0")"
tsv=../tests/data/listings.tsv
[ -f "$tsv" ] || { echo "seed.sh: $tsv not found" >&2; exit 1; }

rm -f corpus/*/seed-*
mkdir -p corpus/{reply,pasv,feat,mlsd,list,url,sftp}

# seed TARGET NAME HEADER BODY: HEADER and BODY are printf %b strings (\r \n \xNN).
seed() {
    printf '%b%b' "$3" "$4" >"corpus/$1/seed-$2"
}

# --- listings: one seed per conformance row, and one per format with all its rows.
declare -A joined
while IFS= read -r row; do
    # Split by hand: `read` would merge the empty hint field's two tabs.
    IFS=$'\x01' read -r id hint format line _ <<<"${row//$'\t'/$'\x01'}"
    [ "$id" = case_id ] && continue
    case "$hint" in
        MVS) h='\x05' ;;
        ZVM) h='\x06' ;;
        HPNONSTOP) h='\x07' ;;
        *) h='\x00' ;;
    esac
    # The escapes of listings.tsv (\t \r \n \\ \xNN) are printf's own.
    seed list "$id" "$h\x00\x00\x00" "$line\r\n"
    joined[$h$format]+="$line\r\n"
    if [ "$format" = mlsd ]; then
        seed mlsd "$id" '\x00\x00' "$line\r\n"
    fi
done <"$tsv"
for key in "${!joined[@]}"; do
    h=${key:0:4}
    format=${key:4}
    # Chunked in another way (seed bytes 0x12 0x34), at an odd clock (New Year).
    seed list "all-$format" "$h\x04\x12\x34" "${joined[$key]}"
done

vsftpd='drwxr-xr-x    5 999      995          4096 Nov 24 22:02 .\r\ndrwxr-xr-x    5 999      995          4096 Nov 24 22:02 ..\r\n-rw-r--r--    1 999      995             4 Nov 24 21:11 .hidden\r\ndrwxr-xr-x    2 999      995          4096 Nov 24 21:11 dir with spaces\r\nlrwxrwxrwx    1 999      995            10 Nov 24 21:11 link-to-readme -> readme.txt\r\n-rw-r--r--    1 999      995             4 Feb 03  2001 old-2001.txt\r\n-rw-r--r--    1 999      995             5 Nov 24 21:11 \xc3\xbcn\xc3\xaf\xc3\xa7\xc3\xb6d\xc3\xa9-\xe5\x90\x8d\xe5\x89\x8d.txt\r\n'
seed list vsftpd-capture '\x00\x00\x00\x00' "$vsftpd"
seed list vsftpd-capture-leap '\x00\x05\x00\x01' "total 12\n$vsftpd"
seed list vms-two-lines '\x05\x00\x00\x00' '40-vms-multiline-file;1\r\n170774/170775     24-APR-2003 08:16:15  [FTP_CLIENT,SCOT]      (RWED,RWED,RE,)\r\nLONG-NAME.TXT;1\r\n-rw-r--r-- 1 u g 5 Jan 01 2020 a\r\n'
seed list mixed-formats '\x00\x06\x00\x00' '-rw-r--r-- 1 u g 5 Jan 01 2020 a.txt\r\n04-27-00  12:09PM       <DIR>          d\r\nx.DIR;1\r\n 1 19-NOV-2001 21:41\r\ntype=file;size=3; m\r\n+i1,m825718503,/,\tdir\r\n-rw-r--r-- 1 u g 5 Dec 31 24:00 midnight\n'
# The low nibble 0xF repeats chunks: lines past the 64 KiB cap.
seed list overlong '\x00\x00\x00\x0f' '-rw-r--r-- 1 u g 5 Jan 01 2020 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n-rw-r--r-- 1 u g 5 Jan 01 2020 b\r\n'

pure_mlsd='type=cdir;sizd=4096;modify=20261124214233;UNIX.mode=0755;UNIX.uid=999;UNIX.gid=995;unique=fe00g5120b3; .\r\ntype=file;size=21;modify=20261124211120;UNIX.mode=0644;UNIX.uid=999;UNIX.gid=995;unique=fe00g5120b4; readme.txt\r\ntype=pdir;sizd=4096;modify=20261124214233;UNIX.mode=0755;UNIX.uid=999;UNIX.gid=995;unique=fe00g5120b3; ..\r\n'
seed mlsd pure-ftpd-capture '\x00\x00' "$pure_mlsd"
seed mlsd rfc3659-example '\x12\x34' 'Type=cdir;Modify=19981107085215;Perm=el; /tmp\r\nType=pdir;Modify=19990112030508;Perm=el; ..\r\nType=file;Size=25730;Modify=19940728095854;Perm=; capmux.tar.z\r\n'
seed mlsd proftpd-lines '\x00\x01' 'modify=20010203040506;perm=adfrw;size=4;type=file;unique=FE00U51219B;UNIX.group=995;UNIX.groupname=ftptest;UNIX.mode=0644;UNIX.owner=999;UNIX.ownername=ftptest; old-2001.txt\r\nmodify=20261124211127;perm=adfrw;size=10;type=OS.unix=symlink;unique=FE00U51218F;UNIX.group=995;UNIX.groupname=ftptest;UNIX.mode=0777;UNIX.owner=999;UNIX.ownername=ftptest; link-to-readme\r\n'
seed mlsd slinks '\x00\x02' 'type=OS.unix=slink:;size=10;modify=20261124211120;UNIX.mode=0777;UNIX.uid=999;UNIX.gid=995;unique=fe00g5120c2; link-to-readme\r\ntype=OS.unix=slink:/Some Dir/X;size=3; link\r\nmodify=20261124211129;perm=radfwMT;size=21;type=file;unique=fe00g5121f9; readme.txt\n type=dir;sizd=4096; dir with spaces\r\n\r\ngarbage without facts\r\n'
seed mlsd overlong '\x00\x0f' 'type=file;size=1; aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\ntype=dir; b\r\n'

# --- replies (src/proto/reply.rs tests, server banners and FEAT answers), after a limits
# byte: 0xFF the real caps, 0x4F a 61 byte line cap and a 191 byte reply cap.
seed reply vsftpd-banner '\xff\x00\x00' '220 (vsFTPd 3.0.3)\r\n331 Please specify the password.\r\n230 Login successful.\r\n'
seed reply multi-line '\x4f\x00\x01' '211-Features:\r\n EPRT\r\n 211 looks like an end but is indented\r\n211-still going\r\n226 another code inside\r\n211 End\r\n200 next\r\n'
seed reply pure-ftpd-banner '\xff\x12\x34' '220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n220-You are user number 1 of 5 allowed.\r\n220-Local time is now 10:00. Server port: 2131.\r\n220 You will be disconnected after 15 minutes of inactivity.\r\n'
seed reply pwd-lf '\xff\x00\x02' '230-Welcome\r\n text\r\n230 Login ok\r\n257 "/a""b" is cwd\n200 ok\n331 need password\n\r\n599 custom\r\n'
seed reply garbage '\x4f\x00\x03' '200 ok\r\nhello there\r\n99 short\r\n200x\r\n'
seed reply unfinished '\xff\x00\x04' '211-Features:\r\n MDTM\r\n'
seed reply passive '\xff\x00\x05' '227 Entering Passive Mode (127,0,0,1,195,80).\r\n229 Entering Extended Passive Mode (|||50003|)\r\n150 Here comes the directory listing.\r\n226 Directory send OK.\r\n'
# Past the small caps.
seed reply overlong-line '\x4f\x00\x0f' 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n'
seed reply overlong-reply '\x4f\x01\x0f' '211-start\r\nyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\nyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n211 End\r\n'

# --- FEAT bodies (src/proto/feat.rs tests), after a selector byte for code 211.
seed feat vsftpd '\xff' ' EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n211 End\r\n'
seed feat proftpd '\xff' ' MLST modify*;perm*;size*;type*;unique*;UNIX.group*;UNIX.mode*;UNIX.owner*;\r\n UTF8\r\n MFMT\r\n LANG en-US*\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End\r\n'
seed feat no-space '\xff' 'EPSV\r\nmlsd\r\n\r\n   \r\n CLNT\r\n211-End\r\n211 End\r\n'
seed feat refused '\x00' ' EPSV\r\n'

# --- passive replies (src/proto/pasv.rs tests), after the control peer 127.0.0.1.
i=0
for text in 'Entering Passive Mode (127,0,0,1,195,80).' 'Entering Passive Mode 192,168,0,222,195,80' \
    '=127,0,0,1,4,1 ok' 'Passive, mode on (10,0,0,5,0,21)' 'Entering Passive Mode (256,0,0,1,195,80)' \
    '(127,0,0,1,99999999999999,1)' '(127,0,0,1,0,0)' 'Entering Passive Mode (1,196,67).' \
    'Entering passive mode (::1,196,79).' 'Entering Passive Mode (127,0,0,1,,80)' \
    'Entering Extended Passive Mode (|||50003|)' 'ok (!!!6446!)' '(|||99999|)' '(||1|50003|)' \
    '(|||abc|)' '(|||50003)' '(1112221)' '(|||0|)' 'Entering Passive Mode (0,0,0,0,4,1)' \
    'Entering Passive Mode (8,8,8,8,7,208)' '(|||050003|) and (1,2,3,4,5,6)'; do
    i=$((i + 1))
    seed pasv "$i" '\x7f\x00\x00\x01' "$text"
done
seed pasv foreign-peer '\xcb\x00\x71\x05' 'Entering Passive Mode (192,168,0,222,195,80).'

# --- URLs (src/url.rs tests).
i=0
for text in 'ftp://me%40home:p%3Ass@example.com:2121/dir%20x/f.txt' 'ftp://h' 'ftpes://h/' 'FTPS://h' \
    'ftp://u:p@[::1]:2121/x' 'ftp://[::1]/' 'ftp://h/%C7%D1%B1%DB.txt' 'http://h/' 'h/x' 'ftp:///x' \
    'ftp://h:0/' 'ftp://h:99999/' 'ftp://[::1/' 'ftp://u:topsecret@h/' 'ftp://a:b@c@127.0.0.1:21/%2F/x' \
    'ftp://%FF@h/' 'ftp://:pw@h:21'; do
    i=$((i + 1))
    seed url "$i" '' "$text"
done

du -sh corpus

# --- sftp: a packet of each reply type OpenSSH sends (mode byte 0), and download scripts
# (mode byte 1: a size, then answers).
seed sftp version '\x00' '\x02\x00\x00\x00\x03\x00\x00\x00\x18posix-rename@openssh.com\x00\x00\x00\x011'
seed sftp status '\x00' '\x65\x00\x00\x00\x07\x00\x00\x00\x02\x00\x00\x00\x0cNo such file\x00\x00\x00\x00'
seed sftp handle '\x00' '\x66\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x00\x00'
seed sftp data '\x00' '\x67\x00\x00\x00\x02\x00\x00\x00\x05hello'
seed sftp name '\x00' '\x68\x00\x00\x00\x03\x00\x00\x00\x01\x00\x00\x00\x05a.txt\x00\x00\x00\x00\x00\x00\x00\x0d\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x81\xa4\x00\x00\x00\x01\x00\x00\x00\x02'
seed sftp attrs '\x00' '\x69\x00\x00\x00\x04\x80\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x01a\x00\x00\x00\x01b'
seed sftp download '\x01' '\x01\x2c\x00\x64\x00\x64\x00\x64\x00\x01\x00\xff'
seed sftp short-reads '\x01' '\x00\xc8\x01\x30\x00\x64\x02\x10\x00\x64\x00\x64\x00\xff'

