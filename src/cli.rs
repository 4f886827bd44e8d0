//! Command-line arguments (clap derive) and their translation into library options. Nothing
//! below `main.rs` and this file knows about clap.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use keyhound::config::Config;
use keyhound::engine::Engine;
use keyhound::report::{self, Format, ReportOptions};
use keyhound::rules::{self, RuleSet};
use keyhound::scan::{ScanOptions, Scanner, Target};
use keyhound::sources::remote;

/// What the process should exit with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing found (exit 0).
    Clean,
    /// Findings, or failed rule checks (exit 1).
    Found,
}

impl From<Outcome> for std::process::ExitCode {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Clean => std::process::ExitCode::SUCCESS,
            Outcome::Found => std::process::ExitCode::from(1),
        }
    }
}

/// Find leaked credentials in files, standard input and git history, and learn how to
/// rotate each one.
#[derive(Debug, Parser)]
#[command(name = "keyhound", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan a directory, a file, or standard input (`-`) for secrets.
    Scan(Box<ScanArgs>),
    /// List or check the rules.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Check a configuration file.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Install a git pre-commit hook that runs `keyhound scan --staged`.
    InstallHook {
        /// Replace an existing pre-commit hook that keyhound did not write.
        #[arg(long)]
        force: bool,
        /// A directory inside the repository.
        #[arg(default_value = ".")]
        path: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// Print every rule: id, provider, severity, name.
    List(ConfigArg),
    /// Run every rule's examples and negative examples; exit 1 on any failure.
    Check(ConfigArg),
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Validate a configuration file (default: ./.keyhound.toml): keys, globs, regexes, rule
    /// ids, and the examples of its extra rules. Exit 1 when it has problems.
    Check {
        /// The file.
        #[arg(default_value = ".keyhound.toml")]
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
struct ConfigArg {
    /// Also load the extra rules and overrides of this configuration file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    /// Grouped report for people.
    Human,
    /// One JSON document.
    Json,
    /// One JSON finding per line.
    Jsonl,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
}

#[derive(Debug, Args)]
struct ScanArgs {
    /// Directory or file to scan; `-` reads standard input; a repository URL (`https://…`,
    /// `ssh://…`, `git@host:path`, `file://…`) is cloned bare with git and its history audited.
    #[arg(default_value = ".")]
    path: PathBuf,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = FormatArg::Human)]
    format: FormatArg,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,

    /// Print secrets in clear. By default every format redacts them.
    #[arg(long)]
    show_secrets: bool,

    /// Never colour the human report (also: the NO_COLOR environment variable).
    #[arg(long)]
    no_color: bool,

    /// Scan files that .gitignore and .git/info/exclude would skip.
    #[arg(long)]
    no_ignore: bool,

    /// Run only the rule with this id (repeatable); `keyhound rules list` shows the ids.
    #[arg(long, value_name = "ID")]
    enable_rule: Vec<String>,

    /// Do not run the rule with this id (repeatable), as `disabled_rules` in a config does.
    #[arg(long, value_name = "ID")]
    disable_rule: Vec<String>,

    /// Skip paths matching this glob (relative to the scan root, `/`-separated; repeatable),
    /// in files on disk and in history, as `[allowlist] paths` in a config does.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,

    /// Skip and count files larger than this (bytes, or with a K/M/G/KiB/MiB/GiB suffix).
    #[arg(long, value_name = "SIZE", default_value = "10MiB", value_parser = parse_size)]
    max_file_size: u64,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,

    /// Configuration file (default: .keyhound.toml at the scanned directory, if present).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// In a repository, scan only the files on disk, not the history.
    #[arg(long, conflicts_with_all = ["no_worktree", "git_range", "staged"])]
    no_history: bool,

    /// In a repository, scan only the history, not the files on disk.
    #[arg(long)]
    no_worktree: bool,

    /// Scan only what the commits of BASE..HEAD add (push and pull-request checks). An
    /// all-zero BASE means a new branch.
    #[arg(long, value_name = "BASE..HEAD", conflicts_with = "staged")]
    git_range: Option<String>,

    /// Scan only what the next commit would add: staged changes, on lines they add
    /// (pre-commit hook).
    #[arg(long)]
    staged: bool,

    /// Audit only the history REF reaches (a branch, tag or commit; repeatable). By default
    /// every ref is audited, and blobs no ref reaches too.
    #[arg(long, value_name = "REF", conflicts_with_all = ["git_range", "staged", "no_history"])]
    branch: Vec<String>,

    /// Do not report findings whose fingerprint is in this baseline file.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,

    /// Write the fingerprints of all current findings (never the secrets) to FILE.
    #[arg(long, value_name = "FILE")]
    baseline_out: Option<PathBuf>,

    /// Also scan lock files, minified assets, media and archives keyhound cannot open
    /// (skipped by default).
    #[arg(long)]
    no_default_skips: bool,

    /// Do not search inside zip, jar, tar and gzip archives (searched by default, members
    /// reported as `archive.zip!path/in/archive`).
    #[arg(long)]
    no_archives: bool,

    /// Do not decode base64 blobs (searched by default: a token inside a base64-encoded
    /// body is reported at the blob's place).
    #[arg(long)]
    no_base64: bool,

    /// Show a progress bar on stderr (default: only when stderr is a terminal and not in CI).
    #[arg(long, overrides_with = "no_progress")]
    progress: bool,

    /// Never show a progress bar.
    #[arg(long)]
    no_progress: bool,

    /// Also append a Markdown summary of the findings to FILE (e.g. $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "FILE")]
    summary: Option<PathBuf>,
}

