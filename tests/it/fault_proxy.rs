//! A fault-injecting HTTP/1.1 proxy between the tool and the emulator: each request is passed through,
//! delayed, throttled, answered with a 500 or 503, or cut with a TCP reset, at seeded random rates; a
//! permanent rule can fail one operation (or one resource) every time. Faults are answered by the proxy
//! before forwarding, so the emulator never sees a failed request.
//!
//! Every connection carries one request: the proxy forwards it on a new connection to the emulator with
//! `Connection: close`, reads the answer to the end, returns it with `Connection: close` and closes, so the
//! client never reuses a connection the proxy has closed. The proxy runs on its own thread with its own
//! runtime (tests block on `std::process::Command` meanwhile) and stops when dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Rates of each fault, each a probability per request (their sum at most 1), and the seed of the draws.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    pub throttle: f64,
    pub error500: f64,
    pub error503: f64,
    pub reset: f64,
    /// The request reaches the emulator, then the connection is reset before the answer: the call took
    /// effect but the client never hears so, and retries it.
    pub lost: f64,
    /// Each request waits a random 0..=this many milliseconds before it is answered or forwarded.
    pub max_latency_ms: u64,
    pub seed: u64,
}

impl Faults {
    /// No fault at all: a transparent proxy.
    pub fn none() -> Self {
        Self::default().seeded()
    }

    /// The seed from `FAULT_SEED`, else a fixed default; printed so that a failing run can be replayed.
    /// (The draws are reproducible; which request gets which draw depends on the order requests arrive.)
    pub fn seeded(self) -> Self {
        let seed = std::env::var("FAULT_SEED").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0x5EED_F417);
        eprintln!("fault proxy: FAULT_SEED={seed}");
        Self { seed, ..self }
    }

    fn total(&self) -> f64 {
        self.throttle + self.error500 + self.error503 + self.reset + self.lost
    }
}

/// Which requests a [`Rule`] applies to: every condition set must hold.
#[derive(Debug, Clone, Default)]
pub struct Match {
    /// The HTTP method, e.g. `PUT`.
    pub method: Option<String>,
    /// A substring of the request target (path and query), e.g. `/baseline-logs-` or `?policy`.
    pub path_contains: Option<String>,
    /// The JSON protocols' `X-Amz-Target` ends with this, e.g. `.CreateTrail`.
    pub target_suffix: Option<String>,
    /// The Query protocol's `Action` parameter, e.g. `Subscribe`.
    pub action: Option<String>,
    /// Substrings of the body, e.g. `Action=Subscribe` (Query protocol) or a resource's name.
    pub body_contains: Vec<String>,
    /// The request is signed for this region (SigV4 credential scope), e.g. a region a service control
    /// policy denies.
    pub region: Option<String>,
    /// The body is longer than this many bytes (e.g. a policy over a service's size limit).
    pub body_longer_than: Option<usize>,
    /// The request is signed with this access key id (SigV4 credential scope).
    pub access_key: Option<String>,
    /// The request is signed with any access key but this one (e.g. "every account but the management one").
    pub not_access_key: Option<String>,
}

impl Match {
    /// A JSON-protocol operation: `X-Amz-Target` ends with `.<operation>`.
    pub fn target(operation: &str) -> Self {
        Self { target_suffix: Some(format!(".{operation}")), ..Self::default() }
    }

    /// A Query-protocol operation: the form body holds `Action=<operation>`.
    pub fn action(operation: &str) -> Self {
        Self { action: Some(operation.to_string()), ..Self::default() }
    }

    /// A REST operation: the method and a substring of the path and query, e.g. `PUT` and `?tagging`.
    pub fn rest(method: &str, path_contains: &str) -> Self {
        Self { method: Some(method.into()), path_contains: Some(path_contains.into()), ..Self::default() }
    }

    /// Also requires `text` in the body (e.g. one resource's name).
    pub fn with_body(mut self, text: &str) -> Self {
        self.body_contains.push(text.to_string());
        self
    }

    /// Only requests signed with any access key but `key`.
    pub fn not_signed_by(mut self, key: &str) -> Self {
        self.not_access_key = Some(key.to_string());
        self
    }

