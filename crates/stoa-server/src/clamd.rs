//! A clamd client (security.md §2.1): every file is sent to ClamAV's daemon with the INSTREAM
//! command over a unix socket or TCP. Protocol: `zINSTREAM\0`, then chunks each prefixed by
//! its length as a big-endian u32, then a zero length; clamd answers `stream: OK\0`,
//! `stream: <signature> FOUND\0` or `<reason> ERROR\0` and closes the connection. clamd
//! refuses streams over its `StreamMaxLength` (an ERROR reply, surfaced as
//! [`ClamdError::Refused`]).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};

/// Bytes per INSTREAM chunk (clamd's own clients use a few KiB to a few MiB).
const CHUNK: usize = 256 << 10;
/// The longest reply read (one line per signature found).
const MAX_REPLY: u64 = 64 << 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClamdAddress {
    Unix(PathBuf),
    /// `host:port`.
    Tcp(String),
}

impl ClamdAddress {
    /// `unix:/path/clamd.ctl`, an absolute path, `tcp:host:port` or `host:port`.
    pub(crate) fn parse(text: &str) -> Result<Self, ClamdError> {
        let bad = || ClamdError::BadAddress(text.to_owned());
        if let Some(path) = text.strip_prefix("unix:") {
            return if path.is_empty() { Err(bad()) } else { Ok(Self::Unix(PathBuf::from(path))) };
        }
        if text.starts_with('/') {
            return Ok(Self::Unix(PathBuf::from(text)));
        }
        let host_port = text.strip_prefix("tcp://").or_else(|| text.strip_prefix("tcp:")).unwrap_or(text);
        match host_port.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                Ok(Self::Tcp(host_port.to_owned()))
            }
            _ => Err(bad()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClamdVerdict {
    Clean,
    /// The signature names that matched.
    Infected(Vec<String>),
}

#[derive(Debug)]
pub(crate) enum ClamdError {
    BadAddress(String),
    Io(std::io::Error),
    Timeout(Duration),
    /// clamd answered with an ERROR (size limit exceeded, scan error...).
    Refused(String),
    Unexpected(String),
}

impl fmt::Display for ClamdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadAddress(text) => write!(f, "clamd address {text:?} is neither unix:/path nor host:port"),
            Self::Io(error) => write!(f, "clamd connection failed: {error}"),
            Self::Timeout(limit) => write!(f, "clamd did not answer within {limit:?}"),
            Self::Refused(reason) => write!(f, "clamd refused the scan: {reason}"),
            Self::Unexpected(reply) => write!(f, "clamd answered {reply:?}"),
        }
    }
}

impl std::error::Error for ClamdError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(error) => Some(error),
            _ => None,
        }
    }
}

impl From<std::io::Error> for ClamdError {
    fn from(error: std::io::Error) -> Self {
        Self::Io(error)
    }
}

/// The antivirus of the scanning jobs (`[scanning] clamd`), one connection per file.
#[derive(Debug)]
pub struct ClamdScanner {
    address: ClamdAddress,
    max_bytes: u64,
    timeout: Duration,
}

/// clamd's default `StreamMaxLength`.
pub const DEFAULT_CLAMD_MAX_BYTES: u64 = 25 * 1024 * 1024;

impl ClamdScanner {
    /// `address`: `unix:/path`, an absolute path, `tcp:host:port` or `host:port`.
    ///
    /// # Errors
    /// The address is not one of those forms.
    pub fn new(address: &str, max_bytes: u64) -> Result<Self, String> {
        let address = ClamdAddress::parse(address).map_err(|error| error.to_string())?;
        Ok(Self { address, max_bytes, timeout: Duration::from_secs(120) })
    }

    /// Whether clamd answers (checked at start-up, so a wrong socket is noticed at once).
    ///
    /// # Errors
    /// Why clamd did not answer `PONG`.
    pub async fn check(&self) -> Result<(), String> {
        ping(&self.address, Duration::from_secs(5)).await.map_err(|error| error.to_string())
    }
}

