//! Reading archives in memory: zip (and the formats built on it: jar, war, ear, whl, nupkg,
//! apk), tar, and gzip (`.tar.gz`, `.tgz`, a gzipped dump).
//!
//! Archives are recognised by their content, not their name: history scans see blobs, not
//! paths, and a renamed archive holds the same secrets. Nothing is ever written to disk, so
//! no member path (`../../etc/x`, a symlink) can reach outside the scan, and nothing in an
//! archive is run.
//!
//! Every read is bounded: a member larger than the size limit is counted and skipped, and the
//! bytes one top-level archive may expand to are capped (see [`Budget`]), so a small archive
//! that inflates to gigabytes (a zip bomb) costs at most the cap.

use std::io::Read;

use crate::scan::SkipReason;

/// Archives nested deeper than this (a jar in a war in a zip is 3) are not opened.
pub const MAX_DEPTH: usize = 3;

/// Members a zip may list before the rest are skipped: reading a central directory is cheap,
/// but a crafted one can claim millions of entries.
const MAX_MEMBERS: usize = 100_000;

/// An archive format keyhound reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// PKZIP, and everything built on it.
    Zip,
    /// POSIX or GNU tar.
    Tar,
    /// A gzip stream (one file, or a tar).
    Gzip,
}

/// The archive format `data` is in, from its magic bytes.
pub fn sniff(data: &[u8]) -> Option<Kind> {
    if data.starts_with(b"PK\x03\x04") {
        Some(Kind::Zip)
    } else if data.starts_with(&[0x1f, 0x8b]) {
        Some(Kind::Gzip)
    } else if is_tar_header(data) {
        Some(Kind::Tar)
    } else {
        None
    }
}

/// A tar header: the `ustar` magic at 257 is not enough (a Portuguese text file holds
/// "aj*ustar*" there by chance, and was then read as a damaged archive instead of as text), and
/// pre-POSIX (V7) tars, as older release tarballs are (libmicrohttpd's, made by `make dist`),
/// have no magic at all. What every tar header has is its checksum field: the sum of the
/// header's bytes with that field read as spaces, as `tar` itself checks it (unsigned, or
/// signed as some old implementations wrote it). A name and an octal size are required too, so
/// a block of zeros is not taken for one.
fn is_tar_header(data: &[u8]) -> bool {
    let Some(header) = data.get(..512) else {
        return false;
    };
    let octal = |field: &[u8]| -> Option<u64> {
        let digits = field.trim_ascii_start();
        let end = digits
            .iter()
            .position(|b| matches!(b, 0 | b' '))
            .unwrap_or(digits.len());
        let (digits, rest) = digits.split_at(end);
        if digits.is_empty()
            || !digits.iter().all(|b| (b'0'..=b'7').contains(b))
            || !rest.iter().all(|b| matches!(b, 0 | b' '))
        {
            return None;
        }
        digits.iter().try_fold(0u64, |n, d| {
            n.checked_mul(8)?.checked_add(u64::from(d - b'0'))
        })
    };
    // Text fails here, at the octal fields, before the header is summed.
    let (Some(sum), Some(_size)) = (octal(&header[148..156]), octal(&header[124..136])) else {
        return false;
    };
    let name_ok = header[0] != 0
        && header[..100]
            .iter()
            .take_while(|&&b| b != 0)
            .all(|b| !b.is_ascii_control());
    let (unsigned, signed) = header_sums(header);
    name_ok && (sum == unsigned || i64::try_from(sum).is_ok_and(|sum| sum == signed))
}

/// The sums of a tar header's bytes with the checksum field read as spaces: unsigned, as POSIX
/// has it, and signed, as some old implementations wrote it.
fn header_sums(header: &[u8]) -> (u64, i64) {
    header
        .iter()
        .enumerate()
        .map(|(i, &b)| if (148..156).contains(&i) { b' ' } else { b })
        .fold((0u64, 0i64), |(u, s), b| {
            (u + u64::from(b), s + i64::from(b as i8))
        })
}

/// Hands a tar stream on unchanged, except that a header whose checksum is the signed sum (old
/// Sun and other tars; CPython's test archive has one) gets the unsigned sum the `tar` crate
/// checks: otherwise it stops there as damaged, and the members after it go unscanned. Headers
/// are found as tar lays them out: a 512-byte header, then the member's size rounded up to
/// whole blocks.
struct SignedChecksums<R> {
    inner: R,
    block: [u8; 512],
    /// Bytes of `block` filled, and already handed out.
    filled: usize,
    given: usize,
    /// Data bytes of the current member still to pass before the next header.
    data_left: u64,
}