    fn matches(&self, request: &Request) -> bool {
        self.method.as_ref().is_none_or(|m| request.method.eq_ignore_ascii_case(m))
            && self.path_contains.as_ref().is_none_or(|p| request.path.contains(p.as_str()))
            && self
                .target_suffix
                .as_ref()
                .is_none_or(|s| request.header("x-amz-target").is_some_and(|t| t.ends_with(s.as_str())))
            && self.action.as_ref().is_none_or(|a| request.action() == Some(a.as_str()))
            && self.body_contains.iter().all(|needle| contains(&request.body, needle.as_bytes()))
            && self
                .region
                .as_ref()
                .is_none_or(|r| request.credential_scope().and_then(|s| s.get(2).copied()) == Some(r))
            && self.body_longer_than.is_none_or(|n| request.body.len() > n)
            && self.access_key.as_ref().is_none_or(|k| request.access_key() == Some(k.as_str()))
            && self.not_access_key.as_ref().is_none_or(|k| request.access_key().is_some_and(|a| a != k))
    }
}

/// A request that always fails with a client error that no retry can fix.
#[derive(Debug, Clone)]
pub struct Rule {
    pub when: Match,
    pub status: u16,
    /// The error code; `None` for the protocol's validation error (`ValidationException` in JSON,
    /// `ValidationError` in Query, `InvalidArgument` in REST-XML).
    pub code: Option<String>,
    pub message: String,
}

impl Rule {
    /// A 400 validation error on every matching request.
    pub fn invalid(when: Match) -> Self {
        Self { when, status: 400, code: None, message: "injected permanent failure".into() }
    }

    /// An error with the given status, code and message on every matching request.
    pub fn error(when: Match, status: u16, code: &str, message: &str) -> Self {
        Self { when, status, code: Some(code.into()), message: message.into() }
    }
}

/// Edits the emulator's successful answer to matching requests: what AWS shows that the emulator does not
/// (e.g. another account's organization trail, tags only AWS sets). `edit` gets the request's body and the
/// answer's body and returns the new answer body.
#[derive(Clone)]
pub struct Rewrite {
    pub when: Match,
    pub edit: Arc<AnswerEdit>,
}

/// `(request body, answer body) -> new answer body`.
pub type AnswerEdit = dyn Fn(&str, &str) -> String + Send + Sync;

impl Rewrite {
    pub fn new(when: Match, edit: impl Fn(&str, &str) -> String + Send + Sync + 'static) -> Self {
        Self { when, edit: Arc::new(edit) }
    }
}

/// What the proxy did, so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub requests: u64,
    pub passed: u64,
    pub throttled: u64,
    pub error500: u64,
    pub error503: u64,
    pub reset: u64,
    pub lost: u64,
    pub permanent: u64,
    /// Requests the proxy could not read (malformed, or the client went away).
    pub broken: u64,
    pub delayed_ms: u64,
}

impl Stats {
    /// Random faults injected (the permanent rule's answers not included).
    pub fn faults(&self) -> u64 {
        self.throttled + self.error500 + self.error503 + self.reset + self.lost
    }
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pct = |n: u64| if self.requests == 0 { 0.0 } else { 100.0 * n as f64 / self.requests as f64 };
        write!(
            f,
            "{} requests: {} passed, {} faults ({:.1}%): {} throttled, {} HTTP 500, {} HTTP 503, {} reset, \
             {} answers lost; {} permanent failures, {} unreadable; {} ms of injected latency",
            self.requests,
            self.passed,
            self.faults(),
            pct(self.faults()),
            self.throttled,
            self.error500,
            self.error503,
            self.reset,
            self.lost,
            self.permanent,
            self.broken,
            self.delayed_ms
        )
    }
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    passed: AtomicU64,
    throttled: AtomicU64,
    error500: AtomicU64,
    error503: AtomicU64,
    reset: AtomicU64,
    lost: AtomicU64,
    permanent: AtomicU64,
    broken: AtomicU64,
    delayed_ms: AtomicU64,
    draws: AtomicU64,
}

struct Shared {
    started: std::time::Instant,
    /// `FAULT_PROXY_LOG` set: one line per request on stderr (time, operation, outcome).
    log: bool,
    upstream: String,
    faults: Faults,
    /// Checked in order before any fault; the first that matches answers.
    rules: Vec<Rule>,
    rewrites: Vec<Rewrite>,
    counters: Counters,
    /// Every request the emulator answered, in the order the answers came.
    passed: std::sync::Mutex<Vec<Passed>>,
    /// Random faults so far per call (`amz-sdk-invocation-id`, the same on every attempt of one call).
    faulted: std::sync::Mutex<std::collections::HashMap<String, u32>>,
}

