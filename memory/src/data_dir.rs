//! The data directory: everything Shopkeeper persists lives under it.

use std::path::{Path, PathBuf};

/// The environment variable that overrides the data directory.
pub const HOME_ENV: &str = "SHOPKEEPER_HOME";

/// Why the data directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    /// Neither `SHOPKEEPER_HOME` nor a per-user data folder is known.
    #[error("no data directory: set {HOME_ENV} to a folder Shopkeeper may write to")]
    Unknown,
    /// The folder could not be created.
    #[error("cannot create the data directory {path}: {source}")]
    Create {
        /// The folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// The folder holding the store, the application database and downloaded models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// `$SHOPKEEPER_HOME` when set and non-empty, else the platform's per-user data
    /// folder (e.g. `~/.local/share/shopkeeper` on Linux).
    pub fn resolve() -> Result<Self, DataDirError> {
        Self::resolve_from(
            std::env::var_os(HOME_ENV).map(PathBuf::from),
            dirs::data_dir(),
        )
    }

    fn resolve_from(
        home: Option<PathBuf>,
        platform: Option<PathBuf>,
    ) -> Result<Self, DataDirError> {
        match home.filter(|p| !p.as_os_str().is_empty()) {
            Some(root) => Ok(Self { root }),
            None => platform
                .map(|p| Self {
                    root: p.join("shopkeeper"),
                })
                .ok_or(DataDirError::Unknown),
        }
    }

    /// A data directory at an explicit path.
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Creates the folder if it is missing.
    pub fn ensure(&self) -> Result<&Self, DataDirError> {
        std::fs::create_dir_all(&self.root).map_err(|source| DataDirError::Create {
            path: self.root.clone(),
            source,
        })?;
        Ok(self)
    }

    /// The built-in store's SQLite file.
    pub fn store_path(&self) -> PathBuf {
        self.root.join("store.sqlite")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_override_wins_over_the_platform_folder() {
        let d = DataDir::resolve_from(Some("/tmp/sk".into()), Some("/home/u/.local/share".into()));
        assert_eq!(
            d.ok().map(|d| d.root().to_path_buf()),
            Some(PathBuf::from("/tmp/sk"))
        );
    }

    #[test]
    fn falls_back_to_the_platform_folder() {
        let d = DataDir::resolve_from(Some("".into()), Some("/home/u/.local/share".into()));
        assert_eq!(
            d.ok().map(|d| d.root().to_path_buf()),
            Some(PathBuf::from("/home/u/.local/share/shopkeeper"))
        );
        assert!(matches!(
            DataDir::resolve_from(None, None),
            Err(DataDirError::Unknown)
        ));
    }

    #[test]
    fn ensure_creates_the_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::at(tmp.path().join("a/b"));
        dir.ensure().unwrap();
        assert!(dir.root().is_dir());
        assert_eq!(dir.store_path(), tmp.path().join("a/b/store.sqlite"));
    }
}
