//! Reading a checkpoint: a directory (one `model.safetensors`, or shards with an index) or one
//! `.safetensors` file. Headers are read and checked up front; tensor data is read later,
//! range by range, through memory maps that are dropped as soon as a range is done (so the
//! resident memory stays near one chunk, not the file).

use anyhow::{bail, Context, Result};
use memmap2::{Mmap, MmapOptions};
use safetensors::tensor::{Dtype, SafeTensors};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};

/// One tensor of the source checkpoint.
#[derive(Clone, Debug)]
pub struct TensorRef {
    /// Its name in the checkpoint.
    pub name: String,
    /// Its element type.
    pub dtype: Dtype,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Index of the shard (in [`Checkpoint::shards`]) that holds it.
    pub shard: usize,
    /// Byte offset of its data from the start of the file.
    pub start: u64,
    /// Its size in bytes.
    pub len: usize,
}

/// One `.safetensors` file of the source.
#[derive(Debug)]
pub struct Shard {
    /// Path relative to the checkpoint root (the file name for a single-file source).
    pub rel: String,
    /// Absolute path.
    pub path: PathBuf,
    file: File,
}

impl Shard {
    /// Maps `len` bytes from `start` (read-only). The map is dropped by the caller when done.
    pub fn map(&self, start: u64, len: usize) -> Result<Mmap> {
        if len == 0 {
            return Ok(MmapOptions::new().len(0).map_anon()?.make_read_only()?);
        }
        // SAFETY: the map is read-only; the source files must not be modified while lowp runs
        // (documented in the README), as with every tool that memory-maps checkpoints.
        let m = unsafe {
            MmapOptions::new()
                .offset(start)
                .len(len)
                .populate()
                .map(&self.file)
        }
        .with_context(|| format!("{}: cannot map bytes {start}..", self.path.display()))?;
        Ok(m)
    }
}

/// A source checkpoint.
#[derive(Debug)]
pub struct Checkpoint {
    /// The directory (or, for a single-file source, the file's directory).
    pub root: PathBuf,
    /// True when the source was one `.safetensors` file.
    pub single_file: bool,
    /// The safetensors files, in name order.
    pub shards: Vec<Shard>,
    /// Every tensor, shard by shard, each shard's tensors in offset order.
    pub tensors: Vec<TensorRef>,
    /// Tensor name → index in `tensors`.
    pub by_name: HashMap<String, usize>,
    /// Every other file (relative paths), to be copied as is.
    pub others: Vec<String>,
    /// The index file's relative path, if any.
    pub index: Option<String>,
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read directory {}", dir.display()))?
        .collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        let ft = e.file_type()?;
        if ft.is_dir() || (ft.is_symlink() && p.is_dir()) {
            walk(root, &p, out)?;
        } else {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            // As model_free_ptq: skip paths starting with ".cache" or ".gitattributes".
            if rel.starts_with(".cache") || rel.starts_with(".gitattributes") {
                continue;
            }
            out.push(rel);
        }
    }
    Ok(())
}

fn open_shard(
    rel: String,
    path: PathBuf,
    idx: usize,
    tensors: &mut Vec<TensorRef>,
) -> Result<Shard> {
    let file = File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata()?.len();
    if size < 8 {
        bail!(
            "{}: truncated or not a safetensors file ({size} bytes)",
            path.display()
        );
    }
    // Read the header only.
    let head = {
        // SAFETY: read-only map of the header range; see `Shard::map`.
        let m = unsafe { MmapOptions::new().len(8).map(&file) }?;
        u64::from_le_bytes(m[..8].try_into().unwrap())
    };
    if head > 100_000_000 || 8 + head > size {
        bail!(
            "{}: truncated or corrupt safetensors file (header of {head} bytes in a file of {size})",
            path.display()
        );
    }
    // SAFETY: read-only map of the whole file, dropped at the end of this function; see
    // `Shard::map`. Only the header pages are touched here.
    let whole =
        unsafe { Mmap::map(&file) }.with_context(|| format!("cannot map {}", path.display()))?;
    let (n, meta) = SafeTensors::read_metadata(&whole).map_err(|e| {
        anyhow::anyhow!(
            "{}: truncated or corrupt safetensors file: {e}",
            path.display()
        )
    })?;
    let base = 8 + n as u64;
    type Entry = (String, Dtype, Vec<usize>, (usize, usize));
    let mut list: Vec<Entry> = meta
        .tensors()
        .into_iter()
        .map(|(name, info)| (name, info.dtype, info.shape.clone(), info.data_offsets))
        .collect();
    list.sort_by_key(|t| t.3);
    for (name, dtype, shape, (a, b)) in list {
        tensors.push(TensorRef {
            name,
            dtype,
            shape,
            shard: idx,
            start: base + a as u64,
            len: b - a,
        });
    }
    Ok(Shard { rel, path, file })
}

