//! Xet CAS metadata: xorbs, registered files, grants and mappings, dedup, garbage collection.

use std::collections::HashMap;
use std::sync::Arc;

use stoa_core::ports::{CommitIntent, MetaStore};
use stoa_core::xet::store::{GcReport, RegisteredFile, SegmentRecord, XorbChunk, XorbRecord};
use stoa_xet::XetHash;

use super::Ctx;
use super::fixtures::{intent, repo, user};

for_each_backend!(
    xorbs_are_recorded_once_and_visible_to_their_uploaders,
    files_register_once_with_grants_for_the_uploading_repo,
    committed_files_map_sha256_per_repo,
    dedup_index_and_sibling_xorbs,
    garbage_collection_sweeps_what_nothing_references,
    a_sweep_racing_registrations_never_leaves_a_file_without_its_xorbs,
);

fn hash(seed: &str) -> XetHash {
    XetHash::of_chunk(seed.as_bytes())
}

fn sha(seed: &str) -> String {
    format!("{seed:0>64}")
}

fn xorb(seed: &str) -> XorbRecord {
    let chunks = (0..3_u64)
        .map(|index| XorbChunk {
            hash: hash(&format!("{seed}/{index}")),
            length: 100 + index,
            end_offset: 110 * (index + 1),
        })
        .collect();
    XorbRecord { hash: hash(seed), stored_bytes: 330, chunks }
}

/// A file over `(xorb, offset)` segments, each one chunk.
fn file(seed: &str, segments: &[(&str, u64)], sha256: Option<&str>) -> RegisteredFile {
    let segments: Vec<SegmentRecord> = segments
        .iter()
        .map(|(xorb, offset)| SegmentRecord {
            xorb: hash(xorb),
            chunk_start: 0,
            chunk_end: 1,
            unpacked_bytes: 50,
            file_offset: *offset,
        })
        .collect();
    let size = segments.last().map_or(0, |last| last.file_offset + last.unpacked_bytes);
    RegisteredFile { file_hash: hash(seed), size, segments, sha256: sha256.map(sha) }
}

async fn commit_xet(store: &dyn MetaStore, id: &str, repo_id: &str, files: &[(&str, &str)]) {
    let files = files.iter().map(|(sha256, file)| (sha(sha256), hash(file).hex())).collect();
    let commit = CommitIntent { xet_files: files, ..intent(id, repo_id, 1) };
    store.record_commit_intent(&commit).await.expect("record");
    store.apply_commit_intent(&commit, &[]).await.expect("apply");
}

async fn xorbs_are_recorded_once_and_visible_to_their_uploaders(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let record = xorb("x");
    assert_eq!(store.xorb(&record.hash).await.expect("xorb"), None);
    store.record_xorb(&record, "r1", "u1", 10).await.expect("record");
    assert_eq!(store.xorb(&record.hash).await.expect("xorb"), Some(record.clone()));

    let again = XorbRecord { stored_bytes: 999, chunks: Vec::new(), ..record.clone() };
    store.record_xorb(&again, "r2", "u2", 20).await.expect("recording again is not an error");
    assert_eq!(store.xorb(&record.hash).await.expect("xorb"), Some(record.clone()), "the first record stays");

    let visible = |repo: &'static str, user: &'static str| store.xorb_visible(&record.hash, repo, user);
    assert!(visible("r1", "someone").await.expect("visible"), "to the repo it was uploaded through");
    assert!(visible("elsewhere", "u1").await.expect("visible"), "to the user who uploaded it");
    assert!(visible("r2", "someone").await.expect("visible"), "to every uploader");
    assert!(!visible("r3", "u3").await.expect("visible"), "to nobody else");
    assert!(!store.xorb_visible(&hash("unknown"), "r1", "u1").await.expect("visible"));
}