/// Parses `10MiB`, `5M`, `1024`, `2GB` into bytes. Decimal and binary suffixes both mean
/// binary multiples: nobody means 10,000,000 when they type `--max-file-size 10M`.
fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let digits_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(digits_end);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size: expected a number such as 10MiB or 1048576"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown size unit `{other}`: use K, M or G")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{s}` is too large"))
}

/// Parses the command line and runs it.
pub fn run() -> Result<Outcome> {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => scan(*args),
        Command::Rules {
            command: RulesCommand::List(c),
        } => rules_list(c.config.as_deref()),
        Command::Rules {
            command: RulesCommand::Check(c),
        } => rules_check(c.config.as_deref()),
        Command::InstallHook { force, path } => install_hook(&path, force),
        Command::Config {
            command: ConfigCommand::Check { file },
        } => config_check(&file),
    }
}

fn load_rules(config: Option<&Config>) -> Result<RuleSet> {
    let mut set = RuleSet::builtin().context("built-in rules are invalid")?;
    if let Some(c) = config {
        c.apply(&mut set)?;
    }
    Ok(set)
}

/// Applies `--enable-rule` (only these) and `--disable-rule`; an id that names no rule is an
/// error, as in a config's `disabled_rules`, so a typo cannot silently scan with no rule.
fn select_rules(set: &mut RuleSet, enable: &[String], disable: &[String]) -> Result<()> {
    let known = |id: &String| set.rules().iter().any(|r| &r.id == id);
    if let Some(id) = enable.iter().find(|id| !known(id)) {
        anyhow::bail!(
            "--enable-rule: no rule has the id `{id}` (or the configuration disables it)"
        );
    }
    if let Some(id) = disable.iter().find(|id| !known(id)) {
        anyhow::bail!(
            "--disable-rule: no rule has the id `{id}` (or the configuration disables it)"
        );
    }
    if !enable.is_empty() {
        let others: Vec<String> = set
            .rules()
            .iter()
            .filter(|r| !enable.contains(&r.id))
            .map(|r| r.id.clone())
            .collect();
        set.disable(&others);
    }
    set.disable(disable);
    Ok(())
}

fn load_config(path: Option<&Path>, root: Option<&Path>) -> Result<Option<Config>> {
    Ok(match (path, root) {
        (Some(p), _) => Some(Config::load(p)?),
        (None, Some(r)) => Config::discover(r)?,
        (None, None) => None,
    })
}

fn scan(args: ScanArgs) -> Result<Outcome> {
    let show_progress = if args.no_progress {
        false
    } else {
        args.progress || (io::stderr().is_terminal() && std::env::var_os("CI").is_none())
    };
    let exists = args.path.exists() || std::fs::symlink_metadata(&args.path).is_ok();
    // A path on disk wins over a URL-like name (`git@host:repo` can be a directory's name).
    let url = match args.path.to_str() {
        Some(arg) if !exists && remote::is_url(arg) => Some(arg),
        _ => None,
    };
    let clone = match url {
        Some(url) => {
            if args.staged || args.no_history {
                anyhow::bail!(
                    "{}: a repository URL has history only: --staged and --no-history need files on disk",
                    remote::without_credentials(url)
                );
            }
            let clone = remote::BareClone::new()?;
            // Ctrl-C runs no destructor: remove the clone (it may be gigabytes) and stop, as the
            // interrupt would have. git, in the same process group, gets the signal too.
            let dir = clone.path().to_path_buf();
            ctrlc::set_handler(move || {
                let _ = std::fs::remove_dir_all(&dir);
                std::process::exit(130);
            })
            .context("cannot handle Ctrl-C")?;
            clone.fetch(url, !show_progress)?;
            Some(clone)
        }
        None => None,
    };
    let target = if let Some(clone) = &clone {
        Target::Path(clone.path().to_path_buf())
    } else if args.path.as_os_str() == "-" {
        Target::Stdin
    } else {
        if !exists {
            // `github.com/org/repo`, as Kingfisher takes it: say how to name a repository here.
            let hint = args
                .path
                .to_str()
                .filter(|p| remote::looks_like_host_path(p))
                .map(|p| format!(" (a repository? name it by URL: https://{p})"))
                .unwrap_or_default();
            anyhow::bail!("{}: no such file or directory{hint}", args.path.display());
        }
        Target::Path(args.path.clone())
    };
    let root = match &target {
        Target::Path(p) => Some(p.as_path()),
        Target::Stdin => None,
    };
    let config = load_config(args.config.as_deref(), root)?;
    let mut rules = load_rules(config.as_ref())?;
    select_rules(&mut rules, &args.enable_rule, &args.disable_rule)?;
    let scanner = Scanner::new(&rules)?;
    let mut options = ScanOptions::new(target);
    options.respect_gitignore = !args.no_ignore;
    options.max_file_size = args.max_file_size;
    options.threads = args.threads.unwrap_or(0);
    options.history = !args.no_history;
    options.worktree = !args.no_worktree;
    options.git_range = args.git_range.clone();
    options.refs = args.branch.clone();
    options.staged = args.staged;
    if let Some(c) = &config {
        options.allowlist = c.allowlist.clone();
    }
    if args.no_default_skips {
        options.allowlist = options.allowlist.without_default_skips();
    }
    options.allowlist = options
        .allowlist
        .with_excluded(&args.exclude)
        .context("--exclude")?;
    options.archives = !args.no_archives;
    options.decode_base64 = !args.no_base64;
    if let Some(path) = &args.baseline {
        options.baseline = Some(keyhound::baseline::Baseline::load(path)?);
    }
    let mut report = if show_progress {
        let progress = std::sync::Arc::new(keyhound::Progress::default());
        options.progress = Some(progress.clone());
        let bar = ProgressBar::start(progress, args.progress);
        let report = scanner.scan(&options);
        bar.finish();
        report?
    } else {
        scanner.scan(&options)?
    };
    if let Some(url) = url {
        // The clone's directory is removed when `clone` drops: reports name the URL only
        // (an scp-like `git@host:path` is no URI the clone's config would give).
        report.context.root = None;
        if let Some(repo) = &mut report.context.repository {
            repo.uri = remote::without_credentials(url);
        }
    }
    if let Some(path) = &args.baseline_out {
        let mut all = report.findings.clone();
        all.extend(report.baselined.iter().cloned());
        keyhound::baseline::write(path, &all)?;
    }
    let mut stderr = io::stderr().lock();
    for w in &report.warnings {
        // A warning line is informative only; a closed stderr must not fail the scan.
        if writeln!(stderr, "keyhound: warning: {}", report::sanitize(w)).is_err() {
            break;
        }
    }
    let format = match args.format {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
        FormatArg::Jsonl => Format::Jsonl,
        FormatArg::Sarif => Format::Sarif,
    };
    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    let color = to_terminal && !args.no_color && std::env::var_os("NO_COLOR").is_none();
    let report_options = ReportOptions {
        show_secrets: args.show_secrets,
        color,
    };
    let outcome = if report.findings.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Found
    };
    if let Some(path) = &args.summary {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        let mut out = BufWriter::new(file);
        report::markdown::write(&report, report_options, &mut out)
            .and_then(|()| out.flush())
            .with_context(|| format!("cannot write the summary to {}", path.display()))?;
    }
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    let written = report::write(
        &report,
        scanner.engine().rules(),
        format,
        report_options,
        &mut out,
    );
    match written {
        Ok(()) => Ok(outcome),
        // The reader went away (`| head`): stop writing, but still report what was found.
        Err(report::Error::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(outcome),
        Err(e) => Err(e.into()),
    }
}

/// A progress bar on stderr, drawn by its own thread from the scan's counters. It appears only
/// once a scan has run for a moment (unless forced), so quick scans and hooks print nothing.
struct ProgressBar {
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ProgressBar {
    fn start(progress: std::sync::Arc<keyhound::Progress>, forced: bool) -> ProgressBar {
        use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
        use std::time::{Duration, Instant};
        let done = std::sync::Arc::new(AtomicBool::new(false));
        let stop = done.clone();
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let delay = if forced {
                Duration::ZERO
            } else {
                Duration::from_millis(300)
            };
            while started.elapsed() < delay {
                if stop.load(Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let message = || {
                let blobs = progress.blobs.load(Relaxed);
                let bytes = progress.bytes.load(Relaxed);
                let secs = started.elapsed().as_secs_f64().max(0.001);
                format!(
                    "scanned {blobs} blobs, {} ({}/s)",
                    indicatif::HumanBytes(bytes),
                    indicatif::HumanBytes((bytes as f64 / secs) as u64)
                )
            };
            if !io::stderr().is_terminal() {
                // Forced onto a pipe or a log: plain lines, once a second and at the end.
                let mut last = Instant::now();
                while !stop.load(Relaxed) {
                    if last.elapsed() >= Duration::from_secs(1) {
                        eprintln!("keyhound: {}", message());
                        last = Instant::now();
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                eprintln!("keyhound: {}", message());
                return;
            }
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stderr(),
            );
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg}")
                    .expect("the template is valid"),
            );
            while !stop.load(Relaxed) {
                bar.set_message(message());
                bar.tick();
                std::thread::sleep(Duration::from_millis(100));
            }
            bar.finish_and_clear();
        });
        ProgressBar {
            done,
            thread: Some(thread),
        }
    }

    fn finish(mut self) {
        self.done.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            // The bar is cosmetic: a panic in its thread must not fail the scan.
            eprintln!("keyhound: warning: the progress display stopped");
        }
    }
}

fn config_check(file: &Path) -> Result<Outcome> {
    if !file.exists() {
        anyhow::bail!("{}: no such file", file.display());
    }
    let problem = |e: &dyn std::fmt::Display| {
        println!("FAIL {e}");
        Ok(Outcome::Found)
    };
    let config = match Config::load(file) {
        Ok(c) => c,
        Err(e @ keyhound::config::Error::Read { .. }) => return Err(e.into()),
        Err(e) => return problem(&format!("{:#}", anyhow::Error::from(e))),
    };
    let mut set = RuleSet::builtin().context("built-in rules are invalid")?;
    if let Err(e) = config.apply(&mut set) {
        return problem(&format!("{:#}", anyhow::Error::from(e)));
    }
    let engine = Engine::new(&set)?;
    let origin = file.display().to_string();
    let failures: Vec<_> = rules::check_examples(&engine, false)
        .into_iter()
        .filter(|f| f.origin == origin)
        .collect();
    for f in &failures {
        println!("FAIL {f}");
    }
    if failures.is_empty() {
        println!("ok: {}", file.display());
        Ok(Outcome::Clean)
    } else {
        Ok(Outcome::Found)
    }
}

fn install_hook(path: &Path, force: bool) -> Result<Outcome> {
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .unwrap_or_else(|_| PathBuf::from("keyhound"));
    let installed = keyhound::hook::install(path, &exe, force)?;
    println!("installed {}", installed.path.display());
    if let Some(hp) = installed.hooks_path_override {
        eprintln!(
            "keyhound: warning: core.hooksPath is set to {hp}: git runs hooks from there, not \
             from {}",
            installed.path.display()
        );
    }
    Ok(Outcome::Clean)
}

fn rules_list(config: Option<&Path>) -> Result<Outcome> {
    let config = load_config(config, None)?;
    let set = load_rules(config.as_ref())?;
    let mut out = BufWriter::new(io::stdout().lock());
    let id_w = set
        .rules()
        .iter()
        .map(|r| r.id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    let prov_w = set
        .rules()
        .iter()
        .map(|r| r.provider.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let result = (|| -> io::Result<()> {
        writeln!(
            out,
            "{:<id_w$}  {:<prov_w$}  {:<8}  NAME",
            "ID", "PROVIDER", "SEVERITY"
        )?;
        for r in set.rules() {
            writeln!(
                out,
                "{:<id_w$}  {:<prov_w$}  {:<8}  {}",
                r.id,
                r.provider,
                r.severity.as_str(),
                r.name
            )?;
        }
        writeln!(
            out,
            "\n{} rules from {} providers",
            set.rules().len(),
            set.provider_count()
        )?;
        out.flush()
    })();
    match result {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(Outcome::Clean),
    }
}

fn rules_check(config: Option<&Path>) -> Result<Outcome> {
    let config = load_config(config, None)?;
    let set = load_rules(config.as_ref())?;
    let engine = Engine::new(&set)?;
    let failures = rules::check_examples(&engine, true);
    let examples: usize = set.rules().iter().map(|r| r.examples.len()).sum();
    let negatives: usize = set.rules().iter().map(|r| r.negative_examples.len()).sum();
    for f in &failures {
        println!("FAIL {f}");
    }
    if failures.is_empty() {
        println!(
            "ok: {} rules, {examples} examples and {negatives} negative examples pass",
            set.rules().len()
        );
        Ok(Outcome::Clean)
    } else {
        println!(
            "{} problem(s) in {} rules",
            failures.len(),
            set.rules().len()
        );
        Ok(Outcome::Found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("5M"), Ok(5 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("10 parsecs").is_err());
    }

    #[test]
    fn scan_flags_parse() {
        let cli = Cli::try_parse_from([
            "keyhound",
            "scan",
            "dir",
            "--format",
            "jsonl",
            "-o",
            "out.json",
            "--show-secrets",
            "--no-color",
            "--no-ignore",
            "--max-file-size",
            "1M",
            "-j",
            "3",
        ])
        .expect("valid flags");
        let Command::Scan(a) = cli.command else {
            panic!("expected scan");
        };
        assert_eq!(a.path, PathBuf::from("dir"));
        assert!(matches!(a.format, FormatArg::Jsonl));
        assert_eq!(a.output, Some(PathBuf::from("out.json")));
        assert!(a.show_secrets && a.no_color && a.no_ignore);
        assert_eq!(a.max_file_size, 1 << 20);
        assert_eq!(a.threads, Some(3));
        assert!(Cli::try_parse_from(["keyhound", "scan", "--format", "xml"]).is_err());
    }
}
