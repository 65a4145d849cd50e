//! The Cognito JSON API's request decoding: the `X-Amz-Target` dispatch and every
//! operation's input decoding and validation in `http/cognito/`, driven through the real
//! server (built by `App::build`, the production wiring) over embedded in-memory SQLite.
//!
//! The operations decode as they go, interleaved with their store calls, so the decoders
//! cannot be called alone without restructuring every operation file; the real server also
//! checks what matters most: the answer to any body is never a 5xx and never a panic.
//!
//! Input: the first line is the operation name (sent as
//! `X-Amz-Target: AWSCognitoIdentityProviderService.<line>`), the rest is the body. The
//! example seed's fixtures exist (pool `us-east-1_AcmeDemo1`, client
//! `acmedemoclient000000000001`, user `alice` / `Correct-Horse-9`), admin operations are
//! open (`GATEHOUSE_ADMIN_AUTH=insecure-none`) so their decoders are reached, Argon2 is
//! cheap and the per-IP limit is off.
//!
//! Invariants: no 5xx; every answer has a request id; an error is Cognito's envelope (a JSON
//! object with string `__type` and `message`) with a matching `x-amzn-ErrorType`; a success
//! is a JSON object; the server answers within 10 seconds (`ANSWER_WITHIN`).

#![no_main]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use gatehouse::app::App;
use gatehouse::config::{AdminAuthSetting, Settings};
use gatehouse::domain::ids::UserPoolId;
use gatehouse::manage::seed::SeedFile;
use libfuzzer_sys::fuzz_target;
use secrecy::SecretString;

const SEED: &str = include_str!("../../examples/seed.json");
const EXAMPLE_POOL: &str = "us-east-1_AcmeDemo1";

/// How long an answer may take before it counts as a hang. Nothing a request does should come
/// near it: a new pool's RSA keys, seconds per key under AddressSanitizer, are created on
/// first use in fuzz builds (src/manage/pools.rs), and Argon2 runs with tiny parameters here.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

struct Server {
    port: u16,
    connection: Mutex<Option<BufReader<TcpStream>>>,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let port = runtime.block_on(async {
            let app = App::build(settings()).await.expect("the server starts");
            let seed = SeedFile::parse(SEED).expect("the example seed parses");
            app.services()
                .apply_seed(seed)
                .await
                .expect("the example seed applies");
            // Fuzz builds create a pool's signing keys on first use (src/manage/pools.rs);
            // the example pool's are made here, so no input pays for them.
            let example_pool = UserPoolId::parse(EXAMPLE_POOL).expect("the example pool id");
            app.services()
                .keys
                .jwks(&example_pool)
                .await
                .expect("the example pool's signing keys");
            let port = app.port();
            tokio::spawn(app.run_until_stopped());
            port
        });
        // The server runs on this runtime for the rest of the process.
        std::mem::forget(runtime);
        Server {
            port,
            connection: Mutex::new(None),
        }
    })
}

fn settings() -> Settings {
    let mut settings = Settings::with_database("sqlite::memory:");
    settings.server.bind = "127.0.0.1:0".into();
    settings.crypto.argon2_memory_kib = 64;
    settings.crypto.argon2_iterations = 1;
    settings.crypto.allow_weak_password_hashing = true;
    settings.crypto.key_encryption_key = Some(SecretString::from(STANDARD.encode([7u8; 32])));
    settings.server.http_workers = Some(1);
    settings.limits.hash_workers = Some(1);
    settings.limits.sign_in_rate_per_ip = 0;
    settings.server.housekeeping_interval_seconds = 0;
    settings.admin.admin_auth = AdminAuthSetting::InsecureNone;
    settings
}