async fn files_register_once_with_grants_for_the_uploading_repo(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/one").await;
    repo(store, "r2", &alice, "alice/two").await;
    for seed in ["x1", "x2"] {
        store.record_xorb(&xorb(seed), "r1", &alice.id, 10).await.expect("record");
    }
    let mut f1 = file("f1", &[("x1", 0), ("x2", 50), ("x1", 100)], Some("s1"));
    // Chunk indexes are u32: the whole range must survive.
    f1.segments[1].chunk_start = 4_000_000_000;
    f1.segments[1].chunk_end = u32::MAX;
    let f2 = file("f2", &[("x2", 0)], None);
    assert_eq!(store.register_files("r1", &[f1.clone(), f2.clone()], 100).await.expect("register"), 2);
    let regrant = RegisteredFile { sha256: Some(sha("s1b")), ..f1.clone() };
    assert_eq!(store.register_files("r1", &[regrant, f2.clone()], 110).await.expect("register"), 0, "known files");

    assert_eq!(store.xet_file(&f1.file_hash).await.expect("file"), Some((150, f1.segments.clone())));
    assert_eq!(store.xet_file(&f2.file_hash).await.expect("file"), Some((50, f2.segments.clone())));
    assert_eq!(store.xet_file(&hash("nope")).await.expect("file"), None);

    for claim in ["s1", "s1b"] {
        assert_eq!(store.xet_file_for_sha256("r1", &sha(claim)).await.expect("grant"), Some((f1.file_hash, 150)));
        assert_eq!(store.xet_file_for_sha256("r2", &sha(claim)).await.expect("grant"), None, "grants are per repo");
    }
    assert!(store.repo_reads_xet_file("r1", &f1.file_hash, true).await.expect("reads"), "writers read their grants");
    assert!(!store.repo_reads_xet_file("r1", &f1.file_hash, false).await.expect("reads"), "readers need a commit");
    assert!(!store.repo_reads_xet_file("r2", &f1.file_hash, true).await.expect("reads"));
    assert_eq!(store.repo_xet_file("r1", &sha("s1")).await.expect("mapping"), None, "granted is not committed");

    // A later claim of the same SHA-256 points the grant at the new file.
    let f3 = file("f3", &[("x1", 0)], Some("s1"));
    assert_eq!(store.register_files("r1", std::slice::from_ref(&f3), 120).await.expect("register"), 1);
    assert_eq!(store.xet_file_for_sha256("r1", &sha("s1")).await.expect("grant"), Some((f3.file_hash, 50)));

    // A file over a xorb the store does not have fails, and takes the batch's grants with it.
    let fine = file("f4", &[("x1", 0)], Some("s4"));
    let broken = file("f5", &[("x1", 0), ("missing", 50)], Some("s5"));
    assert!(store.register_files("r1", &[fine.clone(), broken.clone()], 130).await.is_err());
    for (registered, claim) in [(&fine, "s4"), (&broken, "s5")] {
        assert_eq!(store.xet_file(&registered.file_hash).await.expect("file"), None);
        assert_eq!(store.xet_file_for_sha256("r1", &sha(claim)).await.expect("grant"), None);
    }
}

async fn committed_files_map_sha256_per_repo(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    for (id, name) in [("r1", "alice/one"), ("r2", "alice/two"), ("r3", "alice/three"), ("r4", "alice/four")] {
        repo(store, id, &alice, name).await;
    }
    store.record_xorb(&xorb("x"), "r1", &alice.id, 10).await.expect("record");
    let files = [file("f1", &[("x", 0)], Some("s1")), file("f2", &[("x", 0), ("x", 50)], None)];
    store.register_files("r1", &files, 100).await.expect("register");
    commit_xet(store, "i1", "r1", &[("s1", "f1")]).await;

    assert_eq!(store.repo_xet_file("r1", &sha("s1")).await.expect("mapping"), Some(hash("f1")));
    assert_eq!(store.repo_xet_file("r2", &sha("s1")).await.expect("mapping"), None);
    assert!(store.repo_reads_xet_file("r1", &hash("f1"), false).await.expect("reads"));
    assert!(!store.repo_reads_xet_file("r2", &hash("f1"), true).await.expect("reads"));

    // Committed without a grant (history brought along): referencable through the mapping.
    assert_eq!(store.xet_file_for_sha256("r2", &sha("s1")).await.expect("lookup"), None);
    commit_xet(store, "i2", "r2", &[("s1", "f1")]).await;
    assert_eq!(store.xet_file_for_sha256("r2", &sha("s1")).await.expect("lookup"), Some((hash("f1"), 50)));

    // A grant wins over a committed mapping of the same SHA-256.
    commit_xet(store, "i3", "r3", &[("s9", "f1")]).await;
    store
        .register_files("r3", &[RegisteredFile { sha256: Some(sha("s9")), ..files[1].clone() }], 110)
        .await
        .expect("register");
    assert_eq!(store.xet_file_for_sha256("r3", &sha("s9")).await.expect("lookup"), Some((hash("f2"), 100)));

    // Many oids at once (more than one SQLite statement's worth).
    let mapped: Vec<(String, String)> = (0..700).map(|n| (format!("m{n}"), "f2".to_owned())).collect();
    let pairs: Vec<(&str, &str)> = mapped.iter().map(|(sha256, file)| (sha256.as_str(), file.as_str())).collect();
    commit_xet(store, "i4", "r4", &pairs).await;
    let mut asked: Vec<String> = mapped.iter().map(|(sha256, _)| sha(sha256)).collect();
    asked.extend((0..500).map(|n| sha(&format!("u{n}"))));
    let found = store.repo_xet_files("r4", &asked).await.expect("batch");
    let expected: HashMap<String, XetHash> = mapped.iter().map(|(sha256, _)| (sha(sha256), hash("f2"))).collect();
    assert_eq!(found, expected);
    assert!(store.repo_xet_files("r4", &[]).await.expect("batch").is_empty());
    assert!(store.repo_xet_files("r1", &asked).await.expect("batch").is_empty());
}

