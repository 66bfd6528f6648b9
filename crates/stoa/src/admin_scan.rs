//! `stoa admin org scan-policy` and `stoa admin scan release`.

use anyhow::{anyhow, bail};
use stoa_core::scan::FileStatus;
use stoa_core::scan::analyse::analyse_file;
use stoa_core::scan::policy::{Action, ScanPolicy};
use stoa_types::RepoType;

use crate::admin::open_hub;
use crate::cli::{ScanFileArgs, ScanPolicyArgs, ScanReleaseArgs};

fn action(flag: &str, text: &str) -> anyhow::Result<Action> {
    Action::parse(text).ok_or_else(|| anyhow!("--{flag}: expected warn, quarantine or reject, got '{text}'"))
}

pub(crate) async fn set_scan_policy(args: ScanPolicyArgs) -> anyhow::Result<()> {
    let policy = ScanPolicy {
        dangerous: action("dangerous", &args.dangerous)?,
        unscannable: action("unscannable", &args.unscannable)?,
    };
    let (hub, store) = open_hub(&args.data).await?;
    hub.set_scan_policy(&args.name, policy).await.map_err(|error| anyhow!("{error}"))?;
    println!("{}: dangerous files {}, unscannable files {}", args.name, args.dangerous, args.unscannable);
    store.close().await;
    Ok(())
}

pub(crate) async fn release(args: ScanReleaseArgs) -> anyhow::Result<()> {
    let Some((kind, id)) = args.repo.split_once('/') else {
        bail!("expected TYPE/OWNER/NAME, got '{}'", args.repo);
    };
    let repo_type = RepoType::parse(kind).map_err(|error| anyhow!("{error}"))?;
    let (hub, store) = open_hub(&args.data).await?;
    // Operators act on any repo, private ones included.
    let repo = hub.meta().repo_by_name(repo_type, id).await?.ok_or_else(|| anyhow!("no {kind} called {id}"))?;
    let released = hub.release_quarantine(&repo, &args.path).await.map_err(|error| anyhow!("{error}"))?;
    store.close().await;
    if !released {
        bail!("{} is not quarantined in {}", args.path, args.repo);
    }
    println!("released {} in {}", args.path, args.repo);
    Ok(())
}

/// Exit status of `scan file` when a file is dangerous or unscannable (2 is clap's usage error).
const FOUND_ISSUES: i32 = 3;

pub(crate) fn scan_files(args: &ScanFileArgs) -> anyhow::Result<()> {
    let mut worst = FileStatus::Safe;
    for path in &args.paths {
        let file = std::fs::File::open(path).map_err(|error| anyhow!("{}: {error}", path.display()))?;
        let name = path.to_string_lossy();
        let report = analyse_file(&name, &file);
        worst = worst.max(report.status());
        let line = serde_json::json!({"path": name, "status": report.status().as_str(), "report": report});
        println!("{line}");
    }
    if worst >= FileStatus::Unscannable {
        std::process::exit(FOUND_ISSUES);
    }
    Ok(())
}
