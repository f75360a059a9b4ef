//! Crash safety of `observatoire build`: a build killed with SIGKILL at any moment (reading,
//! computing, writing the join report, writing the bundle) leaves the previous bundle intact
//! and loadable, and its stray temporary files do not break, nor outlive, the next build.
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn command(bundle: &Path) -> Command {
    assert!(
        repo_root()
            .join("../shared/data/iris-94-shp/map_iris.shp")
            .is_file()
            || std::env::var_os("OBSERVATOIRE_DATA_DIR").is_some(),
        "real data not found: ../shared/data must sit beside the checkout"
    );
    let mut c = Command::new(env!("CARGO_BIN_EXE_observatoire"));
    c.arg("--bundle")
        .arg(bundle)
        .args(["build", "--quiet"])
        .current_dir(repo_root())
        .env_remove("OBSERVATOIRE_CONFIG")
        .env_remove("OBSERVATOIRE_BUNDLE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

fn build(bundle: &Path) -> Output {
    command(bundle).output().expect("binary runs")
}

/// Temporary files of `write_atomic` in `dir`: `.<target>.XXXXXX.tmp`.
fn temp_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n.ends_with(".tmp"))
        .collect();
    v.sort();
    v
}

/// How the build is stopped.
#[derive(Debug, Clone, Copy)]
enum Kill {
    /// SIGKILL after this fraction of a build's duration.
    After(f64),
    /// SIGKILL as soon as the bundle's temporary file shows up (during the final write).
    OnTempFile,
}

/// Start a build and kill it, `estimate` being how long a build takes; returns whether it was
/// killed (rather than done first) and how long it ran.
fn start_and_kill(bundle: &Path, how: Kill, estimate: Duration) -> (bool, Duration) {
    let dir = bundle.parent().unwrap();
    let prefix = format!(".{}.", bundle.file_name().unwrap().to_string_lossy());
    // The temporary file is watched closely from half the build on.
    let watch_from = estimate.mul_f64(0.5);
    let mut child: Child = command(bundle).spawn().expect("binary runs");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let elapsed = started.elapsed();
            let out = child.wait_with_output().unwrap();
            assert!(
                status.success(),
                "{how:?}: build failed on its own: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            return (false, elapsed);
        }
        let now = match how {
            Kill::After(f) => started.elapsed() >= estimate.mul_f64(f),
            Kill::OnTempFile => {
                started.elapsed() >= watch_from
                    && std::fs::read_dir(dir).unwrap().any(|e| {
                        e.ok().is_some_and(|e| {
                            let n = e.file_name().to_string_lossy().into_owned();
                            n.starts_with(&prefix) && n.ends_with(".tmp")
                        })
                    })
            }
        };
        if now {
            child.kill().unwrap(); // SIGKILL on Unix
            child.wait().unwrap();
            return (true, started.elapsed());
        }
        match how {
            // The write takes milliseconds: poll without sleeping once it is near.
            Kill::OnTempFile if started.elapsed() >= watch_from => std::thread::yield_now(),
            _ => std::thread::sleep(Duration::from_millis(2)),
        }
    }
}

#[test]
fn killing_a_build_never_leaves_a_broken_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("x.bundle");

    let t = Instant::now();
    let out = build(&bundle);
    // The machine's load varies: the estimate follows the fastest complete build seen.
    let mut estimate = t.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let old = std::fs::read(&bundle).unwrap();
    zones::Bundle::from_bytes(&bundle, &old).expect("the first bundle loads");

    // Spread across the whole build, with several late kills (the writes come last), and
    // kills timed on the temporary file's appearance, inside the final write.
    use Kill::{After, OnTempFile};
    let plan = [
        After(0.05),
        OnTempFile,
        After(0.25),
        After(0.99),
        After(0.5),
        OnTempFile,
        After(0.75),
        After(1.02),
        After(0.9),
        OnTempFile,
        After(0.96),
        OnTempFile,
    ];

    let mut killed = 0;
    let mut replaced = 0;
    let mut mid_write = 0;
    let mut current = old.clone();
    for how in plan {
        let before = temp_files(dir.path());
        let (was_killed, elapsed) = start_and_kill(&bundle, how, estimate);
        killed += usize::from(was_killed);
        if !was_killed {
            estimate = estimate.min(elapsed);
        }
        // A kill that left a new temporary file behind hit one of the writes.
        mid_write += usize::from(temp_files(dir.path()).iter().any(|n| !before.contains(n)));
        let now = std::fs::read(&bundle).expect("the bundle is still there");
        if now != current {
            // Only a complete new bundle may have replaced the previous one.
            zones::Bundle::from_bytes(&bundle, &now).unwrap_or_else(|e| {
                panic!(
                    "{how:?}: the bundle is neither the previous one nor a complete new one \
                     ({} bytes, previously {}): {e}",
                    now.len(),
                    current.len()
                )
            });
            replaced += 1;
            current = now;
        } else {
            zones::Bundle::from_bytes(&bundle, &now).expect("the previous bundle still loads");
        }
    }
    assert!(killed >= 4, "only {killed} builds were killed");
    eprintln!(
        "build {} ms; {killed} builds killed ({mid_write} while writing), bundle replaced \
         {replaced} times; left: {:?}",
        estimate.as_millis(),
        temp_files(dir.path())
    );

    // Whatever the kills left behind, plus a stale temporary file of our own, truncated.
    std::fs::write(
        dir.path().join(".x.bundle.Zz9Zz9.tmp"),
        &old[..old.len() / 2],
    )
    .unwrap();
    std::fs::write(dir.path().join(".x.jointures.csv.Zz9Zz9.tmp"), b"source;").unwrap();
    // Not ours: kept.
    std::fs::write(dir.path().join(".autre.bundle.Zz9Zz9.tmp"), b"?").unwrap();
    let out = build(&bundle);
    assert!(
        out.status.success(),
        "the next build succeeds despite the leftovers: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fresh = std::fs::read(&bundle).unwrap();
    zones::Bundle::from_bytes(&bundle, &fresh).expect("the next bundle loads");
    assert_eq!(
        temp_files(dir.path()),
        [".autre.bundle.Zz9Zz9.tmp"],
        "the build removes its own stale temporary files, and only those"
    );
}