async fn dedup_index_and_sibling_xorbs(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    store.record_dedup_chunks(&[(hash("c1"), hash("x1")), (hash("c2"), hash("x1"))]).await.expect("index");
    store.record_dedup_chunks(&[(hash("c1"), hash("x2")), (hash("c3"), hash("x2"))]).await.expect("index");
    store.record_dedup_chunks(&[]).await.expect("nothing to index");
    assert_eq!(store.dedup_xorb(&hash("c1")).await.expect("dedup"), Some(hash("x1")), "existing entries stay");
    assert_eq!(store.dedup_xorb(&hash("c3")).await.expect("dedup"), Some(hash("x2")));
    assert_eq!(store.dedup_xorb(&hash("c4")).await.expect("dedup"), None);

    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/one").await;
    for seed in ["x1", "x2", "x3", "x4"] {
        store.record_xorb(&xorb(seed), "r1", &alice.id, 10).await.expect("record");
    }
    let f = file("f", &[("x1", 0), ("x2", 100), ("x1", 200), ("x3", 300)], None);
    let g = file("g", &[("x4", 0), ("x3", 50)], None);
    store.register_files("r1", &[f, g], 100).await.expect("register");

    // Itself first, then the xorbs of the files using it, by their first offset.
    let siblings = store.sibling_xorbs(&hash("x2"), 10).await.expect("siblings");
    assert_eq!(siblings, [hash("x2"), hash("x1"), hash("x3")]);
    assert_eq!(store.sibling_xorbs(&hash("x1"), 2).await.expect("siblings"), [hash("x1"), hash("x2")]);
    let mut across = store.sibling_xorbs(&hash("x3"), 10).await.expect("siblings");
    assert_eq!(across.remove(0), hash("x3"));
    across.sort();
    let mut expected = vec![hash("x1"), hash("x2"), hash("x4")];
    expected.sort();
    assert_eq!(across, expected, "every file using it counts");
    assert_eq!(store.sibling_xorbs(&hash("lonely"), 10).await.expect("siblings"), [hash("lonely")]);
}

fn sorted(mut report: GcReport) -> GcReport {
    report.files.sort();
    report.xorbs.sort();
    report
}

