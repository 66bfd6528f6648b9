//! Everything read from one file's content, synchronously and within bounds: pickle imports of
//! every pickle-bearing format, the safetensors header, the GGUF header, and secrets in text.

use std::collections::BTreeMap;

use super::{FileReport, GgufReport, ImportReport, PickleReport, SafetensorsReport, SecretReport, safety_name};
use crate::formats::containers::{RandomAccess, scan_artifact};
use crate::formats::{gguf, safetensors, secrets};

/// Text files above this are not searched for secrets (tokens sit in configs and notebooks).
pub const MAX_SECRET_SCAN_BYTES: u64 = 10 * 1024 * 1024;
/// GGUF metadata (a whole vocabulary can be in it) is read in growing prefixes up to this.
const GGUF_PREFIXES: [u64; 3] = [1 << 20, 32 << 20, 256 << 20];

/// Analyses one file; failures become notes or an unscannable verdict, never an error.
#[must_use]
pub fn analyse_file(path: &str, source: &dyn RandomAccess) -> FileReport {
    let mut report = FileReport::default();
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".safetensors") {
        report.format = Some("safetensors".to_owned());
        match read_safetensors(source) {
            Ok(header) => report.safetensors = Some(header),
            Err(error) => report.notes.push(format!("safetensors header refused: {error}")),
        }
    } else if lower.ends_with(".gguf") {
        report.format = Some("gguf".to_owned());
        match read_gguf(source) {
            Ok(header) => report.gguf = Some(header),
            Err(error) => report.notes.push(format!("GGUF header refused: {error}")),
        }
    }
    if let Some(scan) = scan_artifact(path, source) {
        report.format = Some(scan.format.to_owned());
        let imports = scan
            .imports
            .iter()
            .map(|import| ImportReport {
                module: import.module.clone(),
                name: import.name.clone(),
                safety: safety_name(import.safety).to_owned(),
                called: import.called,
            })
            .collect();
        report.pickle = Some(PickleReport {
            highest: safety_name(scan.verdict()).to_owned(),
            imports,
            unscannable: scan.unscannable.clone(),
            code_files: scan.code_files.clone(),
        });
        report.notes.extend(scan.findings.iter().map(|finding| match finding.member.as_str() {
            "" => finding.message.clone(),
            member => format!("{member}: {}", finding.message),
        }));
    }
    if source.len() <= MAX_SECRET_SCAN_BYTES {
        match source.read_at(0, usize::try_from(source.len()).unwrap_or(0)) {
            Ok(bytes) => {
                report.secrets = secrets::find_secrets(&bytes)
                    .into_iter()
                    .map(|found| SecretReport {
                        kind: found.kind.to_owned(),
                        line: found.line,
                        redacted: found.redacted,
                    })
                    .collect();
            }
            Err(error) => report.notes.push(format!("not searched for secrets: {error}")),
        }
    }
    report
}

fn read_safetensors(source: &dyn RandomAccess) -> Result<SafetensorsReport, String> {
    let prefix: [u8; 8] = source
        .read_at(0, 8)
        .map_err(|error| error.to_string())?
        .try_into()
        .map_err(|_| "shorter than 8 bytes".to_owned())?;
    let header_len = safetensors::header_length(&prefix, source.len()).map_err(|error| error.to_string())?;
    let header = source
        .read_at(8, usize::try_from(header_len).map_err(|error| error.to_string())?)
        .map_err(|error| error.to_string())?;
    let parsed = safetensors::parse_header(&header, source.len()).map_err(|error| error.to_string())?;
    let parameters: BTreeMap<String, u64> = parsed
        .parameters()
        .into_iter()
        .map(|(dtype, count)| (dtype, u64::try_from(count).unwrap_or(u64::MAX)))
        .collect();
    Ok(SafetensorsReport { parameters, tensor_count: parsed.tensors.len() as u64 })
}

fn read_gguf(source: &dyn RandomAccess) -> Result<GgufReport, String> {
    let mut last_error = String::new();
    for limit in GGUF_PREFIXES {
        let len = source.len().min(limit);
        let prefix = source
            .read_at(0, usize::try_from(len).map_err(|error| error.to_string())?)
            .map_err(|error| error.to_string())?;
        match gguf::parse_gguf(&prefix) {
            Ok(header) => {
                return Ok(GgufReport {
                    architecture: header.architecture().map(str::to_owned),
                    context_length: header.context_length().and_then(|value| i64::try_from(value).ok()),
                    quantization: header.quantization().map(str::to_owned),
                    parameters: u64::try_from(header.parameters).unwrap_or(u64::MAX),
                    tensor_count: header.tensor_count,
                    suspicious_chat_template: header.chat_template_is_suspicious(),
                });
            }
            // Only a header cut by the prefix is worth a longer read.
            Err(gguf::GgufError::NeedMore(read)) if len < source.len() => last_error = format!("{read} bytes read"),
            Err(error) => return Err(error.to_string()),
        }
    }
    Err(format!("metadata longer than {} MiB ({last_error})", GGUF_PREFIXES[2] >> 20))
}