/// Random faults one call meets at most: its next attempt passes. AWS throttles by rate, so a client that backs
/// off gets through; independent draws would instead fail a call on all of its attempts now and then (at 40%
/// throttling, one call in 1,500 over 8 attempts: one run in ten of a 170-call apply), which says nothing
/// about the tool.
const MAX_FAULTS_PER_CALL: u32 = 4;

/// A request the proxy passed to the emulator and that was answered: what went over the wire.
#[derive(Debug, Clone)]
pub struct Passed {
    pub method: String,
    /// The request target: path and query.
    pub path: String,
    /// Header lines in order, names as received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Passed {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

impl Shared {
    /// Whether the call this request is an attempt of may meet another random fault (counted if so).
    fn may_fault(&self, request: &Request) -> bool {
        let Some(call) = request.header("amz-sdk-invocation-id") else { return true };
        let mut faulted = self.faulted.lock().unwrap();
        let count = faulted.entry(call.to_string()).or_default();
        *count += 1;
        *count <= MAX_FAULTS_PER_CALL
    }

    fn log(&self, request: &Request, outcome: &str) {
        if self.log {
            let at = self.started.elapsed().as_secs_f64();
            eprintln!("fault proxy: {at:8.3}s {:<40} {outcome}", request.operation());
        }
    }