async fn garbage_collection_sweeps_what_nothing_references(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/one").await;
    for (seed, at) in [("a", 100), ("b", 100), ("c", 100), ("e", 100), ("d", 900)] {
        store.record_xorb(&xorb(seed), "r1", &alice.id, at).await.expect("record");
    }
    let committed = file("f-committed", &[("a", 0)], Some("s-committed"));
    let stale_grant = file("f-stale", &[("b", 0)], Some("s-stale"));
    let unclaimed = file("f-unclaimed", &[("e", 0)], None);
    store
        .register_files("r1", &[committed.clone(), stale_grant.clone(), unclaimed.clone()], 100)
        .await
        .expect("register");
    let fresh_grant = file("f-fresh", &[("a", 0), ("a", 50)], Some("s-fresh"));
    store.register_files("r1", std::slice::from_ref(&fresh_grant), 600).await.expect("register");
    commit_xet(store, "i1", "r1", &[("s-committed", "f-committed")]).await;
    store.record_dedup_chunks(&[(hash("chunk-a"), hash("a")), (hash("chunk-b"), hash("b"))]).await.expect("index");

    let expected = sorted(GcReport {
        expired_grants: 1,
        files: vec![stale_grant.file_hash, unclaimed.file_hash],
        xorbs: vec![hash("b"), hash("c"), hash("e")],
    });
    let dry = store.collect_garbage(500, 500, true).await.expect("dry run");
    assert_eq!(sorted(dry), expected);
    assert!(store.xet_file(&stale_grant.file_hash).await.expect("file").is_some(), "a dry run changes nothing");
    assert!(store.xorb(&hash("c")).await.expect("xorb").is_some());
    assert!(store.xet_file_for_sha256("r1", &sha("s-stale")).await.expect("grant").is_some());
    assert_eq!(store.dedup_xorb(&hash("chunk-b")).await.expect("dedup"), Some(hash("b")));

    let swept = store.collect_garbage(500, 500, false).await.expect("sweep");
    assert_eq!(sorted(swept), expected);
    for gone in [&stale_grant, &unclaimed] {
        assert_eq!(store.xet_file(&gone.file_hash).await.expect("file"), None);
    }
    for gone in ["b", "c", "e"] {
        assert_eq!(store.xorb(&hash(gone)).await.expect("xorb"), None);
        assert!(!store.xorb_visible(&hash(gone), "r1", &alice.id).await.expect("visible"), "its upload records go too");
    }
    assert_eq!(store.dedup_xorb(&hash("chunk-b")).await.expect("dedup"), None, "its dedup entries go too");
    assert_eq!(store.xet_file_for_sha256("r1", &sha("s-stale")).await.expect("grant"), None);

    // What a commit, a fresh grant, or the grace period protects stays.
    assert!(store.xet_file(&committed.file_hash).await.expect("file").is_some());
    assert!(store.xet_file(&fresh_grant.file_hash).await.expect("file").is_some());
    assert_eq!(
        store.xet_file_for_sha256("r1", &sha("s-committed")).await.expect("grant"),
        Some((committed.file_hash, 50))
    );
    assert_eq!(
        store.xet_file_for_sha256("r1", &sha("s-fresh")).await.expect("grant"),
        Some((fresh_grant.file_hash, 100))
    );
    for kept in ["a", "d"] {
        assert!(store.xorb(&hash(kept)).await.expect("xorb").is_some());
    }
    assert_eq!(store.dedup_xorb(&hash("chunk-a")).await.expect("dedup"), Some(hash("a")));

    assert_eq!(store.collect_garbage(500, 500, false).await.expect("sweep"), GcReport::default(), "nothing left");
    // A shard naming a swept xorb is refused.
    let late = file("f-late", &[("b", 0)], Some("s-late"));
    assert!(store.register_files("r1", &[late], 700).await.is_err());
}

async fn a_sweep_racing_registrations_never_leaves_a_file_without_its_xorbs(ctx: Arc<Ctx>) {
    let alice = user(ctx.store.as_ref(), "alice").await;
    repo(ctx.store.as_ref(), "r1", &alice, "alice/one").await;
    let other_node = ctx.another_store().await;
    for round in 0..40 {
        // An old xorb nothing uses yet: the sweep takes it unless the registration lands first.
        let seed = format!("x{round}");
        ctx.store.record_xorb(&xorb(&seed), "r1", &alice.id, 0).await.expect("record");
        let registered = file(&format!("f{round}"), &[(&seed, 0)], Some(&format!("s{round}")));
        let (registration, sweep) = tokio::join!(
            ctx.store.register_files("r1", std::slice::from_ref(&registered), 1_000),
            other_node.collect_garbage(0, 500, false),
        );
        let swept = sweep.expect("sweep").xorbs.contains(&hash(&seed));
        match registration {
            Ok(_) => {
                assert!(!swept, "round {round}: the sweep took a xorb a registered file uses");
                assert!(ctx.store.xorb(&hash(&seed)).await.expect("xorb").is_some(), "round {round}");
            }
            Err(_) => assert!(swept, "round {round}: a registration failed though its xorb was kept"),
        }
    }
}