impl<R: Read> SignedChecksums<R> {
    fn new(inner: R) -> Self {
        SignedChecksums {
            inner,
            block: [0; 512],
            filled: 0,
            given: 0,
            data_left: 0,
        }
    }

    /// A whole header block has been read: repair its checksum if it is the signed one, and
    /// note how much member data follows it.
    fn header_read(&mut self) {
        let header = &self.block;
        if header.iter().all(|&b| b == 0) {
            return;
        }
        let octal = |field: &[u8]| -> Option<u64> {
            let digits = field.trim_ascii();
            let digits = &digits[..digits.iter().position(|&b| b == 0).unwrap_or(digits.len())];
            let digits = digits.trim_ascii();
            (!digits.is_empty() && digits.iter().all(|b| (b'0'..=b'7').contains(b))).then(|| {
                digits.iter().fold(0u64, |n, d| {
                    n.saturating_mul(8).saturating_add(u64::from(d - b'0'))
                })
            })
        };
        // GNU's base-256 sizes (a first byte with its top bit set) are left to the crate.
        let size = if header[124] & 0x80 != 0 {
            None
        } else {
            octal(&header[124..136])
        };
        self.data_left = size.map_or(0, |n| n.div_ceil(512).saturating_mul(512));
        let (unsigned, signed) = header_sums(header);
        if let Some(stored) = octal(&header[148..156])
            && stored != unsigned
            && i64::try_from(stored).is_ok_and(|stored| stored == signed)
        {
            let field = format!("{unsigned:06o}\0 ");
            if field.len() == 8 {
                self.block[148..156].copy_from_slice(field.as_bytes());
            }
        }
    }
}

impl<R: Read> Read for SignedChecksums<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // Member data passes straight through.
        if self.data_left > 0 && self.given == self.filled {
            let want = buf
                .len()
                .min(usize::try_from(self.data_left).unwrap_or(usize::MAX));
            let n = self.inner.read(&mut buf[..want])?;
            self.data_left -= n as u64;
            return Ok(n);
        }
        // A header: read all 512 bytes first, then hand them out.
        if self.given == self.filled {
            self.filled = 0;
            self.given = 0;
            while self.filled < 512 {
                let n = self.inner.read(&mut self.block[self.filled..])?;
                if n == 0 {
                    break;
                }
                self.filled += n;
            }
            if self.filled == 512 {
                self.header_read();
            }
            if self.filled == 0 {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.filled - self.given);
        buf[..n].copy_from_slice(&self.block[self.given..self.given + n]);
        self.given += n;
        Ok(n)
    }
}

/// What one top-level archive may still expand to. Shared by everything nested in it.
#[derive(Debug, Clone)]
pub struct Budget {
    /// Largest member read (the scan's `--max-file-size`).
    pub member_max: u64,
    /// Bytes left for all members.
    pub remaining: u64,
}

impl Budget {
    /// Sixteen members of the largest size: generous for real jars and wheels (a 10 MiB war
    /// of class files and properties expands to a few times that), small against a bomb.
    pub fn new(member_max: u64) -> Budget {
        Budget {
            member_max,
            remaining: member_max.saturating_mul(16),
        }
    }
}

/// One thing found in an archive.
#[derive(Debug)]
pub enum Entry {
    /// A file's content. `path` is empty for the content of a gzip stream (a gzipped file is
    /// reported at the archive's own path).
    File {
        /// The member's path in the archive.
        path: String,
        /// Its content.
        data: Vec<u8>,
    },
    /// A member not read, and why.
    Skipped {
        /// The member's path in the archive.
        path: String,
        /// The counter it goes to.
        reason: SkipReason,
        /// For the warning.
        why: String,
    },
}

/// The archive as a whole could not be read (a truncated or damaged file); the members read
/// before the damage were still handed out.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Damaged(String);

impl Damaged {
    /// The longest message kept: a tar header's parse error quotes the header's raw bytes,
    /// hundreds of them from a binary file, which tell the user nothing.
    const MAX_CHARS: usize = 160;

