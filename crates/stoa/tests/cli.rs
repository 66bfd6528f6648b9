//! The command line is a contract: every subcommand answers `--help`, admin commands work on a
//! fresh data dir and while the server runs, and tokens are printed once and stored hashed.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const STOA: &str = env!("CARGO_BIN_EXE_stoa");

#[test]
fn every_subcommand_answers_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["admin", "--help"],
        vec!["admin", "user", "--help"],
        vec!["admin", "user", "create", "--help"],
        vec!["admin", "token", "--help"],
        vec!["admin", "token", "create", "--help"],
        vec!["admin", "xet", "gc", "--help"],
    ] {
        let output = Command::new(STOA).args(&args).output().expect("runs");
        assert!(output.status.success(), "{args:?} exited with {}", output.status);
        assert!(!output.stdout.is_empty(), "{args:?} printed no help");
    }
}

fn get(port: u16, path: &str, token: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("writes");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("reads");
    response
}

#[test]
fn admin_commands_work_before_and_while_the_server_runs() {
    let data = tempfile::tempdir().expect("tempdir");
    let admin = |args: &[&str]| {
        let output = Command::new(STOA).args(args).arg("--data-dir").arg(data.path()).output().expect("runs");
        (output.status.success(), String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    assert!(admin(&["admin", "user", "create", "alice", "--fullname", "Alice A", "--email", "a@example.org"]).0);
    assert!(!admin(&["admin", "user", "create", "alice"]).0, "duplicate users are refused");
    assert!(!admin(&["admin", "user", "create", "bad name"]).0, "invalid names are refused");
    let (ok, generated) = admin(&["admin", "token", "create", "--user", "alice"]);
    assert!(ok);
    assert!(generated.starts_with("hf_") && generated.len() == 37, "HF-shaped token: {generated}");
    let (ok, _) = admin(&["admin", "token", "create", "--user", "nobody"]);
    assert!(!ok, "tokens need an existing user");

    let port = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let mut server = Command::new(STOA)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(data.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("server starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    // While it runs: register an existing token string and use it at once.
    let migrated = "hf_migratedTokenValue0123456789abcd";
    let (ok, printed) = admin(&["admin", "token", "create", "--user", "alice", "--value", migrated, "--role", "read"]);
    assert!(ok);
    assert_eq!(printed, migrated);
    let whoami = get(port, "/api/whoami-v2", migrated);
    assert!(whoami.starts_with("HTTP/1.1 200"), "{whoami}");
    assert!(whoami.contains("\"role\":\"read\"") && whoami.contains("\"fullname\":\"Alice A\""), "{whoami}");
    assert!(get(port, "/api/whoami-v2", &generated).contains("\"role\":\"write\""));
    server.kill().expect("stops");
    let mut log = String::new();
    server.wait().expect("reaped");
    if let Some(mut stderr) = server.stderr.take() {
        stderr.read_to_string(&mut log).expect("log reads");
    }
    assert!(!log.contains(migrated) && !log.contains(&generated), "tokens must never reach the log");
    // The database and its write-ahead log hold only digests.
    for file in ["stoa.db", "stoa.db-wal"] {
        let bytes = std::fs::read(data.path().join(file)).unwrap_or_default();
        for token in [migrated, generated.as_str()] {
            let stored_plain = bytes.windows(token.len()).any(|window| window == token.as_bytes());
            assert!(!stored_plain, "{file} holds a token in clear");
        }
    }
}
