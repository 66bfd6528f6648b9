//! What a scanned commit says as a whole: each file's verdict, the safetensors parameter
//! counts (the Hub's `safetensors` field) and the GGUF header of its main GGUF file.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{FileReport, FileStatus};

/// The index of a sharded checkpoint, at the root as `huggingface_hub` looks for it.
pub const SAFETENSORS_INDEX: &str = "model.safetensors.index.json";
const SINGLE_CHECKPOINT: &str = "model.safetensors";
/// Index files above this are not read (real ones are well under a megabyte).
pub const MAX_INDEX_BYTES: u64 = 50 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScannedFile {
    pub path: String,
    pub content_key: String,
    pub status: FileStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetensorsTotals {
    pub parameters: BTreeMap<String, u64>,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GgufSummary {
    pub path: String,
    pub total: u64,
    pub architecture: Option<String>,
    pub context_length: Option<i64>,
    pub quantization: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CommitSummary {
    pub files: Vec<ScannedFile>,
    pub safetensors: Option<SafetensorsTotals>,
    pub gguf: Option<GgufSummary>,
    /// Problems found across files (an index naming a missing shard, ...).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// The part of a commit's summary repo info shows on every call; reading it skips the file
/// list (thousands of entries) instead of building it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct CommitMetadata {
    pub safetensors: Option<SafetensorsTotals>,
    pub gguf: Option<GgufSummary>,
}

impl From<&CommitSummary> for CommitMetadata {
    fn from(summary: &CommitSummary) -> Self {
        Self { safetensors: summary.safetensors.clone(), gguf: summary.gguf.clone() }
    }
}

impl CommitSummary {
    /// Files whose verdict is not `safe`, for `securityRepoStatus.filesWithIssues`.
    pub fn files_with_issues(&self) -> impl Iterator<Item = (&ScannedFile, &'static str)> {
        self.files.iter().filter_map(|file| file.status.issue_level().map(|level| (file, level)))
    }
}

/// The shard names of an index's `weight_map`: plain file names in the index's directory only.
///
/// # Errors
/// A description of what is wrong with the index.
pub fn index_shards(index: &[u8]) -> Result<BTreeSet<String>, String> {
    let value: serde_json::Value =
        serde_json::from_slice(index).map_err(|error| format!("{SAFETENSORS_INDEX} is not JSON: {error}"))?;
    let map = value
        .get("weight_map")
        .and_then(serde_json::Value::as_object)
        .ok_or_else(|| format!("{SAFETENSORS_INDEX} has no weight_map object"))?;
    let mut shards = BTreeSet::new();
    for shard in map.values() {
        let name = shard.as_str().ok_or_else(|| format!("{SAFETENSORS_INDEX}: a weight_map value is not a string"))?;
        let plain = !name.is_empty()
            && !name.contains(['/', '\\', ':'])
            && name != ".."
            && name != "."
            && name.ends_with(".safetensors");
        if !plain {
            return Err(format!("{SAFETENSORS_INDEX} names a shard outside its directory: {name:?}"));
        }
        shards.insert(name.to_owned());
    }
    Ok(shards)
}

/// Parameter counts of a commit. With a root index: its shards; else the root
/// `model.safetensors`; else every safetensors file (diffusers pipelines, adapters), since the
/// Hub shows counts for those too.
pub fn safetensors_totals(
    reports: &[(&str, &FileReport)],
    shards: Option<&BTreeSet<String>>,
    notes: &mut Vec<String>,
) -> Option<SafetensorsTotals> {
    let with_header: Vec<(&str, &super::SafetensorsReport)> =
        reports.iter().filter_map(|(path, report)| Some((*path, report.safetensors.as_ref()?))).collect();
    let chosen: Vec<&super::SafetensorsReport> = if let Some(shards) = shards {
        for shard in shards {
            if !with_header.iter().any(|(path, _)| path == shard) {
                notes.push(format!("{SAFETENSORS_INDEX} names {shard}, which is missing or unreadable"));
            }
        }
        with_header.iter().filter(|(path, _)| shards.contains(*path)).map(|(_, report)| *report).collect()
    } else if let Some((_, single)) = with_header.iter().find(|(path, _)| *path == SINGLE_CHECKPOINT) {
        vec![*single]
    } else {
        with_header.iter().map(|(_, report)| *report).collect()
    };
    if chosen.is_empty() {
        return None;
    }
    let mut parameters: BTreeMap<String, u64> = BTreeMap::new();
    for report in chosen {
        for (dtype, count) in &report.parameters {
            let entry = parameters.entry(dtype.clone()).or_insert(0);
            *entry = entry.saturating_add(*count);
        }
    }
    let total = parameters.values().fold(0u64, |sum, count| sum.saturating_add(*count));
    Some(SafetensorsTotals { parameters, total })
}

/// The GGUF summary of a commit: its largest-parameter GGUF file (repos often hold several
/// quantizations of one model; all share the architecture and parameter count).
#[must_use]
pub fn gguf_summary(reports: &[(&str, &FileReport)]) -> Option<GgufSummary> {
    reports
        .iter()
        .filter_map(|(path, report)| Some((*path, report.gguf.as_ref()?)))
        .max_by_key(|(path, gguf)| (gguf.parameters, std::cmp::Reverse(path.to_owned())))
        .map(|(path, gguf)| GgufSummary {
            path: path.to_owned(),
            total: gguf.parameters,
            architecture: gguf.architecture.clone(),
            context_length: gguf.context_length,
            quantization: gguf.quantization.clone(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::SafetensorsReport;

    fn report(dtype: &str, count: u64) -> FileReport {
        FileReport {
            safetensors: Some(SafetensorsReport {
                parameters: BTreeMap::from([(dtype.to_owned(), count)]),
                tensor_count: 1,
            }),
            ..FileReport::default()
        }
    }

    #[test]
    fn shards_of_an_index_are_summed_and_missing_ones_noted() {
        let (a, b, stray) = (report("F16", 10), report("F16", 5), report("F32", 100));
        let reports = [("model-1.safetensors", &a), ("model-2.safetensors", &b), ("other.safetensors", &stray)];
        let shards = index_shards(
            br#"{"weight_map": {"x": "model-1.safetensors", "y": "model-2.safetensors", "z": "model-3.safetensors"}}"#,
        )
        .expect("valid index");
        let mut notes = Vec::new();
        let totals = safetensors_totals(&reports, Some(&shards), &mut notes).expect("counted");
        assert_eq!(totals.total, 15);
        assert_eq!(totals.parameters["F16"], 15);
        assert_eq!(notes.len(), 1);
    }

    #[test]
    fn the_root_checkpoint_wins_over_other_files() {
        let (root, adapter) = (report("BF16", 7), report("F32", 3));
        let reports = [("model.safetensors", &root), ("adapter/adapter_model.safetensors", &adapter)];
        let totals = safetensors_totals(&reports, None, &mut Vec::new()).expect("counted");
        assert_eq!(totals.total, 7);
        let only_others = [("unet/diffusion.safetensors", &root), ("vae/vae.safetensors", &adapter)];
        assert_eq!(safetensors_totals(&only_others, None, &mut Vec::new()).expect("counted").total, 10);
    }

    #[test]
    fn index_shards_outside_the_directory_are_refused() {
        assert!(index_shards(br#"{"weight_map": {"x": "../secret.safetensors"}}"#).is_err());
        assert!(index_shards(br#"{"weight_map": {"x": "sub/a.safetensors"}}"#).is_err());
        assert!(index_shards(b"not json").is_err());
    }
}