    fn new(message: String) -> Self {
        match message.char_indices().nth(Self::MAX_CHARS) {
            Some((cut, _)) => Damaged(format!("{}…", &message[..cut])),
            None => Damaged(message),
        }
    }
}

/// Hands every member of `data` (in format `kind`) to `visit`, in archive order.
pub fn for_each_entry(
    data: &[u8],
    kind: Kind,
    budget: &mut Budget,
    visit: &mut dyn FnMut(Entry, &mut Budget),
) -> Result<(), Damaged> {
    match kind {
        Kind::Zip => zip_entries(data, budget, visit),
        Kind::Tar => tar_entries(data, budget, visit),
        Kind::Gzip => {
            // A `.tar.gz` is streamed: its tar is never held whole, members are read one by
            // one, and inflation stops at the budget (a gzip bomb inflates no further).
            let mut head = Vec::new();
            // Errors here show again, with their cause, when the stream is read for real.
            let _ = flate2::read::MultiGzDecoder::new(data)
                .take(512)
                .read_to_end(&mut head);
            if sniff(&head) == Some(Kind::Tar) {
                let mut stream = flate2::read::MultiGzDecoder::new(data).take(budget.remaining);
                let result = tar_entries(&mut stream, budget, visit);
                if result.is_err() && stream.limit() == 0 {
                    visit(
                        Entry::Skipped {
                            path: String::new(),
                            reason: SkipReason::TooLarge,
                            why: "the archive expands past its limit; the rest is not read".into(),
                        },
                        budget,
                    );
                    return Ok(());
                }
                return result;
            }
            // One gzipped file, read like a member.
            let mut out = Vec::new();
            match read_bounded(flate2::read::MultiGzDecoder::new(data), budget, &mut out) {
                Ok(Bounded::Whole) => visit(
                    Entry::File {
                        path: String::new(),
                        data: out,
                    },
                    budget,
                ),
                Ok(Bounded::Over(reason, why)) => visit(
                    Entry::Skipped {
                        path: String::new(),
                        reason,
                        why,
                    },
                    budget,
                ),
                Err(e) => {
                    // A truncated stream: what inflated before the damage is still searched.
                    if !out.is_empty() {
                        visit(
                            Entry::File {
                                path: String::new(),
                                data: out,
                            },
                            budget,
                        );
                    }
                    return Err(Damaged::new(format!("gzip: {e}")));
                }
            }
            Ok(())
        }
    }
}

enum Bounded {
    Whole,
    Over(SkipReason, String),
}

/// Reads `reader` into `out` unless it is larger than a member may be or than the budget
/// left; charges what was read to the budget either way.
fn read_bounded(
    reader: impl Read,
    budget: &mut Budget,
    out: &mut Vec<u8>,
) -> std::io::Result<Bounded> {
    let cap = budget.member_max.min(budget.remaining);
    out.clear();
    // On an error `out` keeps what was read before it (a truncated member), charged too.
    let read = reader.take(cap.saturating_add(1)).read_to_end(out);
    let n = out.len() as u64;
    budget.remaining = budget.remaining.saturating_sub(n);
    read?;
    if n <= cap {
        return Ok(Bounded::Whole);
    }
    out.clear();
    Ok(if cap == budget.member_max {
        Bounded::Over(
            SkipReason::TooLarge,
            format!("larger than {} bytes", budget.member_max),
        )
    } else {
        Bounded::Over(
            SkipReason::TooLarge,
            "the archive expands past its limit; the rest is not read".to_string(),
        )
    })
}