#[async_trait::async_trait]
impl stoa_core::scan::VirusScanner for ClamdScanner {
    async fn scan(&self, bytes: Vec<u8>) -> Result<Vec<String>, String> {
        match scan_bytes(&self.address, &bytes, self.timeout).await {
            Ok(ClamdVerdict::Clean) => Ok(Vec::new()),
            Ok(ClamdVerdict::Infected(names)) => Ok(names),
            Err(error) => Err(error.to_string()),
        }
    }

    fn max_bytes(&self) -> u64 {
        self.max_bytes
    }
}

/// Scans `bytes` with clamd; the whole exchange (connect included) is bounded by `timeout`.
pub(crate) async fn scan_bytes(
    address: &ClamdAddress,
    bytes: &[u8],
    timeout: Duration,
) -> Result<ClamdVerdict, ClamdError> {
    scan_reader(address, bytes, timeout).await
}

/// Scans what `content` yields, streamed in chunks (large objects need not be in memory).
pub(crate) async fn scan_reader<R: AsyncRead + Unpin>(
    address: &ClamdAddress,
    content: R,
    timeout: Duration,
) -> Result<ClamdVerdict, ClamdError> {
    let exchange = async {
        match address {
            ClamdAddress::Unix(path) => instream(UnixStream::connect(path).await?, content).await,
            ClamdAddress::Tcp(host_port) => instream(TcpStream::connect(host_port.as_str()).await?, content).await,
        }
    };
    tokio::time::timeout(timeout, exchange).await.map_err(|_| ClamdError::Timeout(timeout))?
}

/// Whether clamd is up (`zPING\0` → `PONG\0`).
pub(crate) async fn ping(address: &ClamdAddress, timeout: Duration) -> Result<(), ClamdError> {
    let exchange = async {
        let reply = match address {
            ClamdAddress::Unix(path) => command(UnixStream::connect(path).await?, b"zPING\0").await?,
            ClamdAddress::Tcp(host_port) => command(TcpStream::connect(host_port.as_str()).await?, b"zPING\0").await?,
        };
        if reply == "PONG" { Ok(()) } else { Err(ClamdError::Unexpected(reply)) }
    };
    tokio::time::timeout(timeout, exchange).await.map_err(|_| ClamdError::Timeout(timeout))?
}

async fn command<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, command: &[u8]) -> Result<String, ClamdError> {
    stream.write_all(command).await?;
    stream.flush().await?;
    let reply = read_reply(&mut stream).await?;
    Ok(reply.trim_end_matches(['\0', '\n']).to_owned())
}

/// The reply up to the hang-up. A daemon that hangs up on unread input makes the kernel report
/// a reset after the reply: what arrived before counts.
async fn read_reply<S: AsyncRead + Unpin>(stream: &mut S) -> std::io::Result<String> {
    let mut reply = Vec::new();
    if let Err(error) = stream.take(MAX_REPLY).read_to_end(&mut reply).await
        && reply.is_empty()
    {
        return Err(error);
    }
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

async fn send<S: AsyncWrite + Unpin, R: AsyncRead + Unpin>(stream: &mut S, mut content: R) -> std::io::Result<()> {
    stream.write_all(b"zINSTREAM\0").await?;
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let n = content.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        let length = u32::try_from(n).map_err(std::io::Error::other)?;
        stream.write_all(&length.to_be_bytes()).await?;
        stream.write_all(&chunk[..n]).await?;
    }
    stream.write_all(&0u32.to_be_bytes()).await?;
    stream.flush().await
}

async fn instream<S: AsyncRead + AsyncWrite + Unpin, R: AsyncRead + Unpin>(
    mut stream: S,
    content: R,
) -> Result<ClamdVerdict, ClamdError> {
    let sent = send(&mut stream, content).await;
    // clamd answers and hangs up early when a stream passes its size limit: the reply says
    // why, so it is read even when sending failed.
    let reply = read_reply(&mut stream).await;
    match (sent, reply) {
        (_, Ok(reply)) if !reply.is_empty() => parse_reply(&reply),
        (Err(error), _) | (Ok(()), Err(error)) => Err(ClamdError::Io(error)),
        (Ok(()), Ok(_)) => Err(ClamdError::Unexpected(String::new())),
    }
}

