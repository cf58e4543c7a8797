//! `lowp quantize`: a checkpoint in, a compressed-tensors checkpoint out, nothing half-written.

use crate::checkpoint::Checkpoint;
use crate::config::quantization_config;
use crate::plan::{Pattern, Plan};
use crate::pyjson;
use crate::scheme::Scheme;
use crate::write::{Syncer, Writer};
use anyhow::{anyhow, bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tempfile::NamedTempFile;

/// Options of `lowp quantize`.
pub struct Options {
    /// Model directory or `.safetensors` file.
    pub input: PathBuf,
    /// Output directory.
    pub output: PathBuf,
    /// The scheme.
    pub scheme: Scheme,
    /// Ignore patterns (verbatim).
    pub ignore: Vec<String>,
    /// Write over a non-empty output directory.
    pub force: bool,
    /// Print a JSON summary on stdout.
    pub json: bool,
    /// No progress bar.
    pub quiet: bool,
    /// Flush every written file to the disk before renaming it into place.
    pub fsync: bool,
}

fn canonical(p: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(p).ok()
}

/// Refuses outputs that would write into the input or over existing files without `--force`.
fn check_output(ck: &Checkpoint, o: &Options) -> Result<()> {
    let root = canonical(&ck.root).unwrap_or_else(|| ck.root.clone());
    if let Some(out) = canonical(&o.output) {
        if out == root || (!ck.single_file && out.starts_with(&root)) {
            bail!(
                "the output {} is {} the input {}; choose another directory",
                o.output.display(),
                if out == root {
                    "the directory of"
                } else {
                    "inside"
                },
                o.input.display()
            );
        }
        if !out.is_dir() {
            bail!(
                "the output {} exists and is not a directory",
                o.output.display()
            );
        }
        let non_empty = std::fs::read_dir(&out)?.next().is_some();
        if non_empty && !o.force {
            bail!(
                "the output directory {} is not empty; pass --force to write over it",
                o.output.display()
            );
        }
    }
    Ok(())
}

fn temp_in(dir: &Path) -> Result<NamedTempFile> {
    tempfile::Builder::new()
        .prefix(".lowp-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))
}

/// Runs the command; returns the JSON summary.
pub fn run(o: &Options) -> Result<Value> {
    let t0 = Instant::now();
    let ck = Checkpoint::open(&o.input)?;
    check_output(&ck, o)?;
    let patterns: Vec<Pattern> = o
        .ignore
        .iter()
        .map(|s| Pattern::parse(s))
        .collect::<Result<_>>()?;
    let plan = Plan::new(&ck, o.scheme, &patterns)?;

    // The config, before anything is written.
    let qconfig = quantization_config(o.scheme, &o.ignore);
    let config = match ck.config_path() {
        Some(p) => {
            let text = std::fs::read_to_string(&p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            let mut v: Value = serde_json::from_str(&text)
                .with_context(|| format!("{}: not valid JSON", p.display()))?;
            let obj = v
                .as_object_mut()
                .ok_or_else(|| anyhow!("{}: not a JSON object", p.display()))?;
            if obj.contains_key("quantization_config") {
                bail!(
                    "{}: the model already has a quantization_config; lowp quantizes unquantized checkpoints",
                    p.display()
                );
            }
            obj.insert("quantization_config".into(), qconfig.clone());
            Some((p.file_name().unwrap().to_string_lossy().into_owned(), v))
        }
        None => None,
    };

    let created = !o.output.exists();
    std::fs::create_dir_all(&o.output)
        .with_context(|| format!("cannot create {}", o.output.display()))?;
    let result = write_all(&ck, &plan, o, config);
    if result.is_err() && created {
        let _ = std::fs::remove_dir(&o.output); // only if still empty
    }
    let (n_quant, bytes_out, shards) = result?;

    if config_missing(&ck) && !o.json && !o.quiet {
        eprintln!(
            "note: the input has no config.json; add this quantization_config to the model's config:\n{}",
            pyjson::dumps(&qconfig)
        );
    }
    let bytes_in: u64 = ck.tensors.iter().map(|t| t.len as u64).sum();
    Ok(json!({
        "command": "quantize",
        "scheme": o.scheme.name(),
        "input": o.input.display().to_string(),
        "output": o.output.display().to_string(),
        "ignore": o.ignore,
        "shards": shards,
        "tensors_in": ck.tensors.len(),
        "weights_quantized": n_quant,
        "files_copied": ck.others.len(),
        "bytes_in": bytes_in,
        "bytes_out": bytes_out,
        "seconds": t0.elapsed().as_secs_f64(),
    }))
}

fn config_missing(ck: &Checkpoint) -> bool {
    ck.config_path().is_none()
}

type Written = (usize, u64, usize);

fn write_all(
    ck: &Checkpoint,
    plan: &Plan,
    o: &Options,
    config: Option<(String, Value)>,
) -> Result<Written> {
    let out = &o.output;
    let total: u64 = plan.items.iter().map(|i| i.src.len as u64).sum();
    let progress = if o.quiet || o.json || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let pb = ProgressBar::new(total);
        pb.set_style(
            ProgressStyle::with_template(
                "{spinner} {msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap()
            .progress_chars("=> "),
        );
        pb
    };
    let timing = std::env::var_os("LOWP_TIMING").is_some();
    let t0 = Instant::now();
    let phase = |what: &str, t: &mut Instant| {
        if timing {
            eprintln!("lowp timing: {what}: {:.3} s", t.elapsed().as_secs_f64());
        }
        *t = Instant::now();
    };
    let mut t = t0;
    let writer = Writer::new(ck, plan, &progress);
    // Shards are flushed to the disk in the background while the next one is written.
    let syncer = o.fsync.then(Syncer::start);
    // (temporary file, final relative path), renamed only when everything is written.
    let mut pending: Vec<(NamedTempFile, String)> = Vec::new();
    let mut weight_map = BTreeMap::new();
    let mut total_size = 0u64;
    let mut n_shards = 0;
    for shard in &plan.shards {
        progress.set_message(shard.rel.clone());
        let dir = out.join(&shard.rel);
        let dir = dir.parent().unwrap().to_path_buf();
        std::fs::create_dir_all(&dir)?;
        let (tmp, size) = writer.write_shard(shard, &dir, syncer.as_ref())?;
        if let Some(s) = &syncer {
            s.request(tmp.as_file());
        }
        total_size += size;
        let base = Path::new(&shard.rel)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        for t in &shard.tensors {
            weight_map.insert(t.name.clone(), Value::String(base.clone()));
        }
        pending.push((tmp, shard.rel.clone()));
        n_shards += 1;
        phase(&format!("write {}", shard.rel), &mut t);
    }
    progress.finish_and_clear();

    // Other files, copied (the index and config are written below).
    let index_rel = ck
        .index
        .clone()
        .unwrap_or_else(|| "model.safetensors.index.json".into());
    let config_rel = config.as_ref().map(|(n, _)| n.clone());
    if !ck.single_file {
        for rel in &ck.others {
            if *rel == index_rel || Some(rel) == config_rel.as_ref() {
                continue;
            }
            let dst = out.join(rel);
            let dir = dst.parent().unwrap();
            std::fs::create_dir_all(dir)?;
            let mut tmp = temp_in(dir)?;
            let mut src = std::fs::File::open(ck.root.join(rel))
                .with_context(|| format!("cannot read {}", ck.root.join(rel).display()))?;
            std::io::copy(&mut src, tmp.as_file_mut())?;
            pending.push((tmp, rel.clone()));
        }
    }
    let index = json!({
        "metadata": {"total_size": total_size},
        "weight_map": weight_map,
    });
    let mut tmp = temp_in(out)?;
    tmp.write_all(pyjson::dumps(&index).as_bytes())?;
    pending.push((tmp, index_rel));
    if let Some((name, v)) = config {
        let mut tmp = temp_in(out)?;
        tmp.write_all(pyjson::dumps(&v).as_bytes())?;
        pending.push((tmp, name));
    }
    crate::write::check_interrupt_pub()?;
    phase("other files", &mut t);
    if let Some(s) = syncer {
        s.finish()?;
        for (tmp, _) in &pending {
            tmp.as_file().sync_all()?;
        }
    }
    phase("fsync", &mut t);
    let mut renamed_dirs = Vec::new();
    for (tmp, rel) in pending {
        let dst = out.join(&rel);
        renamed_dirs.push(dst.parent().unwrap_or(out).to_path_buf());
        tmp.persist(&dst)
            .map_err(|e| anyhow!("cannot rename into {}: {}", dst.display(), e.error))?;
    }
    if o.fsync {
        // The renames themselves.
        let mut dirs: Vec<PathBuf> = renamed_dirs;
        dirs.sort();
        dirs.dedup();
        for d in dirs {
            sync_dir(&d)?;
        }
    }
    phase("rename", &mut t);
    let n_quant = plan.items.iter().filter(|i| i.module.is_some()).count();
    let bytes_out = total_size;
    Ok((n_quant, bytes_out, n_shards))
}

/// Flushes a directory's entries (the renames into it) to the disk; a no-op where directories
/// cannot be opened as files.
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot flush {} to the disk", dir.display()))?;
    let _ = dir;
    Ok(())
}