fn zip_entries(
    data: &[u8],
    budget: &mut Budget,
    visit: &mut dyn FnMut(Entry, &mut Budget),
) -> Result<(), Damaged> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(data))
        .map_err(|e| Damaged::new(format!("zip: {e}")))?;
    let count = archive.len();
    for i in 0..count.min(MAX_MEMBERS) {
        if budget.remaining == 0 {
            visit(
                Entry::Skipped {
                    path: String::new(),
                    reason: SkipReason::TooLarge,
                    why: format!(
                        "the archive expands past its limit; {} member(s) not read",
                        count - i
                    ),
                },
                budget,
            );
            return Ok(());
        }
        let path = match archive.name_for_index(i) {
            Some(Ok(name)) => name.into_owned(),
            _ => format!("#{i}"),
        };
        let mut file = match archive.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                let (reason, why) = match e {
                    zip::result::ZipError::UnsupportedArchive(what) => {
                        (SkipReason::Unreadable, what.to_string())
                    }
                    other => (SkipReason::Corrupt, other.to_string()),
                };
                visit(Entry::Skipped { path, reason, why }, budget);
                continue;
            }
        };
        // Directories end in `/`. Symlinks are stored as files whose content is the target,
        // told apart by the file-type bits of the Unix mode. Those bits are compared whole:
        // some tools write 0o177777 (every bit set) for plain entries, which a bit test
        // (`mode & S_IFLNK == S_IFLNK`, as `ZipFile::is_symlink` does) reads as a link, and a
        // file with that mode would then go unscanned.
        let symlink = file
            .unix_mode()
            .is_some_and(|mode| mode & 0o170_000 == 0o120_000);
        if file.is_dir() || symlink {
            if symlink && !file.is_dir() {
                visit(
                    Entry::Skipped {
                        path,
                        reason: SkipReason::Symlink,
                        why: "a symbolic link".to_string(),
                    },
                    budget,
                );
            }
            continue;
        }
        let mut out = Vec::new();
        match read_bounded(&mut file, budget, &mut out) {
            Ok(Bounded::Whole) => visit(Entry::File { path, data: out }, budget),
            Ok(Bounded::Over(reason, why)) => visit(Entry::Skipped { path, reason, why }, budget),
            Err(e) => visit(
                Entry::Skipped {
                    path,
                    reason: SkipReason::Corrupt,
                    why: e.to_string(),
                },
                budget,
            ),
        }
    }
    if count > MAX_MEMBERS {
        visit(
            Entry::Skipped {
                path: String::new(),
                reason: SkipReason::TooLarge,
                why: format!(
                    "{} member(s) past the first {MAX_MEMBERS} not read",
                    count - MAX_MEMBERS
                ),
            },
            budget,
        );
    }
    Ok(())
}