    /// A uniform draw in [0, 1): SplitMix64 over the seed and a draw counter.
    fn draw(&self) -> f64 {
        let n = self.counters.draws.fetch_add(1, Ordering::Relaxed);
        let z = crate::harness::splitmix64(self.faults.seed, n);
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The proxy; `endpoint` is what the tool is pointed at.
pub struct FaultProxy {
    pub endpoint: String,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port in front of `upstream` (`http://127.0.0.1:<port>`).
    pub fn start(upstream: &str, faults: Faults, rule: Option<Rule>) -> Self {
        Self::start_with(upstream, faults, rule.into_iter().collect(), Vec::new())
    }

    /// A strict layer without random faults: `rules` answer as AWS would where the emulator is kinder, and
    /// `rewrites` add to the emulator's answers what AWS would show.
    pub fn strict(upstream: &str, rules: Vec<Rule>, rewrites: Vec<Rewrite>) -> Self {
        Self::start_with(upstream, Faults::default(), rules, rewrites)
    }

    fn start_with(upstream: &str, faults: Faults, rules: Vec<Rule>, rewrites: Vec<Rewrite>) -> Self {
        assert!(faults.total() <= 1.0, "fault rates add up to more than 1: {faults:?}");
        let upstream = upstream.trim_start_matches("http://").trim_end_matches('/').to_string();
        let log = std::env::var_os("FAULT_PROXY_LOG").is_some();
        let started = std::time::Instant::now();
        let counters = Counters::default();
        let (passed, faulted) = (Default::default(), Default::default());
        let shared = Arc::new(Shared { started, log, upstream, faults, rules, rewrites, counters, passed, faulted });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the fault proxy");
        listener.set_nonblocking(true).unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = shared.clone();
        let thread = std::thread::Builder::new()
            .name("fault-proxy".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("fault proxy runtime");
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener).unwrap();
                    let accept = async {
                        loop {
                            let Ok((client, _)) = listener.accept().await else { continue };
                            tokio::spawn(serve(client, serving.clone()));
                        }
                    };
                    tokio::select! {
                        _ = accept => {}
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime cancels the connections still being served.
                runtime.shutdown_background();
            })
            .expect("start the fault proxy thread");
        FaultProxy { endpoint, shared, stop: Some(stop), thread: Some(thread) }
    }

    /// The requests the emulator answered so far (forwarded and not cut by a fault).
    pub fn passed(&self) -> Vec<Passed> {
        self.shared.passed.lock().unwrap().clone()
    }

    pub fn stats(&self) -> Stats {
        let c = &self.shared.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Stats {
            requests: get(&c.requests),
            passed: get(&c.passed),
            throttled: get(&c.throttled),
            error500: get(&c.error500),
            error503: get(&c.error503),
            reset: get(&c.reset),
            lost: get(&c.lost),
            permanent: get(&c.permanent),
            broken: get(&c.broken),
            delayed_ms: get(&c.delayed_ms),
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One parsed request: the head as received and the body (de-chunked if it came chunked).
struct Request {
    method: String,
    path: String,
    /// Header lines in order, names as received.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    /// The operation, for the log: `X-Amz-Target`, the Query `Action`, or the method and path.
    fn operation(&self) -> String {
        if let Some(target) = self.header("x-amz-target") {
            return target.to_string();
        }
        if let Some(action) = self.action() {
            return action.to_string();
        }
        format!("{} {}", self.method, self.path)
    }

    /// The Query protocol's `Action` parameter.
    fn action(&self) -> Option<&str> {
        if !self.header("content-type").is_some_and(|t| t.starts_with("application/x-www-form-urlencoded")) {
            return None;
        }
        let body = std::str::from_utf8(&self.body).ok()?;
        body.split('&').find_map(|p| p.strip_prefix("Action="))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The SigV4 credential scope `AKID/date/region/service/aws4_request` of the Authorization header.
    fn credential_scope(&self) -> Option<Vec<&str>> {
        let auth = self.header("authorization")?;
        let scope = auth.split("Credential=").nth(1)?.split([',', ' ']).next()?;
        Some(scope.split('/').collect())
    }

    /// Signed for a REST-JSON service (see [`REST_JSON_SERVICES`]).
    fn signed_for_rest_json(&self) -> bool {
        self.credential_scope().and_then(|s| s.get(3).copied()).is_some_and(|s| REST_JSON_SERVICES.contains(&s))
    }

    /// The access key id the request is signed with.
    fn access_key(&self) -> Option<&str> {
        self.credential_scope()?.first().copied()
    }
}

enum Fault {
    Throttle,
    Error500,
    Error503,
    Reset,
    Lost,
}

async fn serve(mut client: TcpStream, shared: Arc<Shared>) {
    let request = match read_request(&mut client).await {
        Ok(Some(request)) => request,
        // The client opened a connection and closed it without a request (e.g. an idle pooled connection).
        Ok(None) => return,
        Err(e) => {
            eprintln!("fault proxy: unreadable request: {e}");
            shared.counters.broken.fetch_add(1, Ordering::Relaxed);
            let _ =
                client.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await;
            return;
        }
    };
    let counters = &shared.counters;
    counters.requests.fetch_add(1, Ordering::Relaxed);

    let faults = &shared.faults;
    if faults.max_latency_ms > 0 {
        let ms = ((shared.draw() * (faults.max_latency_ms + 1) as f64) as u64).min(faults.max_latency_ms);
        counters.delayed_ms.fetch_add(ms, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }

    if let Some(rule) = shared.rules.iter().find(|r| r.when.matches(&request)) {
        counters.permanent.fetch_add(1, Ordering::Relaxed);
        shared.log(&request, "permanent failure");
        let answer = permanent_answer(&request, rule);
        let _ = client.write_all(&answer).await;
        let _ = client.shutdown().await;
        return;
    }

    let fault = if faults.total() > 0.0 {
        let u = shared.draw();
        let kinds = [
            (faults.throttle, Fault::Throttle),
            (faults.error500, Fault::Error500),
            (faults.error503, Fault::Error503),
            (faults.reset, Fault::Reset),
            (faults.lost, Fault::Lost),
        ];
        let mut edge = 0.0;
        kinds.into_iter().find_map(|(rate, kind)| {
            edge += rate;
            (u < edge).then_some(kind)
        })
    } else {
        None
    };
    let fault = fault.filter(|_| shared.may_fault(&request));

    let answer = match fault {
        Some(Fault::Reset) => {
            counters.reset.fetch_add(1, Ordering::Relaxed);
            shared.log(&request, "reset");
            // SO_LINGER 0: closing sends RST instead of FIN.
            let _ = client.set_zero_linger();
            drop(client);
            return;
        }
        Some(Fault::Lost) => {
            let forwarded = forward(&shared.upstream, &request).await;
            counters.lost.fetch_add(1, Ordering::Relaxed);
            shared.log(&request, &format!("answer lost (forwarded: {})", forwarded.is_ok()));
            let _ = client.set_zero_linger();
            drop(client);
            return;
        }
        Some(Fault::Throttle) => {
            counters.throttled.fetch_add(1, Ordering::Relaxed);
            shared.log(&request, "throttled");
            throttle_answer(&request)
        }
        Some(Fault::Error500) => {
            counters.error500.fetch_add(1, Ordering::Relaxed);
            shared.log(&request, "HTTP 500");
            server_error_answer(&request, 500)
        }
        Some(Fault::Error503) => {
            counters.error503.fetch_add(1, Ordering::Relaxed);
            shared.log(&request, "HTTP 503");
            server_error_answer(&request, 503)
        }
        None => match forward(&shared.upstream, &request).await {
            Ok(answer) => {
                let answer = shared
                    .rewrites
                    .iter()
                    .filter(|r| r.when.matches(&request))
                    .fold(answer, |answer, r| rewrite_answer(answer, &request, r));
                counters.passed.fetch_add(1, Ordering::Relaxed);
                shared.passed.lock().unwrap().push(Passed {
                    method: request.method.clone(),
                    path: request.path.clone(),
                    headers: request.headers.clone(),
                    body: request.body.clone(),
                });
                shared.log(
                    &request,
                    &format!(
                        "passed: {}",
                        String::from_utf8_lossy(answer.split(|b| *b == b'\r').next().unwrap_or_default())
                    ),
                );
                answer
            }
            Err(e) => {
                // The emulator went away (e.g. the test is ending): the client sees a closed connection.
                eprintln!("fault proxy: cannot forward {} {}: {e}", request.method, request.path);
                counters.broken.fetch_add(1, Ordering::Relaxed);
                return;
            }
        },
    };
    let _ = client.write_all(&answer).await;
    let _ = client.shutdown().await;
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Reads one request: the head up to the blank line, then `Content-Length` bytes or a chunked body.
/// `Ok(None)` when the connection closes before any byte.
async fn read_request(client: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let bad = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    let mut buf = Vec::with_capacity(4096);
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 64 * 1024 {
            return Err(bad("request head over 64 KiB".into()));
        }
        let mut chunk = [0u8; 8192];
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(bad("connection closed inside the request head".into()))
            };
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| bad("request head is not UTF-8".into()))?;
    let mut lines = head.split("\r\n");
    let start = lines.next().unwrap_or_default();
    let mut parts = start.split(' ');
    let (method, path) = match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(p), Some(v)) if v.starts_with("HTTP/1.") => (m.to_string(), p.to_string()),
        _ => return Err(bad(format!("not an HTTP/1.x request line: {start:?}"))),
    };
    let headers: Vec<(String, String)> = lines
        .map(|l| l.split_once(':').map(|(n, v)| (n.trim().to_string(), v.trim().to_string())))
        .collect::<Option<_>>()
        .ok_or_else(|| bad("malformed header line".into()))?;
    let mut request = Request { method, path, headers, body: Vec::new() };
    let mut rest = buf[head_end + 4..].to_vec();

    if request.header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
        client.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
        request.headers.retain(|(n, _)| !n.eq_ignore_ascii_case("expect"));
    }
    let chunked = request.header("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
    if chunked {
        request.body = read_chunked(client, rest).await?;
        request
            .headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("transfer-encoding") && !n.eq_ignore_ascii_case("content-length"));
        request.headers.push(("Content-Length".into(), request.body.len().to_string()));
    } else {
        let length: usize = match request.header("content-length") {
            Some(l) => l.parse().map_err(|_| bad(format!("bad Content-Length {l:?}")))?,
            None => 0,
        };
        while rest.len() < length {
            let mut chunk = vec![0u8; (length - rest.len()).min(64 * 1024)];
            let n = client.read(&mut chunk).await?;
            if n == 0 {
                return Err(bad(format!("connection closed after {} of {length} body bytes", rest.len())));
            }
            rest.extend_from_slice(&chunk[..n]);
        }
        if rest.len() > length {
            return Err(bad("bytes after the body: pipelined requests are not supported".into()));
        }
        request.body = rest;
    }
    Ok(Some(request))
}

/// Decodes a chunked body (`rest`: the bytes already read after the head); trailers are dropped.
async fn read_chunked(client: &mut TcpStream, mut rest: Vec<u8>) -> std::io::Result<Vec<u8>> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("chunked body: {what}"));
    let mut body = Vec::new();
    let mut pos = 0;
    // Reads until `rest[pos..]` holds `needle`, returning its index.
    async fn until(client: &mut TcpStream, rest: &mut Vec<u8>, pos: usize, needle: &[u8]) -> std::io::Result<usize> {
        loop {
            if let Some(i) = find(&rest[pos..], needle) {
                return Ok(pos + i);
            }
            let mut chunk = [0u8; 8192];
            let n = client.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "chunked body cut short"));
            }
            rest.extend_from_slice(&chunk[..n]);
        }
    }
    loop {
        let eol = until(client, &mut rest, pos, b"\r\n").await?;
        let line = std::str::from_utf8(&rest[pos..eol]).map_err(|_| bad("size line"))?;
        let size =
            usize::from_str_radix(line.split(';').next().unwrap_or_default().trim(), 16).map_err(|_| bad(line))?;
        pos = eol + 2;
        if size == 0 {
            // Trailers end with an empty line.
            loop {
                let eol = until(client, &mut rest, pos, b"\r\n").await?;
                let empty = eol == pos;
                pos = eol + 2;
                if empty {
                    return Ok(body);
                }
            }
        }
        while rest.len() < pos + size + 2 {
            let mut chunk = [0u8; 8192];
            let n = client.read(&mut chunk).await?;
            if n == 0 {
                return Err(bad("cut short"));
            }
            rest.extend_from_slice(&chunk[..n]);
        }
        body.extend_from_slice(&rest[pos..pos + size]);
        pos += size + 2;
    }
}

