//! `stoa admin org scan-policy` and `stoa admin scan release`.

use anyhow::{anyhow, bail};
use stoa_core::scan::policy::{Action, ScanPolicy};
use stoa_types::RepoType;

use crate::admin::open_hub;
use crate::cli::{ScanPolicyArgs, ScanReleaseArgs};

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