fn tar_entries(
    data: impl Read,
    budget: &mut Budget,
    visit: &mut dyn FnMut(Entry, &mut Budget),
) -> Result<(), Damaged> {
    let mut archive = tar::Archive::new(SignedChecksums::new(data));
    let entries = archive
        .entries()
        .map_err(|e| Damaged::new(format!("tar: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| Damaged::new(format!("tar: {e}")))?;
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            visit(
                Entry::Skipped {
                    path,
                    reason: SkipReason::Symlink,
                    why: "a link".to_string(),
                },
                budget,
            );
            continue;
        }
        if !(kind.is_file() || kind.is_contiguous()) {
            continue;
        }
        if budget.remaining == 0 {
            visit(
                Entry::Skipped {
                    path,
                    reason: SkipReason::TooLarge,
                    why: "the archive expands past its limit; the rest is not read".to_string(),
                },
                budget,
            );
            return Ok(());
        }
        let size = entry.size();
        let mut out = Vec::new();
        match read_bounded(&mut entry, budget, &mut out) {
            // A truncated tar ends a member early without an error.
            Ok(Bounded::Whole) if (out.len() as u64) < size => {
                visit(
                    Entry::File {
                        path: path.clone(),
                        data: out,
                    },
                    budget,
                );
                return Err(Damaged::new(format!("tar: {path}: truncated")));
            }
            Ok(Bounded::Whole) => visit(Entry::File { path, data: out }, budget),
            Ok(Bounded::Over(reason, why)) => visit(Entry::Skipped { path, reason, why }, budget),
            Err(e) => return Err(Damaged::new(format!("tar: {path}: {e}"))),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in files {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .expect("zip entry");
            w.write_all(data).expect("zip write");
        }
        w.finish().expect("zip finish").into_inner()
    }

    fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, *data).expect("tar entry");
        }
        b.into_inner().expect("tar finish")
    }

    /// A tar whose headers are V7's: no `ustar` magic, checksums set over what is left.
    fn v7_tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut t = tar_of(files);
        let mut at = 0;
        while at + 512 <= t.len() && t[at] != 0 {
            let size = tar::Header::from_byte_slice(&t[at..at + 512])
                .entry_size()
                .expect("size");
            let header = &mut t[at..at + 512];
            header[257..265].fill(0);
            header[148..156].fill(b' ');
            let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
            header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
            at += 512 + (size as usize).div_ceil(512) * 512;
        }
        t
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).expect("gzip");
        e.finish().expect("gzip")
    }

    fn entries(data: &[u8], budget: &mut Budget) -> (Vec<String>, Result<(), Damaged>) {
        let mut seen = Vec::new();
        let r = for_each_entry(
            data,
            sniff(data).expect("an archive"),
            budget,
            &mut |e, _| {
                seen.push(match e {
                    Entry::File { path, data } => {
                        format!("{path}={}", String::from_utf8_lossy(&data))
                    }
                    Entry::Skipped { path, reason, .. } => format!("{path}:{}", reason.as_str()),
                })
            },
        );
        (seen, r)
    }

    #[test]
    fn reads_zip_tar_and_gzip_members() {
        let z = zip_of(&[("a/b.txt", b"one"), ("c.txt", b"two")]);
        assert_eq!(sniff(&z), Some(Kind::Zip));
        assert_eq!(
            entries(&z, &mut Budget::new(100)).0,
            ["a/b.txt=one", "c.txt=two"]
        );
        let t = tar_of(&[("x/y.env", b"three")]);
        assert_eq!(sniff(&t), Some(Kind::Tar));
        assert_eq!(entries(&t, &mut Budget::new(100)).0, ["x/y.env=three"]);
        // A .tar.gz hands out the tar's files (the tar itself, padded to 2 KiB, is bounded by
        // the budget, not the member limit); a gzipped file is one unnamed member.
        assert_eq!(
            entries(&gzip(&t), &mut Budget::new(200)).0,
            ["x/y.env=three"]
        );
        assert_eq!(entries(&gzip(b"dump"), &mut Budget::new(100)).0, ["=dump"]);
        assert_eq!(sniff(b"PK is not enough"), None);
    }

    #[test]
    fn a_header_with_a_signed_checksum_does_not_end_the_archive() {
        // The middle member's name has bytes over 0x7f, so its signed sum differs; its header
        // gets that sum, as old tars wrote it. The crate alone stopped there as damaged.
        let mut t = tar_of(&[
            ("a.env", b"one"),
            ("caf\u{e9}.env", b"two"),
            ("c.env", b"three"),
        ]);
        let at = 1024;
        let (unsigned, signed) = header_sums(&t[at..at + 512]);
        assert_ne!(i64::try_from(unsigned).ok(), Some(signed));
        t[at + 148..at + 156].copy_from_slice(format!("{signed:06o}\0 ").as_bytes());
        let want = ["a.env=one", "caf\u{e9}.env=two", "c.env=three"];
        for data in [t.clone(), gzip(&t)] {
            let (seen, result) = entries(&data, &mut Budget::new(300));
            assert_eq!(seen, want);
            assert!(result.is_ok());
        }
    }

    #[test]
    fn v7_tars_are_known_by_their_header_checksum() {
        let t = v7_tar_of(&[("pkg-1.0/README", b"five"), ("pkg-1.0/key.pem", b"four")]);
        assert_ne!(t.get(257..262), Some(&b"ustar"[..]));
        assert_eq!(sniff(&t), Some(Kind::Tar));
        // Streamed member by member, as a `.tar.gz`, not inflated whole as one gzipped file
        // (that would hit the 300-byte member limit).
        assert_eq!(
            entries(&gzip(&t), &mut Budget::new(300)).0,
            ["pkg-1.0/README=five", "pkg-1.0/key.pem=four"]
        );
        // One changed byte breaks the checksum: text is not a tar.
        let mut broken = t.clone();
        broken[0] ^= 1;
        assert_eq!(sniff(&broken), None);
        assert_eq!(sniff(&[b'a'; 600]), None);
        assert_eq!(sniff(&[0u8; 600]), None);
        // Nor is text that holds `ustar` at offset 257 by chance ("ajustar", Portuguese).
        let mut text = vec![b'x'; 600];
        text[253..262].copy_from_slice(b"a ajustar");
        assert_eq!(&text[257..262], b"ustar");
        assert_eq!(sniff(&text), None);
        // A POSIX tar has the magic and a valid checksum.
        assert_eq!(sniff(&tar_of(&[("a.env", b"one")])), Some(Kind::Tar));
    }

    #[test]
    fn zip_members_are_links_only_by_their_file_type_bits() {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file("odd.txt", zip::write::SimpleFileOptions::default())
            .expect("zip entry");
        w.write_all(b"scanned").expect("zip write");
        w.add_symlink("link", "odd.txt", zip::write::SimpleFileOptions::default())
            .expect("zip link");
        let mut z = w.finish().expect("zip finish").into_inner();
        // Give the first central directory entry a Unix mode with every bit set, as some
        // archivers write: 0o177777 is not a link (its type bits are 0o170000).
        let cd = z
            .windows(4)
            .position(|w| w == b"PK\x01\x02")
            .expect("central directory");
        z[cd + 5] = 3;
        z[cd + 38..cd + 42].copy_from_slice(&0xFFFF_0000u32.to_le_bytes());
        assert_eq!(
            entries(&z, &mut Budget::new(100)).0,
            ["odd.txt=scanned", "link:symlink"]
        );
    }

    #[test]
    fn a_bomb_costs_at_most_the_budget() {
        let big = vec![b'a'; 4000];
        let z = zip_of(&[
            ("1", &big),
            ("2", &big),
            ("3", &big),
            ("4", &big),
            ("5", &big),
        ]);
        // Members of 4000 bytes fit a 5000-byte member limit; 16 × 500 bytes does not fit one.
        let (seen, r) = entries(&z, &mut Budget::new(5000));
        assert!(r.is_ok());
        assert_eq!(seen.len(), 5);
        let mut small = Budget::new(5000);
        small.remaining = 9000;
        let (seen, _) = entries(&z, &mut small);
        assert!(seen[0].starts_with("1="));
        assert!(seen[1].starts_with("2="));
        assert_eq!(seen[2], "3:too_large");
        assert_eq!(seen[3], ":too_large", "the rest is counted once");
        assert_eq!(seen.len(), 4);
        // One member over the member limit is skipped; the others are still read.
        let z = zip_of(&[("big", &big), ("small", b"ok")]);
        assert_eq!(
            entries(&z, &mut Budget::new(100)).0,
            ["big:too_large", "small=ok"]
        );
    }

    #[test]
    fn a_tar_gz_is_inflated_no_further_than_the_budget() {
        let t = tar_of(&[("big", &vec![0u8; 100_000]), ("small", b"ok")]);
        let g = gzip(&t);
        assert!(g.len() < 1000, "compresses well, as bombs do");
        let (seen, r) = entries(&g, &mut Budget::new(1000));
        assert!(r.is_ok());
        assert_eq!(seen, ["big:too_large", ":too_large"]);
        // With room, the small member after the big one is read.
        let (seen, _) = entries(&g, &mut Budget::new(10_000));
        assert_eq!(seen, ["big:too_large", "small=ok"]);
    }

    #[test]
    fn damaged_archives_say_so() {
        let z = zip_of(&[("a", b"one")]);
        let (_, r) = entries(&z[..z.len() - 10], &mut Budget::new(100));
        assert!(r.unwrap_err().0.starts_with("zip:"));
        let t = tar_of(&[("a", &[b'x'; 2000])]);
        // What a truncated member holds is still handed out, then the damage is reported.
        let (seen, r) = entries(&t[..1000], &mut Budget::new(10_000));
        assert_eq!(seen.len(), 1);
        assert!(r.unwrap_err().0.ends_with("a: truncated"));
        let g = gzip(b"some text");
        let (_, r) = entries(&g[..8], &mut Budget::new(100));
        assert!(r.unwrap_err().0.starts_with("gzip:"));
        // Cut after the compressed data but before its checksum: the text is still handed out.
        let g = gzip(&[b'a'; 3000]);
        let (seen, r) = entries(&g[..g.len() - 4], &mut Budget::new(10_000));
        assert!(r.is_err());
        assert_eq!(seen.len(), 1);
        assert!(seen[0].starts_with("=aaa"));
        // A message quoting raw bytes is cut short.
        let long = Damaged::new(format!("tar: {}", "\u{fffd}".repeat(500)));
        assert_eq!(long.0.chars().count(), Damaged::MAX_CHARS + 1);
        assert!(long.0.ends_with('…'));
    }

    #[test]
    fn links_in_a_tar_are_not_followed() {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_cksum();
        b.append_link(&mut h, "key", "/etc/shadow").expect("link");
        let t = b.into_inner().expect("tar");
        assert_eq!(entries(&t, &mut Budget::new(100)).0, ["key:symlink"]);
    }
}
