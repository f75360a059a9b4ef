//! `observatoire serve` as it runs in production, as a child process on a free loopback port:
//! `SIGHUP` after a new bundle is written makes it serve the new version; a damaged bundle is
//! refused and the old one keeps serving; `POST /admin/reload` with the admin token of the
//! configured `server.toml` reloads too; an invalid `server.toml` stops the start with a message
//! naming it; `SIGTERM` ends the process promptly with status 0 (graceful shutdown). Bundles are
//! small synthetic territories, written with the same atomic write as `observatoire build`.
#![cfg(unix)]
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN: &str = "jeton-de-deploiement-de-test";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 request: status and body.
fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)]) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: 0\r\n"
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).ok()?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

fn version(port: u16) -> Option<String> {
    let (status, body) = http(port, "GET", "/health", &[])?;
    if status != 200 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
    Some(v["version"].as_str()?.to_string())
}

struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Server {
    fn start(config: &Path, bundle: &Path, log: PathBuf) -> Server {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_observatoire"))
            .args(["--config", config.to_str().unwrap()])
            .args(["--bundle", bundle.to_str().unwrap()])
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .current_dir(repo_root())
            .env("OBSERVATOIRE_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("binary runs");
        let s = Server { child, port, log };
        s.wait_until(
            Duration::from_secs(120),
            "the server answers /health",
            || version(port).is_some(),
        );
        s
    }

    fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name}");
    }

    fn wait_until(&self, limit: Duration, what: &str, mut f: impl FnMut() -> bool) {
        let start = Instant::now();
        while !f() {
            assert!(
                start.elapsed() < limit,
                "{what}: not after {limit:?}\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM, then the exit status within `limit`.
    fn stop(mut self, limit: Duration) -> std::process::ExitStatus {
        self.signal("TERM");
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if start.elapsed() > limit {
                let _ = self.child.kill();
                panic!("still running {limit:?} after SIGTERM\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn sighup_reloads_a_new_bundle_and_sigterm_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("territoire.bundle");
    zones::synthetic::bundle(5).save(&bundle).unwrap();
    // No configuration file: default server settings (nothing to read but the bundle).
    let config = dir.path().join("absente.toml");
    let server = Server::start(&config, &bundle, dir.path().join("serve.log"));
    let v1 = version(server.port).unwrap();

    zones::synthetic::bundle(7).save(&bundle).unwrap();
    server.signal("HUP");
    let mut v2 = String::new();
    server.wait_until(Duration::from_secs(60), "new version after SIGHUP", || {
        v2 = version(server.port).unwrap_or_default();
        !v2.is_empty() && v2 != v1
    });
    let (_, iris) = http(server.port, "GET", "/api/zones/iris?format=csv", &[]).unwrap();
    assert_eq!(iris.lines().count(), 1 + 49, "the new bundle is served");

    // A damaged bundle: refused, the old one keeps serving, the server keeps running.
    let bytes = std::fs::read(&bundle).unwrap();
    std::fs::write(&bundle, &bytes[..bytes.len() - 100]).unwrap();
    server.signal("HUP");
    server.wait_until(Duration::from_secs(30), "refusal logged", || {
        server.logs().contains("rechargement refusé")
    });
    assert_eq!(version(server.port).unwrap(), v2);

    let started = Instant::now();
    let status = server.stop(Duration::from_secs(15));
    assert!(status.success(), "exit status {status:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// A territory configuration beside `server.toml`, reading the real data folder (town halls).
fn config_dir(dir: &Path, server_toml: &str) -> PathBuf {
    let real = repo_root().join("boundaries/val-de-marne/observatoire.toml");
    let data = repo_root().join("../shared/data");
    let text = std::fs::read_to_string(real)
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with("data_dir") {
                format!("data_dir = {:?}", data.to_str().unwrap())
            } else if l.starts_with("server") {
                "server = \"server.toml\"".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let config = dir.join("observatoire.toml");
    std::fs::write(&config, text).unwrap();
    std::fs::write(dir.join("server.toml"), server_toml).unwrap();
    config
}

#[test]
fn admin_token_of_server_toml_reloads_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("territoire.bundle");
    zones::synthetic::bundle(4).save(&bundle).unwrap();
    let config = config_dir(
        dir.path(),
        &format!(
            "[access]\nadmin_tokens = [{{ name = \"deploiement\", sha256 = \"{}\" }}]\n",
            server::config::token_hash(ADMIN)
        ),
    );
    let server = Server::start(&config, &bundle, dir.path().join("serve.log"));
    let v1 = version(server.port).unwrap();
    let (status, body) = http(server.port, "POST", "/admin/reload", &[]).unwrap();
    assert_eq!(status, 401, "{body}");

    zones::synthetic::bundle(6).save(&bundle).unwrap();
    let auth = format!("Bearer {ADMIN}");
    let (status, body) = http(
        server.port,
        "POST",
        "/admin/reload",
        &[("Authorization", &auth)],
    )
    .unwrap();
    assert_eq!(status, 200, "{body}\n{}", server.logs());
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["previous"], v1.as_str());
    assert_eq!(
        version(server.port).unwrap(),
        answer["version"].as_str().unwrap()
    );
    assert!(server.stop(Duration::from_secs(15)).success());
}

#[test]
fn an_invalid_server_toml_stops_the_start_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("territoire.bundle");
    zones::synthetic::bundle(4).save(&bundle).unwrap();
    let config = config_dir(dir.path(), "[http]\nrequest_timeout_s = 0\n");
    let out = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .args(["--config", config.to_str().unwrap()])
        .args(["--bundle", bundle.to_str().unwrap()])
        .args(["serve", "--addr", &format!("127.0.0.1:{}", free_port())])
        .current_dir(repo_root())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("server.toml") && err.contains("request_timeout_s"),
        "{err}"
    );
}

#[test]
fn a_damaged_bundle_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("territoire.bundle");
    let mut b = zones::synthetic::bundle(4);
    b.levels[2].1[0].iris.push(100_000);
    b.save(&bundle).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .args([
            "--config",
            dir.path().join("absente.toml").to_str().unwrap(),
        ])
        .args(["--bundle", bundle.to_str().unwrap()])
        .args(["serve", "--addr", &format!("127.0.0.1:{}", free_port())])
        .current_dir(repo_root())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("paquet") && err.contains("hors des"), "{err}");
}