/// `stream: OK`, `stream: <name> FOUND` (one per line or NUL with `--allmatch`), `<reason> ERROR`.
fn parse_reply(reply: &str) -> Result<ClamdVerdict, ClamdError> {
    let mut found = Vec::new();
    let mut clean = false;
    for line in reply.split(['\0', '\n']).map(str::trim).filter(|line| !line.is_empty()) {
        let result = line.strip_prefix("stream:").map_or(line, str::trim);
        if let Some(name) = result.strip_suffix(" FOUND") {
            found.push(name.trim().to_owned());
        } else if result == "OK" {
            clean = true;
        } else if let Some(reason) = result.strip_suffix("ERROR") {
            return Err(ClamdError::Refused(reason.trim().to_owned()));
        } else {
            return Err(ClamdError::Unexpected(line.to_owned()));
        }
    }
    match (found.is_empty(), clean) {
        (false, _) => Ok(ClamdVerdict::Infected(found)),
        (true, true) => Ok(ClamdVerdict::Clean),
        (true, false) => Err(ClamdError::Unexpected(reply.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::{TcpListener, UnixListener};

    const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

    enum Request {
        Ping,
        Stream(Vec<u8>),
        Other,
    }

    /// Reads one request as clamd does: a NUL-terminated command, then INSTREAM's chunks.
    async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> Option<Request> {
        let mut command = Vec::new();
        while command.last() != Some(&0) && command.len() < 32 {
            command.push(stream.read_u8().await.ok()?);
        }
        match command.as_slice() {
            b"zPING\0" => return Some(Request::Ping),
            b"zINSTREAM\0" => {}
            _ => return Some(Request::Other),
        }
        let mut data = Vec::new();
        loop {
            let length = stream.read_u32().await.ok()? as usize;
            if length == 0 {
                return Some(Request::Stream(data));
            }
            let start = data.len();
            data.resize(start + length, 0);
            stream.read_exact(&mut data[start..]).await.ok()?;
        }
    }

    /// A fake clamd: EICAR is "infected", anything else clean; `limit` mimics StreamMaxLength.
    async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, limit: usize) {
        let reply: &[u8] = match read_request(&mut stream).await {
            Some(Request::Ping) => b"PONG\0",
            Some(Request::Stream(data)) if data.len() > limit => b"INSTREAM size limit exceeded. ERROR\0",
            Some(Request::Stream(data)) if data.windows(EICAR.len()).any(|window| window == EICAR) => {
                b"stream: Eicar-Test-Signature FOUND\0"
            }
            Some(Request::Stream(_)) => b"stream: OK\0",
            Some(Request::Other) | None => b"UNKNOWN COMMAND\0",
        };
        let _ = stream.write_all(reply).await;
        let _ = stream.shutdown().await;
    }

    fn spawn_unix(dir: &tempfile::TempDir, limit: usize) -> ClamdAddress {
        let path = dir.path().join("clamd.sock");
        let listener = UnixListener::bind(&path).unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, limit));
            }
        });
        ClamdAddress::Unix(path)
    }

    const SECOND: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn clean_and_infected_streams_over_a_unix_socket() {
        let dir = tempfile::tempdir().unwrap();
        let address = spawn_unix(&dir, usize::MAX);
        assert_eq!(scan_bytes(&address, b"hello", SECOND).await.unwrap(), ClamdVerdict::Clean);
        assert_eq!(scan_bytes(&address, b"", SECOND).await.unwrap(), ClamdVerdict::Clean);
        // Past one chunk, with the signature straddling the chunk boundary.
        let mut big = vec![b'a'; CHUNK - 10];
        big.extend_from_slice(EICAR);
        big.extend_from_slice(&[b'b'; 1000]);
        let verdict = scan_bytes(&address, &big, SECOND).await.unwrap();
        assert_eq!(verdict, ClamdVerdict::Infected(vec!["Eicar-Test-Signature".to_owned()]));
    }

    #[tokio::test]
    async fn tcp_addresses_work_too() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = ClamdAddress::parse(&listener.local_addr().unwrap().to_string()).unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, usize::MAX));
            }
        });
        assert!(matches!(scan_bytes(&address, EICAR, SECOND).await.unwrap(), ClamdVerdict::Infected(_)));
    }

    #[tokio::test]
    async fn a_stream_over_the_size_limit_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let address = spawn_unix(&dir, 100);
        let error = scan_bytes(&address, &[0u8; 1000], SECOND).await.unwrap_err();
        assert!(matches!(&error, ClamdError::Refused(reason) if reason.contains("size limit")), "{error}");
    }

    #[tokio::test]
    async fn an_early_refusal_is_read_even_though_sending_fails() {
        // Real clamd answers as soon as the limit is passed and hangs up without reading on.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("early.sock");
        let listener = UnixListener::bind(&path).unwrap();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut command = [0u8; 10];
            stream.read_exact(&mut command).await.unwrap();
            stream.write_all(b"INSTREAM size limit exceeded. ERROR\0").await.unwrap();
        });
        let error = scan_bytes(&ClamdAddress::Unix(path), &vec![0u8; 8 << 20], SECOND).await.unwrap_err();
        assert!(matches!(&error, ClamdError::Refused(_)), "{error}");
    }

    #[tokio::test]
    async fn ping_answers_pong() {
        let dir = tempfile::tempdir().unwrap();
        let address = spawn_unix(&dir, usize::MAX);
        ping(&address, SECOND).await.unwrap();
    }

    #[tokio::test]
    async fn a_silent_or_absent_daemon_fails_in_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("silent.sock");
        let listener = UnixListener::bind(&path).unwrap();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
        let error = scan_bytes(&ClamdAddress::Unix(path), b"x", Duration::from_millis(200)).await.unwrap_err();
        assert!(matches!(error, ClamdError::Timeout(_)), "{error}");
        let absent = ClamdAddress::Unix(dir.path().join("absent.sock"));
        assert!(matches!(scan_bytes(&absent, b"x", SECOND).await.unwrap_err(), ClamdError::Io(_)));
    }

    /// Against a real clamd started by `scripts/clamd.sh` (its custom signatures); skipped
    /// when `STOA_TEST_CLAMD` is not set.
    #[tokio::test]
    async fn a_real_clamd_finds_eicar_and_a_pickle_payload() {
        let Ok(address) = std::env::var("STOA_TEST_CLAMD") else { return };
        let address = ClamdAddress::parse(&address).unwrap();
        let timeout = Duration::from_secs(30);
        ping(&address, timeout).await.unwrap();
        let ClamdVerdict::Infected(names) = scan_bytes(&address, EICAR, timeout).await.unwrap() else {
            panic!("EICAR not found")
        };
        assert!(names.iter().any(|name| name.contains("EICAR")), "{names:?}");
        let pickle = b"\x80\x02cposix\nsystem\nX\x02\x00\x00\x00id\x85R.";
        assert!(matches!(scan_bytes(&address, pickle, timeout).await.unwrap(), ClamdVerdict::Infected(_)));
        assert_eq!(scan_bytes(&address, b"hello", timeout).await.unwrap(), ClamdVerdict::Clean);
    }

    #[test]
    fn addresses_and_replies_parse() {
        assert_eq!(ClamdAddress::parse("unix:/run/clamd.ctl").unwrap(), ClamdAddress::Unix("/run/clamd.ctl".into()));
        assert_eq!(ClamdAddress::parse("/run/clamd.ctl").unwrap(), ClamdAddress::Unix("/run/clamd.ctl".into()));
        assert_eq!(ClamdAddress::parse("tcp:localhost:3310").unwrap(), ClamdAddress::Tcp("localhost:3310".into()));
        assert_eq!(ClamdAddress::parse("127.0.0.1:3310").unwrap(), ClamdAddress::Tcp("127.0.0.1:3310".into()));
        for bad in ["", "unix:", "localhost", "host:port", ":3310"] {
            assert!(ClamdAddress::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_reply("stream: OK\0").unwrap(), ClamdVerdict::Clean);
        assert_eq!(
            parse_reply("stream: A FOUND\0stream: B FOUND\0").unwrap(),
            ClamdVerdict::Infected(vec!["A".to_owned(), "B".to_owned()])
        );
        assert!(matches!(parse_reply("stream: Can't allocate memory ERROR\0"), Err(ClamdError::Refused(_))));
        assert!(matches!(parse_reply("what\0"), Err(ClamdError::Unexpected(_))));
    }
}