impl Checkpoint {
    /// Opens a directory or a single `.safetensors` file and checks every header.
    pub fn open(input: &Path) -> Result<Checkpoint> {
        let meta =
            std::fs::metadata(input).with_context(|| format!("cannot read {}", input.display()))?;
        let (root, single_file, files) = if meta.is_file() {
            let root = input
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."));
            let name = input.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".safetensors") {
                bail!("{}: not a .safetensors file", input.display());
            }
            (root, true, vec![name])
        } else {
            let mut files = Vec::new();
            walk(input, input, &mut files)?;
            (input.to_path_buf(), false, files)
        };
        let mut shards = Vec::new();
        let mut others = Vec::new();
        let mut tensors = Vec::new();
        let mut index = None;
        let mut shard_names: Vec<String> = files
            .iter()
            .filter(|f| f.ends_with("safetensors"))
            .cloned()
            .collect();
        shard_names.sort();
        for f in &files {
            if !f.ends_with("safetensors") {
                others.push(f.clone());
                if f.ends_with(".safetensors.index.json")
                    && (index.is_none() || f.ends_with("model.safetensors.index.json"))
                {
                    index = Some(f.clone());
                }
            }
        }
        if shard_names.is_empty() {
            bail!("{}: no .safetensors file found", input.display());
        }
        for (i, rel) in shard_names.into_iter().enumerate() {
            let path = root.join(&rel);
            shards.push(open_shard(rel, path, i, &mut tensors)?);
        }
        let mut by_name = HashMap::new();
        for (i, t) in tensors.iter().enumerate() {
            if let Some(j) = by_name.insert(t.name.clone(), i) {
                bail!(
                    "tensor {} is in both {} and {}",
                    t.name,
                    shards[tensors[j].shard].rel,
                    shards[t.shard].rel
                );
            }
        }
        let ck = Checkpoint {
            root,
            single_file,
            shards,
            tensors,
            by_name,
            others,
            index,
        };
        ck.check_index()?;
        Ok(ck)
    }

    /// The index must name exactly the tensors found, each in the shard that holds it.
    fn check_index(&self) -> Result<()> {
        let Some(rel) = &self.index else {
            if self.shards.len() > 1 {
                bail!(
                    "{}: {} safetensors files but no model.safetensors.index.json",
                    self.root.display(),
                    self.shards.len()
                );
            }
            return Ok(());
        };
        let path = self.root.join(rel);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let v: Value = serde_json::from_str(&text)
            .with_context(|| format!("{}: not valid JSON", path.display()))?;
        let Some(map) = v.get("weight_map").and_then(Value::as_object) else {
            bail!("{}: no \"weight_map\" object", path.display());
        };
        let mut listed: BTreeMap<&str, &str> = BTreeMap::new();
        for (k, f) in map {
            let Some(f) = f.as_str() else {
                bail!("{}: weight_map[{k:?}] is not a string", path.display());
            };
            listed.insert(k, f);
        }
        for t in &self.tensors {
            let shard = &self.shards[t.shard].rel;
            match listed.get(t.name.as_str()) {
                None => bail!(
                    "{}: tensor {} of {} is not in the index",
                    path.display(),
                    t.name,
                    shard
                ),
                Some(f) if shard.as_str() != *f && !shard.ends_with(&format!("/{f}")) => bail!(
                    "{}: the index puts tensor {} in {f}, but it is in {shard}",
                    path.display(),
                    t.name
                ),
                _ => {}
            }
        }
        for k in listed.keys() {
            if !self.by_name.contains_key(*k) {
                bail!(
                    "{}: tensor {k} is in the index but in no safetensors file",
                    path.display()
                );
            }
        }
        Ok(())
    }

    /// The config.json of the source, if any.
    pub fn config_path(&self) -> Option<PathBuf> {
        if self.single_file {
            return None;
        }
        self.others
            .iter()
            .find(|f| f.as_str() == "config.json")
            .or_else(|| self.others.iter().find(|f| f.as_str() == "params.json"))
            .map(|f| self.root.join(f))
    }
}