/// Sends the request on a new connection with `Connection: close`, reads the answer to the end and returns it
/// with `Connection: close`.
async fn forward(upstream: &str, request: &Request) -> std::io::Result<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).await?;
    let mut head = format!("{} {} HTTP/1.1\r\n", request.method, request.path);
    for (name, value) in &request.headers {
        if !name.eq_ignore_ascii_case("connection") && !name.eq_ignore_ascii_case("keep-alive") {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str("Connection: close\r\n\r\n");
    server.write_all(head.as_bytes()).await?;
    server.write_all(&request.body).await?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).await?;
    let Some(head_end) = find(&answer, b"\r\n\r\n") else {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "answer without a complete head"));
    };
    let head = String::from_utf8_lossy(&answer[..head_end]);
    let mut out = String::new();
    for line in head.split("\r\n") {
        let name = line.split(':').next().unwrap_or_default().trim();
        if !name.eq_ignore_ascii_case("connection") && !name.eq_ignore_ascii_case("keep-alive") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&answer[head_end + 4..]);
    Ok(bytes)
}

/// A successful answer with its body passed through `rewrite` and its length set again; any other answer as is.
fn rewrite_answer(answer: Vec<u8>, request: &Request, rewrite: &Rewrite) -> Vec<u8> {
    let Some(head_end) = find(&answer, b"\r\n\r\n") else { return answer };
    let head = String::from_utf8_lossy(&answer[..head_end]).to_string();
    if !head.split(' ').nth(1).is_some_and(|status| status.starts_with('2')) {
        return answer;
    }
    let chunked = head.to_ascii_lowercase().contains("transfer-encoding: chunked");
    let body = if chunked { dechunk(&answer[head_end + 4..]) } else { answer[head_end + 4..].to_vec() };
    let body = (rewrite.edit)(&String::from_utf8_lossy(&request.body), &String::from_utf8_lossy(&body));
    let mut out: String = head
        .split("\r\n")
        .filter(|line| {
            let name = line.split(':').next().unwrap_or_default().trim().to_ascii_lowercase();
            name != "content-length" && name != "transfer-encoding"
        })
        .map(|line| format!("{line}\r\n"))
        .collect();
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

/// A complete chunked body, decoded.
fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(eol) = find(rest, b"\r\n") {
        let line = String::from_utf8_lossy(&rest[..eol]);
        let size = usize::from_str_radix(line.split(';').next().unwrap_or_default().trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < eol + 2 + size {
            break;
        }
        body.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
        rest = &rest[(eol + 4 + size).min(rest.len())..];
    }
    body
}

/// The wire protocol of a request, which decides how an error must look for the SDK to parse it.
#[derive(Debug, PartialEq)]
enum Protocol {
    /// awsJson 1.0/1.1: `X-Amz-Target` names the operation.
    Json,
    /// awsQuery (IAM, STS, SNS, CloudWatch): a form body.
    Query,
    /// EC2's own Query dialect, with its own error envelope.
    Ec2,
    /// restJson (e.g. Account).
    RestJson,
    /// restXml (S3, S3 Control).
    RestXml,
}

fn protocol(request: &Request) -> Protocol {
    let content_type = request.header("content-type").unwrap_or_default().to_ascii_lowercase();
    if request.header("x-amz-target").is_some() {
        Protocol::Json
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        if contains(&request.body, b"Version=2016-11-15") { Protocol::Ec2 } else { Protocol::Query }
    } else if content_type.starts_with("application/json") || request.signed_for_rest_json() {
        Protocol::RestJson
    } else {
        Protocol::RestXml
    }
}

/// Services on the REST-JSON protocol whose reads (GET, no body) carry no content type to tell them by; S3 and
/// S3 Control, the REST-XML ones, do the same. Told apart by the service the request is signed for.
const REST_JSON_SERVICES: &[&str] = &["guardduty", "securityhub", "access-analyzer", "account"];

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        403 => "Forbidden",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// An error answer: `headers` besides the content type and length.
fn response(status: u16, content_type: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\n", reason(status));
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "x-amzn-RequestId: fault-proxy\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    out.into_bytes()
}

/// An error with `code` and `message`, in the protocol of the request.
fn error_answer(request: &Request, status: u16, code: &str, message: &str) -> Vec<u8> {
    match protocol(request) {
        Protocol::Json => {
            let content_type = request.header("content-type").unwrap_or("application/x-amz-json-1.1").to_string();
            let body = serde_json::json!({ "__type": code, "message": message }).to_string();
            response(status, &content_type, &[("x-amzn-ErrorType", code)], &body)
        }
        Protocol::RestJson => {
            let body = serde_json::json!({ "message": message }).to_string();
            response(status, "application/json", &[("x-amzn-ErrorType", code)], &body)
        }
        Protocol::Query => {
            let kind = if status >= 500 { "Receiver" } else { "Sender" };
            let body = format!(
                "<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error>\
                 <RequestId>fault-proxy</RequestId></ErrorResponse>"
            );
            response(status, "text/xml", &[], &body)
        }
        Protocol::Ec2 => {
            let body = format!(
                "<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>\
                 <RequestID>fault-proxy</RequestID></Response>"
            );
            response(status, "text/xml", &[], &body)
        }
        Protocol::RestXml => {
            let body = format!(
                "<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault-proxy</RequestId></Error>"
            );
            response(status, "application/xml", &[], &body)
        }
    }
}

/// Throttling as each service answers it.
fn throttle_answer(request: &Request) -> Vec<u8> {
    match protocol(request) {
        Protocol::Json => error_answer(request, 400, "ThrottlingException", "Rate exceeded"),
        Protocol::RestJson => error_answer(request, 429, "TooManyRequestsException", "Rate exceeded"),
        Protocol::Query => error_answer(request, 400, "Throttling", "Rate exceeded"),
        Protocol::Ec2 => error_answer(request, 503, "RequestLimitExceeded", "Request limit exceeded."),
        Protocol::RestXml => {
            let body = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>\
                        <RequestId>fault-proxy</RequestId></Error>";
            response(503, "application/xml", &[("x-amzn-ErrorType", "ThrottlingException")], body)
        }
    }
}

/// A 500 or 503 in the protocol's format (never an HTML page: see `NotImplementedHere` in the tool).
fn server_error_answer(request: &Request, status: u16) -> Vec<u8> {
    let code = if status == 500 { "InternalError" } else { "ServiceUnavailable" };
    let message =
        if status == 500 { "We encountered an internal error. Please try again." } else { "Service unavailable" };
    error_answer(request, status, code, message)
}

fn permanent_answer(request: &Request, rule: &Rule) -> Vec<u8> {
    let code = rule.code.clone().unwrap_or_else(|| {
        match protocol(request) {
            Protocol::Json | Protocol::RestJson => "ValidationException",
            Protocol::Query => "ValidationError",
            Protocol::Ec2 | Protocol::RestXml => "InvalidArgument",
        }
        .to_string()
    });
    error_answer(request, rule.status, &code, &rule.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_uniform_enough_and_reproducible() {
        let shared = |seed| Shared {
            started: std::time::Instant::now(),
            log: false,
            upstream: String::new(),
            faults: Faults { seed, ..Faults::default() },
            rules: Vec::new(),
            rewrites: Vec::new(),
            counters: Counters::default(),
            passed: Default::default(),
            faulted: Default::default(),
        };
        let (a, b) = (shared(7), shared(7));
        let draws: Vec<f64> = (0..10_000).map(|_| a.draw()).collect();
        assert!(draws.iter().all(|d| (0.0..1.0).contains(d)));
        assert_eq!(draws[..5], (0..5).map(|_| b.draw()).collect::<Vec<_>>()[..]);
        let below = draws.iter().filter(|d| **d < 0.2).count();
        assert!((1800..2200).contains(&below), "{below}");
    }

    fn request(headers: &[(&str, &str)], body: &str) -> Request {
        Request {
            method: "POST".into(),
            path: "/".into(),
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn answer(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn rules_single_out_an_operation_or_one_resource() {
        let json =
            [("X-Amz-Target", "CloudTrail_20131101.CreateTrail"), ("Content-Type", "application/x-amz-json-1.1")];
        let create = request(&json, r#"{"Name":"baseline-trail","S3BucketName":"b"}"#);
        assert!(Match::target("CreateTrail").matches(&create));
        assert!(Match::target("CreateTrail").with_body(r#""Name":"baseline-trail""#).matches(&create));
        assert!(!Match::target("CreateTrail").with_body(r#""Name":"other""#).matches(&create));
        assert!(!Match::target("Trail").matches(&create));
        assert!(!Match::action("CreateTrail").matches(&create));

        let form = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")];
        let subscribe = request(&form, "Action=Subscribe&Version=2010-03-31&Endpoint=a%40example.com");
        assert!(Match::action("Subscribe").matches(&subscribe));
        assert!(Match::action("Subscribe").with_body("a%40example.com").matches(&subscribe));
        assert!(!Match::action("Sub").matches(&subscribe));
        let put = Match { method: Some("PUT".into()), path_contains: Some("?policy".into()), ..Match::default() };
        assert!(!put.matches(&subscribe));

        let rule = Rule::invalid(Match::action("Subscribe"));
        let text = answer(permanent_answer(&subscribe, &rule));
        assert!(text.starts_with("HTTP/1.1 400 "), "{text}");
        assert!(text.contains("<Code>ValidationError</Code>"), "{text}");
        let text = answer(permanent_answer(&create, &rule));
        assert!(text.contains(r#""__type":"ValidationException""#), "{text}");
    }

    #[test]
    fn rules_single_out_the_region_a_request_is_signed_for() {
        let signed = |region: &str| {
            let authorization = format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/{region}/config/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature=0123"
            );
            request(&[("Authorization", authorization.as_str()), ("X-Amz-Target", "StarlingDoveService.X")], "{}")
        };
        let eu = Match { region: Some("eu-west-1".into()), ..Match::default() };
        assert!(eu.matches(&signed("eu-west-1")));
        assert!(!eu.matches(&signed("us-east-1")));
        assert!(!eu.matches(&request(&[], "")), "an unsigned request has no region");
        assert!(Match::default().matches(&signed("us-east-1")), "no region condition: any region");
    }

    #[test]
    fn faults_are_answered_in_each_protocol() {
        let json = request(
            &[("X-Amz-Target", "Logs_20140328.PutMetricFilter"), ("Content-Type", "application/x-amz-json-1.1")],
            "{}",
        );
        let query =
            request(&[("Content-Type", "application/x-www-form-urlencoded")], "Action=GetRole&Version=2010-05-08");
        let ec2 = request(
            &[("Content-Type", "application/x-www-form-urlencoded")],
            "Action=DescribeRegions&Version=2016-11-15",
        );
        let rest_json = request(&[("Content-Type", "application/json")], "{}");
        let s3 = request(&[], "");

        let text = answer(throttle_answer(&json));
        assert!(text.starts_with("HTTP/1.1 400 "), "{text}");
        assert!(text.contains("x-amzn-ErrorType: ThrottlingException\r\n"), "{text}");
        assert!(text.contains("Content-Type: application/x-amz-json-1.1\r\n"), "{text}");
        assert!(text.ends_with(r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#), "{text}");
        let text = answer(throttle_answer(&query));
        assert!(text.starts_with("HTTP/1.1 400 "), "{text}");
        assert!(text.contains("<Type>Sender</Type><Code>Throttling</Code>"), "{text}");
        let text = answer(throttle_answer(&ec2));
        assert!(text.contains("<Response><Errors><Error><Code>RequestLimitExceeded</Code>"), "{text}");
        let text = answer(throttle_answer(&rest_json));
        assert!(
            text.starts_with("HTTP/1.1 429 ") && text.contains("x-amzn-ErrorType: TooManyRequestsException"),
            "{text}"
        );
        let text = answer(throttle_answer(&s3));
        assert!(text.starts_with("HTTP/1.1 503 ") && text.contains("<Code>SlowDown</Code>"), "{text}");
        assert!(text.contains("x-amzn-ErrorType: ThrottlingException\r\n"), "{text}");

        for request in [&json, &query, &ec2, &rest_json, &s3] {
            for status in [500, 503] {
                let text = answer(server_error_answer(request, status));
                assert!(text.starts_with(&format!("HTTP/1.1 {status} ")), "{text}");
                assert!(!text.to_ascii_lowercase().contains("text/html"), "never an HTML page: {text}");
                assert!(text.contains("Connection: close\r\n"), "{text}");
            }
        }
    }
}
