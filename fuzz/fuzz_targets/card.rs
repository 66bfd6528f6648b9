//! README YAML front matter: `parse_card_data` and `validate_card` on any text, then the tags
//! derived from an accepted card. Inputs without front matter are also tried wrapped in `---`
//! fences, so the YAML parser sees most inputs. The repo type follows the input's length.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stoa_core::card::{derive_tags, parse_card_data, validate_card};
use stoa_types::RepoType;

fn check(readme: &str, repo_type: RepoType) {
    if let Ok(Some(card)) = parse_card_data(readme) {
        let _ = derive_tags(&card);
    }
    let _ = validate_card(readme, repo_type);
}

fuzz_target!(|data: &[u8]| {
    let repo_type = RepoType::ALL[data.len() % RepoType::ALL.len()];
    let text = String::from_utf8_lossy(data);
    check(&text, repo_type);
    if !text.starts_with("---") {
        check(&format!("---\n{text}\n---\n"), repo_type);
    }
});
