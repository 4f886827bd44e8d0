//! Secrets inside zip, jar, tar and gzip archives, on disk and in history; damaged and
//! oversized archives.

mod util;

use std::io::Write;

use util::{Dir, Fake, Repo};

const PAT: &str = "github-pat-classic";

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in files {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("zip entry");
        w.write_all(data).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

/// A tar of `files` and of hard `links` (name, target).
fn tar_of(files: &[(&str, &[u8])], links: &[(&str, &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).expect("tar entry");
    }
    for (name, target) in links {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Link);
        h.set_size(0);
        h.set_cksum();
        b.append_link(&mut h, name, target).expect("tar link");
    }
    b.into_inner().expect("tar finish")
}

fn tar_gz_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let tar = tar_of(files, &[]);
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&tar).expect("gzip");
    e.finish().expect("gzip")
}

#[test]
fn members_of_zip_jar_and_tar_gz_are_found_at_their_paths() {
    let dir = Dir::new();
    let mut fake = Fake::new(901);
    let (a, b, c, d) = (
        fake.github("ghp_"),
        fake.github("ghp_"),
        fake.github("ghp_"),
        fake.github("ghp_"),
    );
    dir.write(
        "dist/bundle.zip",
        zip_of(&[
            ("README.txt", b"nothing here\n"),
            // Default skips apply to members by their path in the archive.
            (
                "web/package-lock.json",
                format!("{{\"t\": \"{a}\"}}\n").as_bytes(),
            ),
            (
                "conf/app.env",
                format!("X=1\nGITHUB_TOKEN={a}\n").as_bytes(),
            ),
        ]),
    );
    // A jar inside a war: the member path names both.
    let jar = zip_of(&[("application.properties", format!("token={b}\n").as_bytes())]);
    dir.write("app.war", zip_of(&[("WEB-INF/lib/core.jar", &jar)]));
    dir.write(
        "charts/app-1.0.tgz",
        tar_gz_of(&[(
            "app/values.yaml",
            format!("a: 1\nb: 2\ntoken: {c}\n").as_bytes(),
        )]),
    );
    // A gzipped file is reported at its own path, at the line in its content.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(format!("line\nline\nGITHUB_TOKEN={d}\n").as_bytes())
        .expect("gzip");
    dir.write("dump.sql.gz", e.finish().expect("gzip"));
    let (code, report) = dir.scan_json(&["."]);
    assert_eq!(code, 1);
    let places: Vec<(String, String, usize)> = report
        .places()
        .into_iter()
        .map(|(rule, path, line, _)| (rule, path, line))
        .collect();
    assert_eq!(
        places,
        [
            (
                PAT.into(),
                "app.war!WEB-INF/lib/core.jar!application.properties".into(),
                1
            ),
            (PAT.into(), "charts/app-1.0.tgz!app/values.yaml".into(), 3),
            (PAT.into(), "dist/bundle.zip!conf/app.env".into(), 2),
            (PAT.into(), "dump.sql.gz".into(), 3),
        ]
    );
    // Members count as scanned blobs; the archives themselves are not "binary" skips.
    assert_eq!(report.skipped("binary"), 0);
    assert_eq!(report.skipped("default_skip"), 1);
    assert_eq!(report.stats.blobs_scanned, 5);

    // Redacted like any other finding.
    assert!(report.findings.iter().all(|f| !f.secret.contains(&a[8..])));

    let (code, report) = dir.scan_json(&[".", "--no-archives"]);
    assert_eq!((code, report.findings.len()), (0, 0));
    assert_eq!(report.skipped("binary"), 4);
}

