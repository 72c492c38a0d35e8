//! Compile once: validated plugins kept in memory by the sha256 of their
//! component bytes, and compiled components kept on disk so a restart does
//! not compile them again.
//!
//! A disk entry is `<sha256>-<engine>.cwasm`: the bytes of
//! `Component::serialize` followed by their own sha256. `<engine>` is a
//! digest of the engine's compatibility hash (wasmtime version, target,
//! compiler settings), so an upgraded or reconfigured engine never reads
//! another's files. Entries are written to a temporary file and renamed
//! into place, so a reader sees a whole file or none. A file that is
//! short, fails its digest, or is refused by wasmtime is deleted and the
//! component compiled again: the cache can only make start-up faster,
//! never make it fail.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use super::Plugin;

/// Hex sha256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Validated plugins by the sha256 of their bytes.
#[derive(Default)]
pub(crate) struct PluginCache {
    compiled: Mutex<HashMap<String, Arc<Plugin>>>,
}

impl PluginCache {
    /// The plugin with this sha256, if compiled already.
    pub(crate) fn get(&self, sha256: &str) -> Option<Arc<Plugin>> {
        self.compiled
            .lock()
            .expect("cache lock")
            .get(sha256)
            .cloned()
    }

    /// Keep `plugin`.
    pub(crate) fn insert(&self, plugin: Arc<Plugin>) {
        self.compiled
            .lock()
            .expect("cache lock")
            .insert(plugin.sha256.clone(), plugin);
    }
}

/// How components were obtained since start-up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Compiled from wasm.
    pub compiled: u64,
    /// Read back from the disk cache.
    pub from_disk: u64,
    /// Disk entries found damaged or incompatible (and replaced).
    pub rejected: u64,
}

/// Compiled components on disk.
pub(crate) struct DiskCache {
    dir: PathBuf,
    engine_tag: String,
    compiled: AtomicU64,
    from_disk: AtomicU64,
    rejected: AtomicU64,
}

/// Feeds `Hash` output into sha256, for a digest that does not depend on
/// the standard library's hasher.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    fn finish(&self) -> u64 {
        let d = self.0.clone().finalize();
        u64::from_le_bytes(d[..8].try_into().expect("8 bytes"))
    }
}

const DIGEST_BYTES: usize = 32;

impl DiskCache {
    /// A cache in `dir` (created if missing) for components of `engine`.
    pub(crate) fn open(dir: &Path, engine: &Engine) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut h = Sha256Hasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut h);
        Ok(DiskCache {
            dir: dir.to_owned(),
            engine_tag: hex::encode(&h.0.finalize()[..8]),
            compiled: AtomicU64::new(0),
            from_disk: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
        })
    }

    /// Where the component with this sha256 is kept.
    pub(crate) fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(format!("{sha256}-{}.cwasm", self.engine_tag))
    }

    /// The counters.
    pub(crate) fn stats(&self) -> CacheStats {
        CacheStats {
            compiled: self.compiled.load(Ordering::Relaxed),
            from_disk: self.from_disk.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
        }
    }

    /// The component for `wasm` (hashing to `sha256`): from disk if a
    /// sound entry is there, else compiled and written for next time.
    pub(crate) fn component(
        &self,
        engine: &Engine,
        sha256: &str,
        wasm: &[u8],
    ) -> wasmtime::Result<Component> {
        let path = self.path(sha256);
        if let Some(component) = self.read(engine, &path) {
            self.from_disk.fetch_add(1, Ordering::Relaxed);
            return Ok(component);
        }
        let component = Component::new(engine, wasm)?;
        self.compiled.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = self.write(&path, &component) {
            tracing::warn!(path = %path.display(), error = %e, "could not cache a compiled plugin");
        }
        Ok(component)
    }

    fn read(&self, engine: &Engine, path: &Path) -> Option<Component> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "unreadable plugin cache entry");
                return None;
            }
        };
        let sound = bytes.len() > DIGEST_BYTES && {
            let (body, digest) = bytes.split_at(bytes.len() - DIGEST_BYTES);
            Sha256::digest(body).as_slice() == digest
        };
        let component = if sound {
            let body = &bytes[..bytes.len() - DIGEST_BYTES];
            // SAFETY: `deserialize` runs the machine code in `body`, so it
            // must be what `Component::serialize` produced. It is: entries
            // are written only by `write` below, by this program, into its
            // own cache directory, under a name that carries the engine's
            // compatibility hash; the trailing sha256 just checked rules
            // out a torn or damaged file; and wasmtime itself refuses
            // (with an error, handled below) an artefact whose header does
            // not match this engine's version and settings. The bytes are
            // in memory, not mapped, so later changes to the file cannot
            // affect them.
            #[allow(unsafe_code)]
            let loaded = unsafe { Component::deserialize(engine, body) };
            match loaded {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "incompatible plugin cache entry; recompiling");
                    None
                }
            }
        } else {
            tracing::warn!(path = %path.display(), "damaged plugin cache entry; recompiling");
            None
        };
        if component.is_none() {
            self.rejected.fetch_add(1, Ordering::Relaxed);
            let _ = std::fs::remove_file(path);
        }
        component
    }

    fn write(&self, path: &Path, component: &Component) -> anyhow::Result<()> {
        let mut bytes = component.serialize().map_err(|e| anyhow::anyhow!("{e}"))?;
        let digest = Sha256::digest(&bytes);
        bytes.extend_from_slice(&digest);
        let tmp = path.with_extension(format!(
            "tmp.{}.{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::write(&tmp, &bytes)?;
        if let Err(e) = std::fs::rename(&tmp, path) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
        Ok(())
    }
}
