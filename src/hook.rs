//! `keyhound install-hook`: a plain `pre-commit` hook running `keyhound scan --staged`.
//!
//! The hook goes in the repository's common git directory (`hooks/pre-commit`, shared by
//! linked worktrees). Another tool's hook is never overwritten without `force`; keyhound's own
//! hook is recognised by its marker line and replaced in place.

use std::path::{Path, PathBuf};

use crate::sources::git;

/// Marks a hook written by keyhound.
const MARKER: &str = "# keyhound pre-commit hook";

/// The hook could not be installed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No repository.
    #[error(transparent)]
    Git(#[from] git::Error),
    /// Another hook is in the way.
    #[error("{} already exists and was not written by keyhound; use --force to replace it", path.display())]
    Exists {
        /// The existing hook.
        path: PathBuf,
    },
    /// Writing failed.
    #[error("cannot write {}", path.display())]
    Write {
        /// The hook file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// What [`install`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The hook file.
    pub path: PathBuf,
    /// `core.hooksPath` is set, so git runs hooks from there instead.
    pub hooks_path_override: Option<String>,
}

/// The hook script for the keyhound binary at `exe`.
pub fn script(exe: &Path) -> String {
    let exe = exe.display().to_string().replace('\'', "'\\''");
    format!(
        "#!/bin/sh\n\
         {MARKER} (installed by `keyhound install-hook`).\n\
         # Blocks commits that add secrets. Skip it once with `git commit --no-verify`.\n\
         KEYHOUND='{exe}'\n\
         [ -x \"$KEYHOUND\" ] || KEYHOUND=keyhound\n\
         exec \"$KEYHOUND\" scan --staged\n"
    )
}

/// Installs the hook in the repository containing `path`.
pub fn install(path: &Path, exe: &Path, force: bool) -> Result<Installed, Error> {
    let repo = git::discover(path)?;
    let hooks = repo.common_dir().join("hooks");
    let hook = hooks.join("pre-commit");
    if let Ok(existing) = std::fs::read_to_string(&hook)
        && !existing.contains(MARKER)
        && !force
    {
        return Err(Error::Exists { path: hook });
    } else if hook.exists() && std::fs::read_to_string(&hook).is_err() && !force {
        return Err(Error::Exists { path: hook });
    }
    let write = |p: &Path| -> std::io::Result<()> {
        std::fs::create_dir_all(&hooks)?;
        std::fs::write(p, script(exe))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755))?;
        }
        Ok(())
    };
    write(&hook).map_err(|source| Error::Write {
        path: hook.clone(),
        source,
    })?;
    let hooks_path_override = repo
        .config_snapshot()
        .string("core.hooksPath")
        .map(|v| v.to_string());
    Ok(Installed {
        path: hook,
        hooks_path_override,
    })
}