#[test]
fn an_archive_committed_then_deleted_is_found_in_history() {
    let repo = Repo::new();
    let mut fake = Fake::new(902);
    let token = fake.github("ghp_");
    repo.write("README.md", "hello\n");
    repo.commit("init");
    repo.write(
        "release/site.zip",
        zip_of(&[(
            "site/config.js",
            format!("const t = \"{token}\";\n").as_bytes(),
        )]),
    );
    let added = repo.commit("add release");
    repo.git(&["rm", "-q", "release/site.zip"]);
    repo.commit("remove it");
    let (code, report) = repo.scan_json(&["."]);
    assert_eq!(code, 1);
    assert_eq!(
        report.history(),
        vec![(
            PAT.to_string(),
            "history".to_string(),
            "release/site.zip!site/config.js".to_string(),
            1,
            added
        )]
    );
}

#[test]
fn damaged_and_oversized_archives_are_counted_and_the_rest_scanned() {
    let dir = Dir::new();
    let mut fake = Fake::new(903);
    let (a, b) = (fake.github("ghp_"), fake.github("ghp_"));
    let good = zip_of(&[("a.env", format!("T={a}\n").as_bytes())]);
    dir.write("broken.zip", &good[..good.len() - 12]);
    // One member over --max-file-size is skipped; its neighbour is still read.
    let big = vec![b'x'; 300_000];
    dir.write(
        "mixed.zip",
        zip_of(&[("big.bin", &big), ("b.env", format!("T={b}\n").as_bytes())]),
    );
    let out = dir.run(&["scan", ".", "--format", "json", "--max-file-size", "100K"]);
    assert_eq!(out.status.code(), Some(1));
    let report: util::Report = serde_json::from_slice(&out.stdout).expect("json");
    let paths: Vec<String> = report.places().into_iter().map(|p| p.1).collect();
    assert_eq!(paths, ["mixed.zip!b.env"]);
    assert_eq!(report.skipped("corrupt"), 1);
    assert_eq!(report.skipped("too_large"), 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.zip: damaged archive"), "{stderr}");
    assert!(
        stderr.contains("mixed.zip!big.bin: not scanned: larger than 102400 bytes"),
        "{stderr}"
    );
}

#[test]
fn links_in_a_tar_are_counted_in_one_warning() {
    let dir = Dir::new();
    let mut fake = Fake::new(905);
    let a = fake.github("ghp_");
    let env = format!("T={a}\n");
    // A container image's busybox: one binary, many hard links to it.
    dir.write(
        "layer.tar",
        tar_of(
            &[("bin/app.env", env.as_bytes())],
            &[
                ("bin/ls", "bin/busybox"),
                ("bin/cat", "bin/busybox"),
                ("bin/sh", "bin/busybox"),
            ],
        ),
    );
    let out = dir.run(&["scan", ".", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: util::Report = serde_json::from_slice(&out.stdout).expect("json");
    let paths: Vec<String> = report.places().into_iter().map(|p| p.1).collect();
    assert_eq!(paths, ["layer.tar!bin/app.env"]);
    assert_eq!(report.skipped("symlink"), 3);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("not scanned").count(), 1, "{stderr}");
    assert!(
        stderr.contains("layer.tar!bin/ls: not scanned: a link and 2 more"),
        "{stderr}"
    );
}

#[test]
fn text_with_ustar_at_the_tar_magic_offset_is_scanned_as_text() {
    let dir = Dir::new();
    let mut fake = Fake::new(906);
    let a = fake.github("ghp_");
    // "ajustar" (Portuguese) puts `ustar` at offset 257, where a tar header has its magic.
    let mut text = "x".repeat(253);
    text.push_str("a ajustar o texto\n");
    text.push_str(&format!("GITHUB_TOKEN={a}\n"));
    assert_eq!(&text.as_bytes()[257..262], b"ustar");
    dir.write("store.pt-BR.config", text);
    let (code, report) = dir.scan_json(&["."]);
    assert_eq!(code, 1);
    let places: Vec<(String, String, usize)> = report
        .places()
        .into_iter()
        .map(|(rule, path, line, _)| (rule, path, line))
        .collect();
    assert_eq!(places, [(PAT.into(), "store.pt-BR.config".into(), 2)]);
    assert_eq!(report.skipped("corrupt"), 0);
}