fuzz_target!(
    // Start-up (migrations, the seed, signing keys) is slow under AddressSanitizer; done
    // here it does not count against the first input's time limit.
    init: {
        server();
    },
    |data: &[u8]| {
    let (operation, body) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &b""[..]),
    };
    // Only bytes HTTP allows in a header value: framing is the HTTP parser's business, not
    // the dispatcher's.
    let operation: Vec<u8> = operation
        .iter()
        .copied()
        .filter(|&b| b == b'\t' || (0x20..0x7f).contains(&b) || b >= 0x80)
        .collect();
    let response = exchange(&operation, body);
    check(&response, &operation);
    }
);

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn check(response: &Response, operation: &[u8]) {
    let operation = String::from_utf8_lossy(operation);
    let text = String::from_utf8_lossy(&response.body);
    assert!(
        response.status < 500,
        "{operation}: {} {text}",
        response.status
    );
    assert!(
        response.header("x-amzn-RequestId").is_some(),
        "{operation}: no request id"
    );
    let json: serde_json::Value = serde_json::from_slice(&response.body)
        .unwrap_or_else(|e| panic!("{operation}: the body is not JSON ({e}): {text}"));
    assert!(json.is_object(), "{operation}: {text}");
    if response.status >= 400 {
        let type_ = json["__type"].as_str();
        assert!(
            type_.is_some_and(|t| t.ends_with("Exception")),
            "{operation}: {text}"
        );
        assert!(json["message"].is_string(), "{operation}: {text}");
        let expected = type_.map(|t| format!("{t}:"));
        assert_eq!(
            response.header("x-amzn-ErrorType"),
            expected.as_deref(),
            "{operation}: {text}"
        );
    } else {
        assert_eq!(response.status, 200, "{operation}: {text}");
    }
}

fn exchange(operation: &[u8], body: &[u8]) -> Response {
    let server = server();
    let mut request = Vec::with_capacity(body.len() + 256);
    request.extend_from_slice(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    request.extend_from_slice(b"Content-Type: application/x-amz-json-1.1\r\n");
    request.extend_from_slice(b"X-Amz-Target: AWSCognitoIdentityProviderService.");
    request.extend_from_slice(operation);
    request.extend_from_slice(format!("\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes());
    request.extend_from_slice(body);

    let mut slot = server.connection.lock().unwrap_or_else(|e| e.into_inner());
    // A kept-alive connection may have been closed by the server after its last answer:
    // one fresh attempt is always made before calling it a failure.
    for attempt in 0..2 {
        let mut connection = match slot.take() {
            Some(connection) if attempt == 0 => connection,
            _ => connect(server.port),
        };
        if connection.get_mut().write_all(&request).is_err() {
            continue;
        }
        match read_response(&mut connection) {
            Ok((response, keep_alive)) => {
                if keep_alive {
                    *slot = Some(connection);
                }
                return response;
            }
            // A slow answer is not retried: sending the request again would double the wait
            // past libFuzzer's timeout and hide which request was slow.
            Err(error) if is_timeout(&error) => {
                panic!("no answer from the server within {ANSWER_WITHIN:?}: {error}")
            }
            Err(_) if attempt == 0 => continue,
            Err(error) => panic!("no answer from the server: {error}"),
        }
    }
    panic!("the server refused the connection twice");
}

fn connect(port: u16) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("the server accepts");
    stream
        .set_read_timeout(Some(ANSWER_WITHIN))
        .expect("a read timeout");
    stream.set_nodelay(true).expect("no delay");
    BufReader::new(stream)
}

/// A read that ran out of time (the socket's read timeout shows as either kind).
fn is_timeout(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// Reads one HTTP/1.1 response with a `Content-Length` body; tells whether the connection
/// may be reused.
fn read_response(connection: &mut BufReader<TcpStream>) -> std::io::Result<(Response, bool)> {
    let mut line = String::new();
    if connection.read_line(&mut line)? == 0 {
        return Err(std::io::Error::other("the connection was closed"));
    }
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("a bad status line: {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        connection.read_line(&mut line)?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    let length: usize = response
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| std::io::Error::other("no Content-Length"))?;
    response.body.resize(length, 0);
    connection.read_exact(&mut response.body)?;
    let keep_alive = !response
        .header("connection")
        .is_some_and(|v| v.eq_ignore_ascii_case("close"));
    Ok((response, keep_alive))
}
