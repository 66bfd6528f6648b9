//! What serving git's own protocol needs from the repository, done by the `git` binary itself
//! (it is the reference implementation of packs, thin-pack completion and rev-list): adding a
//! received pack, listing refs, and finding the blobs a push brings.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use stoa_core::ports::{GitError, GitRef, ObjectId, PushedBlob};

use crate::GixStore;

pub(crate) fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command.arg("--git-dir").arg(dir).env("GIT_TERMINAL_PROMPT", "0").stdin(Stdio::null());
    command
}

fn failed(what: &str, output: &std::process::Output) -> GitError {
    GitError::Backend(format!("git {what} failed: {}", String::from_utf8_lossy(&output.stderr).trim()))
}

pub(crate) fn run(what: &str, command: &mut Command) -> Result<Vec<u8>, GitError> {
    let output = command.output().map_err(|error| GitError::Backend(format!("running git {what}: {error}")))?;
    if output.status.success() { Ok(output.stdout) } else { Err(failed(what, &output)) }
}

/// `git index-pack --stdin --fix-thin`: verifies the pack, completes thin deltas from the
/// repository, and writes pack and index durably (git fsyncs packs by default).
pub(crate) fn index_pack(dir: &Path, pack: &Path) -> Result<(), GitError> {
    if std::fs::metadata(pack).map_err(|error| GitError::Backend(error.to_string()))?.len() == 0 {
        return Ok(());
    }
    let input = std::fs::File::open(pack).map_err(|error| GitError::Backend(error.to_string()))?;
    run("index-pack", git(dir).args(["index-pack", "--stdin", "--fix-thin"]).stdin(input))?;
    Ok(())
}

/// Feeds `input` to a git command and returns what it prints.
pub(crate) fn pipe(dir: &Path, what: &str, args: &[&str], input: Vec<u8>) -> Result<Vec<u8>, GitError> {
    let mut child = git(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| GitError::Backend(format!("running git {what}: {error}")))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // Written from another thread: git may fill its output pipe before reading all its input.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().map_err(|error| GitError::Backend(error.to_string()))?;
    writer
        .join()
        .map_err(|_| GitError::Backend(format!("git {what}: writer panicked")))?
        .map_err(|error| GitError::Backend(format!("git {what}: {error}")))?;
    if output.status.success() { Ok(output.stdout) } else { Err(failed(what, &output)) }
}

pub(crate) fn new_blobs(dir: &Path, tip: &ObjectId, read_up_to: u64) -> Result<Vec<PushedBlob>, GitError> {
    let listed = run("rev-list", git(dir).args(["rev-list", "--objects", tip.as_str(), "--not", "--all"]))?;
    let described = pipe(
        dir,
        "cat-file",
        &["cat-file", "--batch-check=%(objecttype) %(objectsize) %(objectname) %(rest)"],
        listed,
    )?;
    let mut blobs = Vec::new();
    let mut small = Vec::new();
    for line in described.lines() {
        let line = line.map_err(|error| GitError::Backend(error.to_string()))?;
        let mut fields = line.splitn(4, ' ');
        let (Some("blob"), Some(size), Some(oid)) = (fields.next(), fields.next(), fields.next()) else { continue };
        let size: u64 = size.parse().map_err(|_| GitError::Backend(format!("bad cat-file line: {line}")))?;
        if size <= read_up_to {
            small.push((blobs.len(), oid.to_owned()));
        }
        blobs.push(PushedBlob { path: fields.next().unwrap_or_default().to_owned(), size, content: None });
    }
    if !small.is_empty() {
        let request: String = small.iter().map(|(_, oid)| format!("{oid}\n")).collect();
        let contents = pipe(dir, "cat-file", &["cat-file", "--batch"], request.into_bytes())?;
        let mut reader = BufReader::new(contents.as_slice());
        for (index, _) in small {
            let mut header = String::new();
            reader.read_line(&mut header).map_err(|error| GitError::Backend(error.to_string()))?;
            let size: usize = header
                .split(' ')
                .nth(2)
                .and_then(|size| size.trim().parse().ok())
                .ok_or_else(|| GitError::Backend(format!("bad cat-file header: {header}")))?;
            let mut content = vec![0; size + 1];
            reader.read_exact(&mut content).map_err(|error| GitError::Backend(error.to_string()))?;
            content.truncate(size);
            blobs[index].content = Some(content);
        }
    }
    Ok(blobs)
}

impl GixStore {
    /// Branches, tags, PR refs and conversions, with annotated tags also peeled.
    pub(crate) fn all_refs(&self, repo_id: &str) -> Result<Vec<GitRef>, GitError> {
        let dir = self.repo_dir(repo_id)?;
        let format = "--format=%(objectname) %(refname) %(*objectname)";
        let listed = run(
            "for-each-ref",
            git(&dir).args(["for-each-ref", format, "refs/heads", "refs/tags", "refs/pr", "refs/convert"]),
        )?;
        let parse =
            |oid: &str| ObjectId::from_hex(oid).ok_or_else(|| GitError::Backend(format!("bad object id: {oid}")));
        String::from_utf8_lossy(&listed)
            .lines()
            .map(|line| {
                let mut fields = line.split(' ');
                let (Some(oid), Some(name)) = (fields.next(), fields.next()) else {
                    return Err(GitError::Backend(format!("bad for-each-ref line: {line}")));
                };
                let peeled = fields.next().filter(|peeled| !peeled.is_empty()).map(parse).transpose()?;
                Ok(GitRef { name: name.to_owned(), target: parse(oid)?, peeled })
            })
            .collect()
    }
}
