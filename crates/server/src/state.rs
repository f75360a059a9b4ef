//! What the server serves: an immutable snapshot of one bundle and everything derived from it,
//! swapped atomically when a new bundle is published (requests in flight keep the old one).
use arc_swap::ArcSwap;
use std::sync::Arc;

/// One loaded bundle and the data each capability derives from it at load time.
pub struct Snapshot {
    pub bundle: zones::Bundle,
    /// Short content version of the bundle, used in versioned URLs and ETags.
    pub version: String,
}

impl Snapshot {
    pub fn new(bundle: zones::Bundle) -> Snapshot {
        let version = format!("{:016x}", content_hash(&bundle));
        Snapshot { bundle, version }
    }
}

/// FNV-1a of the encoded bundle: stable across runs, changes with any content change.
fn content_hash(bundle: &zones::Bundle) -> u64 {
    let bytes = bundle.to_bytes().unwrap_or_default();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[derive(Clone)]
pub struct AppState {
    current: Arc<ArcSwap<Snapshot>>,
}

impl AppState {
    pub fn new(snapshot: Arc<Snapshot>) -> AppState {
        AppState {
            current: Arc::new(ArcSwap::new(snapshot)),
        }
    }

    /// The snapshot to answer one request with.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Publish a new snapshot; later requests see it, requests in flight keep theirs.
    pub fn publish(&self, snapshot: Arc<Snapshot>) {
        self.current.store(snapshot);
    }
}
