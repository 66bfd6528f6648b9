//! Kills the real `stoa serve` with SIGKILL while commits are in flight, restarts it, and
//! checks that every repo is consistent: refs point at complete objects (`git fsck`), every
//! LFS pointer has its object, no commit intent is left pending, and every commit that was
//! acknowledged to a client survived.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use stoa_core::ports::MetaStore;

const STOA: &str = env!("CARGO_BIN_EXE_stoa");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn admin(data: &Path, args: &[&str]) -> String {
    let output = Command::new(STOA).args(args).arg("--data-dir").arg(data).output().expect("admin runs");
    assert!(output.status.success(), "admin {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("utf-8").trim().to_owned()
}

fn start(data: &Path, port: u16) -> Child {
    let mut child = Command::new(STOA)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if request(port, "GET", "/api/models", None, b"").is_ok_and(|(status, _)| status == 200) {
            return child;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("server did not become ready");
}

/// A minimal HTTP/1.1 client: one request per connection, whole response read.
fn request(port: u16, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let auth = token.map(|token| format!("Authorization: Bearer {token}\r\n")).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    let status = text.split(' ').nth(1).and_then(|code| code.parse().ok()).ok_or(std::io::ErrorKind::InvalidData)?;
    let split = response.windows(4).position(|window| window == b"\r\n\r\n").map_or(response.len(), |at| at + 4);
    Ok((status, response[split..].to_vec()))
}

fn commit_body(path: &str, size: usize, seed: u8) -> Vec<u8> {
    use base64::Engine as _;
    let content: Vec<u8> = (0..size).map(|index| (index as u8).wrapping_mul(31).wrapping_add(seed)).collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(content);
    format!(
        "{{\"key\":\"header\",\"value\":{{\"summary\":\"add {path}\"}}}}\n\
         {{\"key\":\"file\",\"value\":{{\"content\":\"{encoded}\",\"path\":\"{path}\",\"encoding\":\"base64\"}}}}\n"
    )
    .into_bytes()
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(body)))
}

fn check_consistency(data: &Path, port: u16, token: &str, acknowledged: &[String]) {
    let (status, body) = request(port, "GET", "/api/models/alice/crash?blobs=true", Some(token), b"").expect("info");
    assert_eq!(status, 200);
    let info = json(&body);
    let siblings = info["siblings"].as_array().expect("siblings");
    let paths: Vec<&str> = siblings.iter().filter_map(|sibling| sibling["rfilename"].as_str()).collect();
    for path in acknowledged {
        assert!(paths.contains(&path.as_str()), "acknowledged commit of {path} was lost");
    }
    for sibling in siblings.iter().filter(|sibling| sibling.get("lfs").is_some()) {
        let path = sibling["rfilename"].as_str().expect("name");
        let (status, _) =
            request(port, "HEAD", &format!("/alice/crash/resolve/main/{path}"), Some(token), b"").expect("head");
        assert_eq!(status, 200, "LFS file {path} points at a missing object");
    }
    for entry in std::fs::read_dir(data.join("git")).expect("git dir") {
        let repo = entry.expect("entry").path();
        let fsck = Command::new("git").arg("--git-dir").arg(&repo).args(["fsck", "--full", "--no-dangling"]).output();
        let fsck = fsck.expect("git fsck runs (git is installed by scripts/test.sh)");
        assert!(fsck.status.success(), "git fsck {}: {}", repo.display(), String::from_utf8_lossy(&fsck.stderr));
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let store = stoa_db::SqliteStore::open(&data.join("stoa.db")).await.expect("db opens");
        let pending = store.pending_commit_intents().await.expect("intents listed");
        assert!(pending.is_empty(), "intents left after recovery: {pending:?}");
        store.close().await;
    });
}

#[test]
fn sigkill_during_commits_leaves_every_repo_consistent() {
    let data = tempfile::tempdir().expect("tempdir");
    admin(data.path(), &["admin", "user", "create", "alice"]);
    let token = admin(data.path(), &["admin", "token", "create", "--user", "alice"]);
    let port = free_port();
    let mut server = start(data.path(), port);
    let (status, _) = request(port, "POST", "/api/repos/create", Some(&token), br#"{"name":"crash"}"#).expect("create");
    assert_eq!(status, 200);

    let mut acknowledged: Vec<String> = Vec::new();
    let mut interruptions = 0;
    for round in 0..6u8 {
        let writers: Vec<_> = (0..3u8)
            .map(|writer| {
                let token = token.clone();
                std::thread::spawn(move || {
                    let mut done = Vec::new();
                    let mut interrupted = false;
                    for index in 0..20u8 {
                        // Alternate git blobs and files big enough to become LFS objects.
                        let (path, size) = if index % 2 == 0 {
                            (format!("r{round}/w{writer}/small{index}.txt"), 20_000)
                        } else {
                            (format!("r{round}/w{writer}/big{index}.dat"), 12_000_000)
                        };
                        let body = commit_body(&path, size, index);
                        match request(port, "POST", "/api/models/alice/crash/commit/main", Some(&token), &body) {
                            Ok((200, _)) => done.push(path),
                            _ => {
                                interrupted = true;
                                break;
                            }
                        }
                    }
                    (done, interrupted)
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(150 + u64::from(round) * 120));
        server.kill().expect("SIGKILL");
        server.wait().expect("reaped");
        for writer in writers {
            let (done, interrupted) = writer.join().expect("writer thread");
            acknowledged.extend(done);
            interruptions += usize::from(interrupted);
        }
        server = start(data.path(), port);
        check_consistency(data.path(), port, &token, &acknowledged);
    }
    eprintln!("{} commits acknowledged, {interruptions} commits cut by SIGKILL", acknowledged.len());
    assert!(!acknowledged.is_empty(), "some commits should have completed between kills");
    assert!(interruptions > 0, "the kills should have landed while commits were in flight");
    server.kill().expect("SIGKILL");
    server.wait().expect("reaped");
}
